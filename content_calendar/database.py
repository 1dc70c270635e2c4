"""Schema migrations (Alembic only) and the per-process database handle."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from publisher.db import Database
from publisher.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"

_databases: dict[str, Database] = {}


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(settings: Settings) -> None:
    """Bring the schema to the newest revision of every branch."""
    settings.home.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.database_url), "heads")


def get_database(settings: Settings) -> Database:
    """One engine per URL per process."""
    db = _databases.get(settings.database_url)
    if db is None:
        db = Database(settings.database_url)
        _databases[settings.database_url] = db
    return db
