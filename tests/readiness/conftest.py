"""Fixtures: a fake Mastodon (crisis channel) and seven.io on loopback, a real SMTP server for
the staff's mail, and crisis staff with an e-mail address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from content_calendar.accounts.models import User
from publisher.db import Database, utcnow
from publisher.readiness import claim_due
from publisher.settings import Settings, load_settings
from tests.conftest import configure_channels
from tests.crisis.conftest import mastodon, seven  # noqa: F401  (the crisis tests' fakes, reused)
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.sms import FakeSeven
from tests.fakes.smtp import FakeSmtp

STAFF = "krisenstab@stadt.example"
CHANNELS = """
[channels.mastodon]
type = "mastodon"
base_url = "{mastodon}"
token_env = "TEST_MASTODON_TOKEN"

[channels.sms]
type = "sms"
provider = "seven"
base_url = "{seven}"
api_key_env = "TEST_SEVEN_KEY"
lanes = ["crisis"]
cost_per_segment = 0.075

[channels.vorschau]
type = "facebook"
preview = true
"""


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSmtp]:
    server = FakeSmtp("ernstfall", "mail-geheim").start()
    monkeypatch.setenv("ERNSTFALL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ERNSTFALL_SMTP_PORT", str(server.port))
    monkeypatch.setenv("ERNSTFALL_SMTP_USER", "ernstfall")
    monkeypatch.setenv("ERNSTFALL_SMTP_PASSWORD", "mail-geheim")
    monkeypatch.setenv("ERNSTFALL_SMTP_FROM", "ernstfall@stadt.example")
    yield server
    server.stop()


@pytest.fixture
def channels(
    db: Database,
    users: dict[str, int],
    mastodon: FakeMastodon,  # noqa: F811
    seven: FakeSeven,  # noqa: F811
    smtp: FakeSmtp,
) -> Settings:
    """Mastodon and SMS configured, the crisis staff reachable by mail; settings read afresh."""
    configure_channels(db, CHANNELS.format(mastodon=mastodon.url, seven=seven.base))
    with db.session() as session:
        staff = session.get(User, users["krisenstab"])
        assert staff is not None
        staff.email = STAFF
    return load_settings()


def due_round(db: Database, settings: Settings, when: datetime | None = None) -> list[int]:
    """The channels the scheduler would claim at ``when`` (default: now)."""
    return claim_due(db, settings, when or utcnow())


def after_intervals(settings: Settings, count: int) -> datetime:
    return utcnow() + timedelta(seconds=settings.health_interval * count + 1)
