"""The boards' delivery feed carries alert deliveries only and lets go of old ones.

A community drain (thousands of post deliveries a minute) must cost the web process
nothing: before, every poll loaded every delivery changed in the last ten seconds and the
feed kept every delivery it ever saw, for as long as the web process ran.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from publisher.channels.base import Message
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import create_delivery
from publisher.outbox.live import WARM_UP, DeliveryFeed
from publisher.settings import Settings
from tests.conftest import configure_channels

CHANNELS = """
[channels.hook]
type = "webhook"
preview = true
"""


@pytest.fixture
def channel_id(db: Database) -> int:
    configure_channels(db, CHANNELS)
    with db.session() as session:
        return session.scalars(select(Channel.id)).one()


def deliveries(db: Database, settings: Settings, channel_id: int, source_kind: str, count: int) -> list[int]:
    with db.session() as session:
        created = [
            create_delivery(
                session,
                channel=session.get(Channel, channel_id),
                lane="crisis" if source_kind == "alert" else "community",
                message=Message(text=f"{source_kind} {number}"),
                settings=settings,
                source_kind=source_kind,
                source_id=number + 1,
            )
            for number in range(count)
        ]
        session.flush()
        return [d.id for d in created]


def test_the_feed_carries_alert_deliveries_and_no_post_deliveries(
    db: Database, instance: Settings, channel_id: int
) -> None:
    alerts = deliveries(db, instance, channel_id, "alert", 2)
    deliveries(db, instance, channel_id, "post", 50)
    feed = DeliveryFeed(db, interval=3600).start()  # the warm-up poll only: no thread in the way
    try:
        assert sorted(feed.rows) == sorted(alerts)
        version = feed.version
        deliveries(db, instance, channel_id, "post", 50)  # a drain goes on: nothing for the boards
        feed._poll(since=utcnow() - timedelta(minutes=1))
        assert feed.version == version
        assert sorted(feed.rows) == sorted(alerts)
        assert feed.snapshot("alert", 1)[1][0]["id"] == alerts[0]
    finally:
        feed.stop()


def test_the_feed_lets_go_of_deliveries_unchanged_for_its_warm_up_time(
    db: Database, instance: Settings, channel_id: int
) -> None:
    old, fresh = deliveries(db, instance, channel_id, "alert", 2)
    feed = DeliveryFeed(db, interval=3600).start()
    try:
        assert sorted(feed.rows) == [old, fresh]
        feed.rows[old]["updated_at"] = (utcnow() - WARM_UP - timedelta(minutes=1)).isoformat()
        assert feed.prune() == 1
        assert sorted(feed.rows) == [fresh]
        with db.session() as session:  # changed again: the next poll brings it back
            session.execute(update(Delivery).where(Delivery.id == old).values(attempts=1))
        feed._poll(since=utcnow() - timedelta(minutes=1))
        assert sorted(feed.rows) == [old, fresh]
    finally:
        feed.stop()
