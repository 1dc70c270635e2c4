"""The sweep does not pile up community nudges while the community queue is still draining."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis as redis_lib
from sqlalchemy import select, update

from publisher.channels.base import Message
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import create_delivery, sweep
from publisher.outbox.dispatch import COMMUNITY_BATCH, HEARTBEAT_KEY, Dispatcher
from publisher.settings import Settings, load_settings
from publisher.vocabulary import DeliveryState, Lane
from tests.conftest import configure_channels

CHANNELS = '[channels.vorschau]\ntype = "preview"\nlanes = ["community"]\n'


@pytest.fixture
def queue(redis_server: str, instance: Settings, monkeypatch: pytest.MonkeyPatch) -> redis_lib.Redis:
    """A real Redis with an empty community queue and a community worker's heartbeat (no worker)."""
    monkeypatch.setenv("REDIS_URL", redis_server)
    client = redis_lib.Redis.from_url(redis_server)
    client.delete(Lane.COMMUNITY.value)
    client.set(HEARTBEAT_KEY.format(lane=Lane.COMMUNITY.value), "1", ex=60)
    return client


def pending_posts(db: Database, settings: Settings, count: int) -> list[int]:
    with db.session() as session:
        channel = session.scalars(select(Channel).where(Channel.name == "vorschau")).one()
        rows = [
            create_delivery(
                session,
                channel=channel,
                lane=Lane.COMMUNITY,
                message=Message(text=f"Beitrag {i}"),
                settings=settings,
                source_kind="manual",
                source_id=None,
            )
            for i in range(count)
        ]
        session.flush()
        return [row.id for row in rows]


def age_nudges(db: Database, settings: Settings) -> None:
    """Every nudge older than the requeue interval (the drain took longer than that)."""
    old = utcnow() - timedelta(seconds=2 * settings.requeue_after_seconds)
    with db.session() as session:
        session.execute(update(Delivery).values(last_enqueued_at=old))


def test_a_draining_community_queue_is_not_nudged_again_but_a_retry_and_a_lost_message_are(
    db: Database, queue: redis_lib.Redis
) -> None:
    settings = load_settings()
    configure_channels(db, CHANNELS)
    dispatcher = Dispatcher(settings, db)
    ids = pending_posts(db, settings, 30)
    dispatcher.enqueue([(i, Lane.COMMUNITY.value) for i in ids])
    tasks = -(-30 // COMMUNITY_BATCH)  # 30 posts in batches of COMMUNITY_BATCH
    assert tasks > 1
    assert queue.llen(Lane.COMMUNITY.value) == tasks  # waiting for a worker
    age_nudges(db, settings)

    def run_sweep() -> int:
        return sweep(db, settings, dispatcher.enqueue, dispatcher.busy_lanes())

    assert run_sweep() == 0
    assert run_sweep() == 0
    assert queue.llen(Lane.COMMUNITY.value) == tasks  # before the fix: twice, three times, ...

    with db.session() as session:  # one failed and is due for its retry: it has no nudge waiting
        session.execute(
            update(Delivery)
            .where(Delivery.id == ids[0])
            .values(state=DeliveryState.FAILED, last_enqueued_at=None, next_attempt_at=utcnow())
        )
    assert run_sweep() == 1
    assert queue.llen(Lane.COMMUNITY.value) == tasks + 1

    queue.delete(Lane.COMMUNITY.value)  # the queue drained, yet the rows are still pending: lost
    age_nudges(db, settings)
    assert run_sweep() == 30
    assert queue.llen(Lane.COMMUNITY.value) == tasks
