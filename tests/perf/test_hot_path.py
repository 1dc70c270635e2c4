"""The alert hot path: nothing heavy in the request, no preflight requests on a first attempt."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from publisher.channels import instagram as instagram_module
from publisher.channels.base import Media, Message
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import create_delivery, process_delivery
from publisher.outputs.alert_tile import tile_jpeg
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState, Lane
from tests.conftest import api_token, configure_channels
from tests.crisis.helpers import approved_library, wait_inline
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.graph import FakeGraph
from tests.fakes.http import Scripted
from tests.perf.conftest import social_channels

STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}


@pytest.fixture
def tile_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread of every tile drawing (the real drawing still runs)."""
    calls: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> bytes:
        calls.append(threading.current_thread().name)
        return tile_jpeg(*args, **kwargs)

    monkeypatch.setattr(instagram_module, "tile_jpeg", counted)
    return calls


@pytest.fixture
def public_https(monkeypatch: pytest.MonkeyPatch) -> None:
    """A public https address (set before the app and its senders read the settings)."""
    monkeypatch.setenv("ERNSTFALL_PUBLIC_URL", "https://warnung.stadt.example")


def test_the_alert_request_does_not_draw_the_instagram_tile_the_send_does_once(
    public_https: None,
    db: Database,
    instance: Settings,
    client: FlaskClient,
    graph: FakeGraph,
    bsky: FakeBluesky,
    tile_calls: list[str],
) -> None:
    configure_channels(db, social_channels(graph, bsky))
    approved_library(db, instance)
    request_thread = threading.current_thread().name
    response = client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "idempotency_key": "perf-tile-1", "variables": STORM},
        headers={"Authorization": f"Bearer {api_token(db, 'krisenstab')}"},
    )
    assert response.status_code in (200, 201), response.get_data(as_text=True)[:2000]
    assert request_thread not in tile_calls  # nothing drawn while the request ran
    wait_inline()  # no Redis here: the deliveries went out in threads of this process
    assert len(tile_calls) == 1 and tile_calls[0].startswith("inline-delivery-")
    ((_, container),) = graph.containers.items()
    name = container["image_url"].rsplit("/", 1)[1]
    # JPEG: the Instagram publishing API takes no other image format
    assert name.endswith(".jpg") and (instance.media_dir / name).read_bytes().startswith(b"\xff\xd8\xff")


def test_a_retried_tile_is_not_drawn_again(
    instance: Settings, graph: FakeGraph, tile_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERNSTFALL_PUBLIC_URL", "https://warnung.stadt.example")
    message = Message(text="Sturm: Parks meiden.", title="Sturm", kind="alert", level="severe")
    tile = instagram_module.alert_tile(message, instance)["tile"]
    instagram_module.draw_tile(tile, instance)
    instagram_module.draw_tile(tile, instance)
    assert len(tile_calls) == 1


def add_delivery(db: Database, settings: Settings, channel_name: str, message: Message) -> int:
    with db.session() as session:
        channel = session.scalar(select(Channel).where(Channel.name == channel_name))
        assert channel is not None
        delivery = create_delivery(
            session,
            channel=channel,
            lane=Lane.CRISIS,
            message=message,
            settings=settings,
            source_kind="manual",
            source_id=None,
        )
        session.flush()
        return delivery.id


def due_now(db: Database, delivery_id: int) -> None:
    """Skip the backoff wait (the retry itself is what the test is about)."""
    with db.session() as session:
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(next_attempt_at=utcnow()))


def paths(fake: FakeGraph | FakeBluesky, ending: str) -> int:
    return len([r for r in fake.requests if r.path.endswith(ending)])


def test_instagram_reads_its_publishing_limit_only_on_a_retry(
    db: Database, instance: Settings, graph: FakeGraph, bsky: FakeBluesky
) -> None:
    configure_channels(db, social_channels(graph, bsky))
    image = "https://stadt.example/media/karte.jpg"
    message = Message(text="Sturm", media=(Media(path="/x.jpg", alt="Karte", public_url=image),))
    first = add_delivery(db, instance, "instagram", message)
    assert process_delivery(db, first, instance) == DeliveryState.SENT
    assert paths(graph, "/content_publishing_limit") == 0
    graph.enqueue(Scripted(500, {"error": {"message": "Service unavailable", "code": 2}}))
    second = add_delivery(db, instance, "instagram", message)
    assert process_delivery(db, second, instance) == DeliveryState.FAILED
    assert paths(graph, "/content_publishing_limit") == 0
    due_now(db, second)
    assert process_delivery(db, second, instance) == DeliveryState.SENT
    assert paths(graph, "/content_publishing_limit") == 1  # the retry asked once
    assert len(graph.ig_media) == 2


def test_bluesky_looks_for_an_earlier_record_only_on_a_retry_and_never_posts_twice(
    db: Database, instance: Settings, graph: FakeGraph, bsky: FakeBluesky
) -> None:
    configure_channels(db, social_channels(graph, bsky))
    message = Message(text="Sturmwarnung für die Nordstadt", kind="alert")
    first = add_delivery(db, instance, "bluesky", message)
    assert process_delivery(db, first, instance) == DeliveryState.SENT
    assert bsky.calls("com.atproto.repo.getRecord") == []
    # The answer of the second post is lost after the record was written: outcome unknown.
    second = add_delivery(db, instance, "bluesky", Message(text="Sturm: Update", kind="alert"))
    create = "/xrpc/com.atproto.repo.createRecord"
    bsky.enqueue(Scripted(200, {"uri": "at://x/y/z", "cid": "c"}, delay=4.0, path_prefix=create))
    assert process_delivery(db, second, instance) == DeliveryState.FAILED
    with db.session() as session:
        delivery = session.get(Delivery, second)
        assert delivery is not None and delivery.rendered is not None
        rkey = delivery.rendered["rkey"]
    bsky.records[rkey] = {"text": "Sturm: Update"}  # the PDS wrote it; only the answer was lost
    due_now(db, second)
    assert process_delivery(db, second, instance) == DeliveryState.SENT
    assert len(bsky.calls("com.atproto.repo.getRecord")) == 1
    assert len(bsky.calls("com.atproto.repo.createRecord")) == 2
