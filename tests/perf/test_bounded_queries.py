"""The scheduler's roll-up and plan B touch only due or changed rows, whatever the backlog.

Counted, not timed: SQL statements and ORM rows loaded in one tick's roll-up and one
escalation pass, with a small and with a large backlog, must be the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select, text, update

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.scheduling import (
    RollUpMark,
    TickReport,
    changed_publishing_posts,
    roll_up_post_states,
)
from content_calendar.crisis.models import Alert
from content_calendar.crisis.plan_b import escalate, escalation_candidates, plan_b_settings
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState, Lane
from tests.conftest import configure_channels

CHANNELS = """
[channels.mastodon]
type = "mastodon"
base_url = "http://127.0.0.1:9"
token_env = "TEST_MASTODON_TOKEN"
"""


@contextmanager
def counting(db: Database) -> Iterator[Counter[str]]:
    """Count SQL statements and ORM instances loaded (by class) while the block runs."""
    seen: Counter[str] = Counter()

    def statement(*_: Any) -> None:
        seen["statements"] += 1

    def loaded(target: Any, _context: Any) -> None:
        seen[type(target).__name__] += 1

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(Post, "load", loaded)
    event.listen(Alert, "load", loaded)
    event.listen(Delivery, "load", loaded)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(Post, "load", loaded)
        event.remove(Alert, "load", loaded)
        event.remove(Delivery, "load", loaded)


def delivery(channel_id: int, kind: str, source_id: int, state: str, key: str) -> Delivery:
    return Delivery(
        channel_id=channel_id,
        lane=Lane.COMMUNITY if kind == "post" else Lane.CRISIS,
        source_kind=kind,
        source_id=source_id,
        message={"text": "x"},
        state=state,
        idempotency_key=key,
    )


def publishing_backlog(db: Database, size: int) -> int:
    """``size`` publishing posts with a pending delivery each; returns the mastodon channel id."""
    with db.session() as session:
        channel_id = session.scalars(select(Channel.id).where(Channel.name == "mastodon")).one()
        posts = [
            Post(text=f"Beitrag {i}", publish_at=utcnow(), state=PostState.PUBLISHING) for i in range(size)
        ]
        session.add_all(posts)
        session.flush()
        waiting = utcnow() - timedelta(minutes=5)  # released a while ago, still waiting in the queue
        for post in posts:
            pending = delivery(channel_id, "post", post.id, DeliveryState.PENDING, f"post-{post.id}")
            pending.created_at = pending.updated_at = waiting
            session.add(pending)
    return channel_id


def one_roll_up_after_a_send(db: Database, backlog: int) -> tuple[Counter[str], str]:
    channel_id = publishing_backlog(db, backlog)
    with db.session() as session:
        post = Post(text="Gleich fertig", publish_at=utcnow(), state=PostState.PUBLISHING)
        session.add(post)
        session.flush()
        done = delivery(channel_id, "post", post.id, DeliveryState.SENDING, f"post-{post.id}-done")
        session.add(done)
        session.flush()
        post_id, done_id = post.id, done.id
    mark = RollUpMark()
    with db.session() as session:
        roll_up_post_states(session, TickReport(deliveries=[]), mark)  # the full pass at start
    with db.session() as session:  # a worker records the send
        session.execute(update(Delivery).where(Delivery.id == done_id).values(state=DeliveryState.SENT))
    with counting(db) as seen, db.session() as session:
        report = TickReport(deliveries=[])
        roll_up_post_states(session, report, mark)
    assert report.finished == 1
    with db.session() as session:
        state = session.scalars(select(Post.state).where(Post.id == post_id)).one()
    return seen, state


def test_the_post_roll_up_costs_the_same_with_5_or_2000_posts_publishing(
    db: Database, instance: Settings
) -> None:
    configure_channels(db, CHANNELS)
    small, state = one_roll_up_after_a_send(db, 5)
    assert state == PostState.PUBLISHED
    with db.session() as session:  # the same database, now with a large backlog
        session.execute(update(Post).values(state=PostState.PUBLISHED))
    large, state = one_roll_up_after_a_send(db, 2000)
    assert state == PostState.PUBLISHED
    assert large == small
    assert large["Post"] == 0 and large["Delivery"] == 0  # ids and states only, no ORM rows


def test_the_changed_post_query_uses_its_index(db: Database, instance: Settings) -> None:
    with db.session() as session:
        changed_publishing_posts(session, utcnow())
        sql = (
            "EXPLAIN QUERY PLAN SELECT DISTINCT source_id FROM deliveries "
            "WHERE source_kind = 'post' AND updated_at >= '2026-01-01'"
        )
        plan = " ".join(str(row[-1]) for row in session.execute(text(sql)))
    assert "ix_deliveries_changed" in plan


def alerts_with_sent_deliveries(db: Database, count: int, start: int) -> int:
    with db.session() as session:
        channel_id = session.scalars(select(Channel.id).where(Channel.name == "mastodon")).one()
        for index in range(start, start + count):
            alert = Alert(
                identifier=f"urn:test:{index}",
                idempotency_key=f"alert-{index}",
                level="severe",
                headline="Sturm",
                created_at=utcnow() - timedelta(minutes=30),
            )
            session.add(alert)
            session.flush()
            session.add(delivery(channel_id, "alert", alert.id, DeliveryState.SENT, f"alert-{alert.id}-m"))
    return channel_id


def escalation_cost(db: Database, settings: Settings) -> Counter[str]:
    with counting(db) as seen:
        assert escalate(db, settings) == []
    return seen


def test_escalation_costs_the_same_with_5_or_300_alerts_in_the_window(
    db: Database, instance: Settings
) -> None:
    configure_channels(db, CHANNELS)
    alerts_with_sent_deliveries(db, 5, 0)
    small = escalation_cost(db, instance)
    channel_id = alerts_with_sent_deliveries(db, 295, 5)
    large = escalation_cost(db, instance)
    assert large["statements"] == small["statements"]
    assert large["Alert"] == small["Alert"] == 0
    assert large["Delivery"] == small["Delivery"] == 0
    with db.session() as session:  # one platform refuses a later alert: it, and only it, is a candidate
        failing = Alert(identifier="urn:test:dead", idempotency_key="dead", level="severe", headline="Gas")
        session.add(failing)
        session.flush()
        session.add(delivery(channel_id, "alert", failing.id, DeliveryState.DEAD, "alert-dead-m"))
        session.flush()
        found = escalation_candidates(session, plan_b_settings(), utcnow())
        assert [a.identifier for a in found] == ["urn:test:dead"]
