"""Fresh databases for migration tests: a SQLite file, or a database of its own on the
throwaway PostgreSQL server (skipped with the helper's reason when PostgreSQL is absent)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from publisher.settings import Settings, load_settings
from tests.postgres import postgres_url  # noqa: F401  (fixture)

DatabaseFactory = Callable[[], str]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Call it for the URL of another empty database on the backend under test."""
    made: list[str] = []
    server = request.getfixturevalue("postgres_url") if backend == "postgresql" else ""

    def make() -> str:
        name = f"migration_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / name}.db"
        else:
            _on_server(server, f'CREATE DATABASE "{name}"')
            url = f"{server.rsplit('/', 1)[0]}/{name}"
        made.append(name)
        return url

    yield make
    if backend == "postgresql":
        for name in made:
            _on_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _on_server(server_url: str, statement: str) -> None:
    engine = create_engine(f"{server_url.rsplit('/', 1)[0]}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def settings_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Settings]:
    """Settings the way the CLI loads them, pointed at the given database."""

    def load(database_url: str) -> Settings:
        monkeypatch.setenv("ERNSTFALL_HOME", str(tmp_path / "instance"))
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.delenv("REDIS_URL", raising=False)
        return load_settings()

    return load
