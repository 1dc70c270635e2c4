"""The scheduler mails the editors' digest once a week, Monday from 07:00 local time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from content_calendar.accounts.models import User
from publisher.db import Database
from publisher.settings import Settings
from tests.calendar.test_cadence_and_digest import _Inbox, smtp_inbox  # noqa: F401  (fixture)
from workers.weekly import digest_due, maybe_send_digest

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("local", "last", "expected"),
    [
        (datetime(2026, 11, 23, 6, 59, tzinfo=BERLIN), None, None),  # Monday, too early
        (datetime(2026, 11, 23, 7, 0, tzinfo=BERLIN), None, "2026-W48"),
        (datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN), "2026-W47", "2026-W48"),  # caught up
        (datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN), "2026-W48", None),  # sent already
    ],
)
def test_digest_is_due_once_per_week(local: datetime, last: str | None, expected: str | None) -> None:
    assert digest_due(last, local) == expected


def test_scheduler_sends_the_digest_once(
    db: Database,
    instance: Settings,
    users: dict[str, int],
    smtp_inbox: _Inbox,  # noqa: F811
) -> None:
    with db.session() as session:
        session.get(User, users["redaktion"]).email = "redaktion@stadt.example"
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN).astimezone(UTC)
    assert maybe_send_digest(db, instance, monday)
    assert smtp_inbox.arrived.wait(5)
    assert not maybe_send_digest(db, instance, monday)  # not twice in the same week
    assert len(smtp_inbox.messages) == 1


def test_no_smtp_configured_sends_nothing(
    db: Database, instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ERNSTFALL_SMTP_HOST", raising=False)
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN).astimezone(UTC)
    assert not maybe_send_digest(db, instance, monday)
