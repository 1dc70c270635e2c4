"""A community post scheduled a few seconds ahead is published by the tick through a worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from content_calendar.calendar.post_model import Post
from content_calendar.calendar.posts import PostInput, create_post, transition
from publisher.db import Database, utcnow
from publisher.models import Delivery
from publisher.vocabulary import DeliveryState
from tests.conftest import Stack, configure_channels, wait_until
from tests.fakes.mastodon import FakeMastodon

pytestmark = pytest.mark.integration


@pytest.fixture
def mastodon(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    fake = FakeMastodon(token="t").start()
    monkeypatch.setenv("TEST_MASTODON_TOKEN", "t")
    yield fake
    fake.stop()


def plan_post(db: Database, users: dict[str, int], seconds_ahead: float) -> int:
    with db.session() as session:
        from publisher.settings import load_settings

        post = create_post(
            session,
            PostInput(
                text="Tierheim-Liebling der Woche: Bruno",
                channel_names=["mastodon", "vorschau"],
                publish_at=utcnow() + timedelta(seconds=seconds_ahead),
            ),
            load_settings(),
            users["redaktion"],
        )
        transition(session, post, "approved", users["freigabe"], ["approver"])
        return post.id


def test_post_goes_out_on_time_via_tick_and_community_worker(
    stack: Stack, db: Database, users: dict[str, int], mastodon: FakeMastodon
) -> None:
    configure_channels(
        db,
        f'[channels.mastodon]\ntype = "mastodon"\nbase_url = "{mastodon.url}"\n'
        'token_env = "TEST_MASTODON_TOKEN"\n[channels.vorschau]\ntype = "preview"\n',
    )
    stack.start("community")
    stack.start("scheduler")
    post_id = plan_post(db, users, seconds_ahead=3)
    assert not mastodon.posted()  # nothing before its time
    posted = mastodon.wait_for(lambda r: r.path == "/api/v1/statuses", timeout=30)
    assert "Bruno" in posted[0].form()["status"][0]

    def post_state() -> str:
        with db.session() as session:
            post = session.get(Post, post_id)
            assert post is not None
            return post.state

    wait_until(lambda: post_state() == "published", what="post published")
    with db.session() as session:
        deliveries = session.scalars(select(Delivery)).all()
        post = session.get(Post, post_id)
        assert post is not None
        for delivery in deliveries:
            assert delivery.lane == "community"
        real = next(d for d in deliveries if d.channel.name == "mastodon")
        assert real.state == DeliveryState.SENT and real.sent_at is not None
        lateness = (real.sent_at - post.publish_at).total_seconds()
        assert 0 <= lateness < 10
        preview = next(d for d in deliveries if d.channel.name == "vorschau")
        assert preview.state == DeliveryState.PREVIEWED and preview.sent_at is None
        assert preview.rendered["text"].startswith("Tierheim-Liebling")


def test_post_image_is_uploaded_with_its_alt_text(
    stack: Stack, db: Database, users: dict[str, int], mastodon: FakeMastodon
) -> None:
    from content_calendar.calendar.media import store_image

    configure_channels(
        db,
        f'[channels.mastodon]\ntype = "mastodon"\nbase_url = "{mastodon.url}"\n'
        'token_env = "TEST_MASTODON_TOKEN"\n[channels.vorschau]\ntype = "preview"\n',
    )
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    image = store_image(png, "Hund Bruno auf der Wiese", stack.settings)
    stack.start("community")
    stack.start("scheduler")
    with db.session() as session:
        post = create_post(
            session,
            PostInput(
                text="Bruno sucht ein Zuhause",
                channel_names=["mastodon"],
                publish_at=utcnow() + timedelta(seconds=2),
                media=[image.as_media()],
            ),
            stack.settings,
            users["redaktion"],
        )
        transition(session, post, "approved", users["freigabe"], ["approver"])
    mastodon.wait_for(lambda r: r.path == "/api/v1/statuses", timeout=30)
    upload = next(r for r in mastodon.requests if r.path.endswith("/media"))
    assert b"Hund Bruno auf der Wiese" in upload.body
    assert mastodon.posted()[0].form()["media_ids[]"]


def test_post_due_while_the_community_worker_is_down_goes_out_when_it_returns(
    stack: Stack, db: Database, users: dict[str, int], mastodon: FakeMastodon
) -> None:
    configure_channels(
        db,
        f'[channels.mastodon]\ntype = "mastodon"\nbase_url = "{mastodon.url}"\n'
        'token_env = "TEST_MASTODON_TOKEN"\n[channels.vorschau]\ntype = "preview"\n',
    )
    stack.start("scheduler")  # no community worker yet
    plan_post(db, users, seconds_ahead=1)

    def states() -> list[str]:
        with db.session() as session:
            return sorted(session.scalars(select(Delivery.state)).all())

    wait_until(lambda: states() == ["pending", "pending"], what="deliveries created and waiting")
    time.sleep(2)
    assert states() == ["pending", "pending"] and not mastodon.posted()  # waiting, not lost
    stack.start("community")
    mastodon.wait_for(lambda r: r.path == "/api/v1/statuses", timeout=30)
    wait_until(lambda: states() == ["previewed", "sent"], what="both done after the worker returned")
