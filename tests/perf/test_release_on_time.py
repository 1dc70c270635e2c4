"""Posts go out at their time, not at the scheduler's next tick (issue 16: 1,000 posts due at once).

Two things, counted and not timed: the scheduler sleeps only until the next approved post
is due, and each released batch is handed to the workers as soon as it is committed, so
sending begins while the rest of a large release is still being written.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.scheduling import WRITE_BATCH, seconds_until_next_due, tick
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState, Lane
from tests.conftest import configure_channels
from workers.scheduler import MIN_WAIT_SECONDS, next_wait

CHANNELS = """
[channels.vorschau]
type = "preview"
lanes = ["community"]
"""


def add_post(db: Database, *, due_in: timedelta, state: str = PostState.APPROVED) -> None:
    with db.session() as session:
        channel_ids = list(session.scalars(select(Channel.id)))
        session.add(Post(text="Beitrag", publish_at=utcnow() + due_in, state=state, channel_ids=channel_ids))


def test_next_due_is_the_earliest_approved_post_still_to_come(db: Database, instance: Settings) -> None:
    configure_channels(db, CHANNELS)
    assert seconds_until_next_due(db) is None  # nothing waiting: the plain tick
    add_post(db, due_in=timedelta(minutes=5))
    add_post(db, due_in=timedelta(seconds=30))
    add_post(db, due_in=timedelta(seconds=2), state=PostState.DRAFT)  # not approved: not released
    add_post(db, due_in=-timedelta(seconds=5))  # already due: this tick's work, not the next wait
    due_in = seconds_until_next_due(db)
    assert due_in is not None and 25 < due_in <= 30


def test_the_scheduler_wakes_when_a_post_falls_due_within_the_tick(db: Database, instance: Settings) -> None:
    configure_channels(db, CHANNELS)
    settings = instance.model_copy(update={"tick_seconds": 10.0})
    started, began = time.monotonic(), utcnow()
    assert next_wait(settings, started, began) > 9  # nothing due: the whole tick
    add_post(db, due_in=timedelta(seconds=3))
    assert 2 < next_wait(settings, started, began) <= 3.1  # the post's time, not the tick's end
    add_post(db, due_in=timedelta(milliseconds=1))
    time.sleep(0.01)  # it fell due after the tick began, before the scheduler asked: wake at once
    assert next_wait(settings, started, began) == MIN_WAIT_SECONDS  # at once, yet never a busy loop


def test_a_post_due_before_the_tick_began_does_not_wake_the_scheduler_again(
    db: Database, instance: Settings
) -> None:
    configure_channels(db, CHANNELS)
    settings = instance.model_copy(update={"tick_seconds": 10.0})
    add_post(db, due_in=-timedelta(seconds=5))  # the tick saw it and could not release it
    started, began = time.monotonic(), utcnow()
    assert next_wait(settings, started, began) > 9  # the next tick tries again, no spinning


def test_each_released_batch_is_handed_over_once_committed(db: Database, instance: Settings) -> None:
    configure_channels(db, CHANNELS)
    with db.session() as session:
        channel_ids = list(session.scalars(select(Channel.id)))
        session.add_all(
            Post(
                text=f"Beitrag {i}",
                publish_at=utcnow() - timedelta(seconds=1),
                state=PostState.APPROVED,
                channel_ids=channel_ids,
            )
            for i in range(100)
        )
    handed: list[list[tuple[int, str]]] = []
    committed_when_handed: list[int] = []

    def handover(deliveries: list[tuple[int, str]]) -> None:
        with db.session() as other:  # another session sees only what was committed
            ids = [d for d, _ in deliveries]
            committed_when_handed.append(
                int(other.scalar(select(func.count()).select_from(Delivery).where(Delivery.id.in_(ids))) or 0)
            )
        handed.append(deliveries)

    report = tick(db, instance, handover=handover)
    assert report.released == 100
    assert report.deliveries == []  # handed over, not left for the caller to enqueue again
    assert len(handed) == -(-100 // (WRITE_BATCH // 3))  # a post and its delivery and log row: 3 rows
    assert committed_when_handed == [len(batch) for batch in handed]
    every = [d for batch in handed for d in batch]
    assert len(every) == len(set(every)) == 100
    assert {lane for _, lane in every} == {Lane.COMMUNITY}
    with db.session() as session:
        states = set(session.scalars(select(Delivery.state)))
    assert states == {DeliveryState.PENDING}


def test_without_handover_the_tick_reports_every_delivery(db: Database, instance: Settings) -> None:
    configure_channels(db, CHANNELS)
    for _ in range(20):
        add_post(db, due_in=-timedelta(seconds=1))
    report = tick(db, instance)
    assert report.released == 20 and report.deliveries is not None and len(report.deliveries) == 20
