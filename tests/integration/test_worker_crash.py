"""Killing the crisis worker with SIGKILL in the middle of a fan-out loses nothing."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from publisher.db import Database
from publisher.models import Delivery
from tests.conftest import Stack, api_token, configure_channels, create_test_app, wait_until
from tests.fakes.mastodon import FakeMastodon
from tests.integration.test_alert_pipeline import VARS, load_demo_templates

pytestmark = pytest.mark.integration
CHANNELS = 12


@pytest.fixture
def slow_mastodon(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    fake = FakeMastodon(token="t").start()
    fake.status_delay = 1.5
    monkeypatch.setenv("TEST_MASTODON_TOKEN", "t")
    yield fake
    fake.stop()


def test_sigkill_mid_fanout_every_delivery_ends_sent(
    stack: Stack, db: Database, users: dict[str, int], slow_mastodon: FakeMastodon
) -> None:
    toml = "".join(
        f'[channels.m{i}]\ntype = "mastodon"\nbase_url = "{slow_mastodon.url}"\n'
        'token_env = "TEST_MASTODON_TOKEN"\n'
        for i in range(CHANNELS)
    )
    configure_channels(db, toml)
    load_demo_templates(db)
    from sqlalchemy import update

    from content_calendar.crisis.models import AlertTemplate
    with db.session() as session:
        session.execute(update(AlertTemplate).values(channel_names=[f"m{i}" for i in range(CHANNELS)]))
    stack.start("crisis")
    stack.start("scheduler")
    token = api_token(db, "krisenstab")
    client = create_test_app().test_client()
    response = client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "variables": VARS, "idempotency_key": "crash"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    slow_mastodon.wait_for(lambda r: r.path == "/api/v1/statuses")  # sends are in flight
    stack.kill("crisis", signal.SIGKILL)

    def states() -> list[str]:
        with db.session() as session:
            return [d.state for d in session.scalars(select(Delivery))]

    assert "sent" not in states() or states().count("sent") < CHANNELS  # killed mid-way
    stack.start("crisis")
    wait_until(lambda: states().count("sent") == CHANNELS, timeout=90, what="all sent")
    # Mastodon deduplicated resends by Idempotency-Key: one status per channel.
    assert len(slow_mastodon.statuses) == CHANNELS
