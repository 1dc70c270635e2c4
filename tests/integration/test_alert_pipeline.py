"""An alert through the API reaches real fake servers via real Redis and Celery workers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from publisher.db import Database
from publisher.models import Delivery
from tests.conftest import (
    Stack,
    api_token,
    configure_channels,
    create_test_app,
    login,
    wait_until,
)
from tests.fakes.http import Scripted
from tests.fakes.mastodon import FakeMastodon

pytestmark = pytest.mark.integration

VARS = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}


@pytest.fixture
def mastodon(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    fake = FakeMastodon(token="mast-token").start()
    monkeypatch.setenv("TEST_MASTODON_TOKEN", "mast-token")
    yield fake
    fake.stop()


@pytest.fixture
def alert_setup(db: Database, users: dict[str, int], mastodon: FakeMastodon) -> str:
    configure_channels(
        db,
        f"""
[channels.banner]
type = "banner"
lanes = ["crisis"]

[channels.mastodon]
type = "mastodon"
base_url = "{mastodon.url}"
token_env = "TEST_MASTODON_TOKEN"
""",
    )
    load_demo_templates(db)
    return api_token(db, "krisenstab")


def load_demo_templates(db: Database) -> None:
    from content_calendar.crisis.models import AlertTemplate
    from content_calendar.crisis.template_library import TEMPLATES
    from publisher.db import utcnow

    with db.session() as session:
        for spec in TEMPLATES:
            session.add(AlertTemplate(**spec, approved_at=utcnow()))


def deliveries_by_channel(db: Database) -> dict[str, Delivery]:
    from sqlalchemy import select

    with db.session() as session:
        return {d.channel.name: d for d in session.scalars(select(Delivery))}


def send_alert(client, token: str, key: str = "k-1"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "variables": VARS},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


def test_alert_reaches_mastodon_and_banner_through_workers(
    stack: Stack, db: Database, alert_setup: str, mastodon: FakeMastodon
) -> None:
    stack.start("crisis")
    client = create_test_app().test_client()
    response = send_alert(client, alert_setup)
    assert response.status_code == 201, response.json
    posted = mastodon.wait_for(lambda r: r.path == "/api/v1/statuses")
    assert "Unwetterwarnung für Nordstadt" in posted[0].form()["status"][0]
    assert posted[0].headers["idempotency-key"].startswith("alert-")
    state = wait_until(
        lambda: deliveries_by_channel(db)["mastodon"].state == "sent" or None, what="mastodon delivery sent"
    )
    assert state
    by_channel = deliveries_by_channel(db)
    assert by_channel["mastodon"].remote_url.startswith(mastodon.url)
    assert not by_channel["mastodon"].dispatched_inline
    banner = client.get("/public/banner.json").json["banner"]
    assert banner["headline"] == "Unwetterwarnung für Nordstadt"
    assert banner["level"] == "severe"


def test_same_idempotency_key_yields_one_alert(
    stack: Stack, db: Database, alert_setup: str, mastodon: FakeMastodon
) -> None:
    stack.start("crisis")
    client = create_test_app().test_client()
    first = send_alert(client, alert_setup, key="double-click")
    second = send_alert(client, alert_setup, key="double-click")
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json["id"] == second.json["id"]
    mastodon.wait_for(lambda r: r.path == "/api/v1/statuses")
    wait_until(lambda: deliveries_by_channel(db)["mastodon"].state == "sent", what="sent")
    assert len(mastodon.posted()) == 1


def test_mastodon_500_is_retried_then_succeeds(
    stack: Stack, db: Database, alert_setup: str, mastodon: FakeMastodon
) -> None:
    mastodon.enqueue(
        Scripted(500, {"error": "Internal Server Error"}, path_prefix="/api/v1/statuses"),
        Scripted(503, {"error": "Service Unavailable"}, path_prefix="/api/v1/statuses"),
    )
    stack.start("crisis")
    stack.start("scheduler")  # the sweep re-enqueues retries when they are due
    client = create_test_app().test_client()
    assert send_alert(client, alert_setup).status_code == 201
    wait_until(lambda: deliveries_by_channel(db)["mastodon"].state == "sent", what="sent")
    delivery = deliveries_by_channel(db)["mastodon"]
    assert delivery.attempts == 3
    keys = {r.headers["idempotency-key"] for r in mastodon.posted()}
    assert len(keys) == 1  # every retry carries the same key, so Mastodon cannot duplicate


def test_mastodon_401_is_permanent_and_shown(
    stack: Stack,
    db: Database,
    alert_setup: str,
    mastodon: FakeMastodon,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mastodon.token = "rotated"  # our token no longer valid
    stack.start("crisis")
    stack.start("scheduler")
    client = create_test_app().test_client()
    response = send_alert(client, alert_setup)
    alert_id = response.json["id"]
    wait_until(lambda: deliveries_by_channel(db)["mastodon"].state == "dead", what="dead")
    delivery = deliveries_by_channel(db)["mastodon"]
    assert delivery.attempts == 1
    assert delivery.platform_message == "The access token is invalid"
    body = client.get(f"/api/v1/alerts/{alert_id}", headers={"Authorization": f"Bearer {alert_setup}"}).json
    shown = {d["channel"]: d for d in body["deliveries"]}
    assert shown["mastodon"]["state"] == "dead"
    assert "Token prüfen" in shown["mastodon"]["last_error"]
    assert shown["banner"]["state"] == "sent"
    login(client, "fallback")
    page = client.get("/deliveries").get_data(as_text=True)
    assert "The access token is invalid" in page
