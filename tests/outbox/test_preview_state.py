"""A preview channel renders what would be posted and reaches nobody: it ends "previewed",
is never reported or counted as sent, and every page and the API say so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.scheduling import tick
from content_calendar.crisis.plan_b import fallback_reason
from publisher.channels.base import Message
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import confirmed_state, create_delivery, process_many
from publisher.outbox.live import confirmation
from publisher.settings import Settings
from publisher.vocabulary import DELIVERY_STATE_LABELS, DeliveryState
from tests.conftest import api_token, configure_channels, login
from tests.crisis.helpers import wait_for, wait_inline
from tests.fakes.mastodon import FakeMastodon

S = DeliveryState
STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}
CHANNELS = """
[channels.mastodon]
type = "mastodon"
base_url = "{url}"
token_env = "TEST_MASTODON_TOKEN"

[channels.vorschau]
type = "mastodon"
preview = true
"""


@pytest.fixture
def mastodon(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    fake = FakeMastodon(token="mast-token").start()
    monkeypatch.setenv("TEST_MASTODON_TOKEN", "mast-token")
    yield fake
    fake.stop()


@pytest.fixture
def two_channels(db: Database, mastodon: FakeMastodon) -> dict[str, int]:
    """A real Mastodon (fake server on loopback) and a preview that imitates Mastodon."""
    configure_channels(db, CHANNELS.format(url=mastodon.url))
    with db.session() as session:
        return {c.name: c.id for c in session.scalars(select(Channel))}


def _deliver(db: Database, settings: Settings, channel_ids: dict[str, int]) -> dict[str, int]:
    with db.session() as session:
        created = {
            name: create_delivery(
                session,
                channel=session.get(Channel, channel_id),
                lane="community",
                message=Message(text="Tierheim-Liebling der Woche: Kater Moritz"),
                settings=settings,
                source_kind="manual",
                source_id=None,
            )
            for name, channel_id in channel_ids.items()
        }
        session.flush()
        return {name: d.id for name, d in created.items()}


def _delivery(db: Database, delivery_id: int) -> Delivery:
    with db.session() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        delivery.log  # noqa: B018  (load the log before the session closes)
        return delivery


def test_a_preview_delivery_ends_previewed_while_the_real_channel_ends_sent(
    db: Database, instance: Settings, two_channels: dict[str, int], mastodon: FakeMastodon
) -> None:
    ids = _deliver(db, instance, two_channels)
    states = process_many(db, list(ids.values()), instance)
    assert states == {ids["mastodon"]: S.SENT, ids["vorschau"]: S.PREVIEWED}
    assert len(mastodon.posted()) == 1  # only the real channel reached a platform
    preview = _delivery(db, ids["vorschau"])
    assert preview.state == S.PREVIEWED
    assert preview.sent_at is None  # nothing was sent, so there is no send time
    assert preview.rendered and preview.rendered["text"].startswith("Tierheim-Liebling")
    assert [entry.event for entry in preview.log] == ["created", "attempt", "previewed"]
    real = _delivery(db, ids["mastodon"])
    assert real.state == S.SENT and real.sent_at is not None and real.remote_url


def test_the_outbox_decides_from_the_channel_category_not_from_the_adapter() -> None:
    assert confirmed_state("preview") == S.PREVIEWED
    for real in ("mastodon", "x", "sms", "banner", "cap", "email"):
        assert confirmed_state(real) == S.SENT


def test_all_confirmed_counts_real_channels_only_and_previews_apart() -> None:
    def event(category: str, state: str) -> dict[str, str]:
        return {"category": category, "state": state}

    waiting = confirmation(
        [event("social", S.SENDING), event("fallback", S.SENT), event("preview", S.PREVIEWED)]
    )
    assert not waiting.all_confirmed and waiting.previews == 1
    done = confirmation([event("social", S.SENT), event("fallback", S.SENT), event("preview", S.PREVIEWED)])
    assert done.all_confirmed and (done.real, done.confirmed, done.previews) == (2, 2, 1)
    only_previews = confirmation([event("preview", S.PREVIEWED), event("preview", S.PREVIEWED)])
    assert not only_previews.all_confirmed and only_previews.previews == 2  # nobody was reached


def test_every_delivery_state_has_a_german_label_and_a_preview_is_not_gesendet() -> None:
    assert set(DELIVERY_STATE_LABELS) == set(DeliveryState)
    assert S.PREVIEWED.label.startswith("Vorschau")
    assert "gesendet" not in S.PREVIEWED.label


def test_a_rendered_preview_does_not_trigger_the_sms_fallback(
    db: Database, instance: Settings, two_channels: dict[str, int]
) -> None:
    ids = _deliver(db, instance, two_channels)
    process_many(db, list(ids.values()), instance)
    with db.session() as session:
        rows = list(session.scalars(select(Delivery)))
        assert fallback_reason(rows, now_age=3600, limit=60) is None


def test_a_post_on_a_real_and_a_preview_channel_is_published_once_both_are_done(
    db: Database, instance: Settings, two_channels: dict[str, int]
) -> None:
    with db.session() as session:
        post = Post(
            text="Stadtfest am Samstag",
            channel_ids=list(two_channels.values()),
            publish_at=utcnow(),
            state=PostState.APPROVED,
        )
        session.add(post)
        session.flush()
        post_id = post.id
    report = tick(db, instance)
    assert report.deliveries
    process_many(db, [delivery_id for delivery_id, _ in report.deliveries], instance)
    tick(db, instance)
    with db.session() as session:
        assert session.get(Post, post_id).state == PostState.PUBLISHED
        states = sorted(session.scalars(select(Delivery.state)))
    assert states == [S.PREVIEWED, S.SENT]


def test_the_dashboard_shows_a_preview_as_vorschau_not_as_gesendet(
    client: FlaskClient, db: Database, users: dict[str, int], instance: Settings, two_channels: dict[str, int]
) -> None:
    ids = _deliver(db, instance, {"vorschau": two_channels["vorschau"]})
    process_many(db, list(ids.values()), instance)
    login(client, "redaktion")
    page = client.get("/deliveries").get_data(as_text=True)
    assert "Vorschau (nicht veröffentlicht)" in page
    assert ">gesendet<" not in page
    only_previewed = client.get("/deliveries?state=previewed").get_data(as_text=True)
    assert f'data-delivery="{ids["vorschau"]}"' in only_previewed


def test_the_api_reports_an_alert_preview_as_previewed_and_the_real_channel_as_sent(
    client: FlaskClient, db: Database, users: dict[str, int], two_channels: dict[str, int], instance: Settings
) -> None:
    from tests.crisis.helpers import approved_library

    approved_library(db, instance)
    with db.session() as session:
        for channel in session.scalars(select(Channel)):
            channel.options = {**(channel.options or {}), "every_alert": True}
    token = api_token(db, "krisenstab")
    auth = {"Authorization": f"Bearer {token}"}
    created = client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "variables": STORM, "idempotency_key": "p1"},
        headers=auth,
    )
    assert created.status_code == 201, created.json
    wait_inline()  # no Redis here: the web process sends the crisis deliveries itself

    def shown() -> dict[str, dict[str, str]] | None:
        body = client.get(f"/api/v1/alerts/{created.json['id']}", headers=auth).json
        found = {d["channel"]: d for d in body["deliveries"]}
        return found if {d["state"] for d in found.values()} <= {"sent", "previewed"} else None

    deliveries = wait_for(shown)
    assert deliveries["vorschau"]["state"] == "previewed"
    assert deliveries["mastodon"]["state"] == "sent"
    listed = client.get("/api/v1/deliveries?state=previewed", headers=auth).json["deliveries"]
    assert [d["channel"] for d in listed] == ["vorschau"]
