"""An API request records its token's last use at most once a minute, outside the request's
transaction and without waiting for the database, so reads never queue behind writers (issue 15).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select

from content_calendar.accounts.models import ApiToken
from publisher.db import Database, utcnow
from publisher.sqlite_writer import WriterLockedConnection
from tests.conftest import api_token

DELIVERIES = "/api/v1/deliveries"


@pytest.fixture
def token(db: Database, users: dict[str, int]) -> str:
    return api_token(db, "krisenstab")


@pytest.fixture
def token_writes(db: Database) -> Iterator[list[str]]:
    """Every statement that writes api_tokens, as the engine runs it."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def last_used(db: Database) -> Any:
    with db.session() as session:
        return session.scalar(select(ApiToken.last_used_at))


def timed_get(client: FlaskClient, token: str, most: float) -> tuple[int, float]:
    """``get`` in a thread of its own, given up after ``most`` seconds (status 0): a GET that
    queued for the writer lock would otherwise wait for as long as the holder holds it."""
    result: list[tuple[int, float]] = []
    thread = threading.Thread(target=lambda: result.append(get(client, token)), daemon=True)
    thread.start()
    thread.join(most)
    return result[0] if result else (0, most)


def get(client: FlaskClient, token: str) -> tuple[int, float]:
    started = time.monotonic()
    response = client.get(DELIVERIES, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, time.monotonic() - started


def test_the_last_use_is_written_at_most_once_a_minute(
    client: FlaskClient, db: Database, token: str, token_writes: list[str]
) -> None:
    for _ in range(5):
        assert get(client, token)[0] == 200
    assert len(token_writes) == 1
    first = last_used(db)
    assert first is not None and utcnow() - first < timedelta(seconds=10)

    with db.session() as session:  # a minute later
        session.scalars(select(ApiToken)).one().last_used_at = first - timedelta(seconds=61)
    token_writes.clear()
    assert get(client, token)[0] == 200
    assert len(token_writes) == 1 and last_used(db) > first


def test_a_get_does_not_wait_while_another_writer_holds_the_database(
    client: FlaskClient, db: Database, token: str
) -> None:
    holder = sqlite3.connect(Path(db.url.removeprefix("sqlite:///")), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long write transaction elsewhere (another process)
    try:
        status, seconds = get(client, token)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert status == 200
    assert seconds < 1.0, f"the GET waited {seconds:.1f} s behind a writer"
    assert last_used(db) is None  # not recorded this time: the database was busy
    assert get(client, token)[0] == 200
    assert last_used(db) is not None  # the next request records it


def test_the_database_connection_keeps_its_usual_wait_for_other_writers(
    client: FlaskClient, db: Database, token: str
) -> None:
    assert get(client, token)[0] == 200
    with db.engine.connect() as connection:  # the pool hands out the same connection again
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30000


def test_a_get_does_not_queue_behind_another_writer_of_the_app_either(
    client: FlaskClient, db: Database, token: str
) -> None:
    """The app's own writers take the SQLite writer lock first (publisher/sqlite_writer.py):
    noting the token's use must not queue for that lock either (an alert's API call waited
    35 ms for it behind the community lane)."""
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:  # another thread, as another request or worker would be
        holder = sqlite3.connect(Path(db.url.removeprefix("sqlite:///")), factory=WriterLockedConnection)
        holder.execute("UPDATE api_tokens SET label = label")  # the writer lock, until rollback
        holding.set()
        done.wait(30)
        holder.rollback()
        holder.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    try:
        status, seconds = timed_get(client, token, most=5.0)
    finally:
        done.set()
        thread.join(10)

    assert status == 200
    assert seconds < 1.0, f"the GET waited {seconds:.1f} s for the writer lock"
    assert last_used(db) is None  # skipped this time
    assert get(client, token)[0] == 200
    assert last_used(db) is not None
