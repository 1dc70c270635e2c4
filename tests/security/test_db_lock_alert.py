"""A database lock longer than the busy timeout never loses an alert (issue 15, locks).

Another connection holds SQLite's write lock (``BEGIN IMMEDIATE``) for longer than the
engine's busy timeout, which the test shortens to 0.2 s on this engine only. An alert
request then either is stored or answers a German 503 with Retry-After (the console keeps
the form's input); the CLI waits the lock out with backoff and says so.
"""

from __future__ import annotations

import argparse
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from content_calendar.crisis.models import Alert
from publisher.db import Database
from publisher.settings import Settings
from tests.conftest import api_token, configure_channels, login
from tests.crisis.helpers import approved_library, console_send, wait_inline
from workers.alert_cli import cmd_alert

VARS = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}
BUSY_TIMEOUT_MS = 200


@pytest.fixture
def setup(db: Database, users: dict[str, int], instance: Settings) -> str:
    configure_channels(db, '[channels.banner]\ntype = "banner"\nlanes = ["crisis"]\n')
    approved_library(db, instance)
    return api_token(db, "krisenstab")


@pytest.fixture
def short_busy_timeout(db: Database) -> Iterator[None]:
    """This engine's connections give up on a lock after 0.2 s instead of 30 s."""

    def shorten(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    event.listen(db.engine, "connect", shorten)
    db.engine.dispose()  # pooled connections were made with the long timeout
    yield
    event.remove(db.engine, "connect", shorten)
    db.engine.dispose()


@contextmanager
def write_lock(db: Database, release_after: float | None = None) -> Iterator[None]:
    """Another connection holds the write lock (until the block ends, or ``release_after`` s)."""
    path = db.engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(release_after, other.rollback) if release_after else None
    if timer:
        timer.start()
    try:
        yield
    finally:
        if timer:
            timer.join()
        else:
            other.rollback()
        other.close()


def alert_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(Alert.id))) or 0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_busy_problem(response: Any) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "application/problem+json"
    detail = response.json["detail"]
    assert "gesperrt" in detail and "nicht gespeichert" in detail, detail


def test_an_api_alert_during_a_long_lock_is_refused_with_a_german_503_and_stored_once_later(
    client: FlaskClient, db: Database, setup: str, short_busy_timeout: None
) -> None:
    body = {"template": "unwetter", "variables": VARS, "idempotency_key": "lock-1"}
    with write_lock(db):
        refused = client.post("/api/v1/alerts", json=body, headers=bearer(setup))
    assert_busy_problem(refused)
    assert alert_count(db) == 0  # refused means nothing half-stored
    stored = client.post("/api/v1/alerts", json=body, headers=bearer(setup))
    again = client.post("/api/v1/alerts", json=body, headers=bearer(setup))
    assert (stored.status_code, again.status_code) == (201, 200)
    assert alert_count(db) == 1


def test_the_console_during_a_long_lock_answers_503_and_keeps_the_form_input(
    client: FlaskClient, db: Database, setup: str, short_busy_timeout: None
) -> None:
    login(client, "krisenstab")
    _, form = console_send(client, "unwetter", VARS)
    with write_lock(db):
        refused = client.post("/krise/senden/unwetter", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert "gesperrt" in page and "nicht gespeichert" in page
    assert 'value="Nordstadt"' in page  # the typed area is still in the form
    assert alert_count(db) == 0
    sent = client.post("/krise/senden/unwetter", data=form)  # the same form, pressed again
    assert sent.status_code == 303
    assert alert_count(db) == 1


def test_update_all_clear_and_close_during_a_long_lock_answer_503_and_change_nothing(
    client: FlaskClient, db: Database, setup: str, short_busy_timeout: None
) -> None:
    body = {"template": "unwetter", "variables": VARS, "idempotency_key": "first"}
    created = client.post("/api/v1/alerts", json=body, headers=bearer(setup)).json
    assert created is not None
    alert_id = created["id"]
    wait_inline()  # its banner delivery is recorded before the lock is taken
    requests = {
        "update": {"variables": {"bis": "20:00"}, "idempotency_key": "u1"},
        "all-clear": {"idempotency_key": "c1"},
        "close": {"reason": "versehentlich"},
    }
    with write_lock(db):
        for path, payload in requests.items():
            response = client.post(f"/api/v1/alerts/{alert_id}/{path}", json=payload, headers=bearer(setup))
            assert_busy_problem(response)
    assert alert_count(db) == 1
    with db.session() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.active


def test_any_other_write_during_a_long_lock_is_a_german_503_not_an_english_500(
    client: FlaskClient, db: Database, users: dict[str, int], short_busy_timeout: None
) -> None:
    configure_channels(db, '[channels.preview]\ntype = "preview"\n')
    token = api_token(db, "redaktion")
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    body = {"text": "Bruno sucht ein Zuhause", "channels": ["preview"], "publish_at": when}
    with write_lock(db):
        response = client.post("/api/v1/posts", json=body, headers=bearer(token))
    assert_busy_problem(response)


def test_the_cli_keeps_trying_while_the_database_is_locked_and_says_so(
    db: Database, setup: str, instance: Settings, short_busy_timeout: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(
        action="send", target="unwetter", var=[f"{k}={v}" for k, v in VARS.items()], key=None,
        drill=False, confirm=False, reason=None, note=None, template=None,
    )
    with write_lock(db, release_after=2.0):
        code = cmd_alert(instance, args)
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Datenbank gesperrt (Versuch 1)" in err and "neuer Versuch in 0.5 s" in err
    assert "Datenbank gesperrt (Versuch 2)" in err  # still locked after the first wait
    assert alert_count(db) == 1  # one key for every retry: one alert
