"""While community posts drain, no community write transaction grows with the backlog.

Counted, not timed (issue 16, the drain phase): the rows each transaction writes (SQLite's
own change counter, read when the transaction begins and when it commits) while the
scheduler releases, holds and rolls up posts and the community lane claims and records
their deliveries; and the SQL statements that holding 1,000 posts in crisis mode costs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select

from content_calendar.accounts.models import AuditEvent, verify_audit_chain
from content_calendar.calendar.hold import HOLD_BATCH
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.scheduling import WRITE_BATCH, tick
from content_calendar.crisis.models import Alert
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import process_many
from publisher.outbox.dispatch import COMMUNITY_BATCH
from publisher.settings import Settings
from publisher.vocabulary import AlertLevel, DeliveryState, Lane
from tests.conftest import configure_channels

CHANNELS = """
[channels.vorschau]
type = "preview"
lanes = ["community"]

[channels.zweite_vorschau]
type = "preview"
lanes = ["community"]
"""


@contextmanager
def rows_per_transaction(db: Database) -> Iterator[list[int]]:
    """The rows every committed transaction wrote (inserted, updated or deleted) while the block runs."""
    written: list[int] = []
    started: dict[int, int] = {}

    def changes(connection: Any) -> int:
        return int(connection.connection.driver_connection.total_changes)

    def begin(connection: Any) -> None:
        started[id(connection)] = changes(connection)

    def commit(connection: Any) -> None:
        written.append(changes(connection) - started.pop(id(connection), changes(connection)))

    event.listen(db.engine, "begin", begin)
    event.listen(db.engine, "commit", commit)
    try:
        yield written
    finally:
        event.remove(db.engine, "begin", begin)
        event.remove(db.engine, "commit", commit)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def due_posts(db: Database, count: int, *, late: bool = False) -> None:
    """``count`` approved posts due now (or two hours late), each for both preview channels."""
    with db.session() as session:
        channel_ids = list(session.scalars(select(Channel.id).order_by(Channel.id)))
        when = utcnow() - (timedelta(hours=2) if late else timedelta(seconds=1))
        session.add_all(
            Post(text=f"Beitrag {i}", publish_at=when, state=PostState.APPROVED, channel_ids=channel_ids)
            for i in range(count)
        )


def posts_in(db: Database, state: str) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Post).where(Post.state == state)) or 0)


def community_deliveries(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(Delivery.id).where(Delivery.lane == Lane.COMMUNITY)))


def test_releasing_sending_and_rolling_up_300_posts_never_writes_more_than_50_rows_per_transaction(
    db: Database, instance: Settings
) -> None:
    configure_channels(db, CHANNELS)
    due_posts(db, 300)
    with rows_per_transaction(db) as written:
        report = tick(db, instance)
        ids = community_deliveries(db)
        for start in range(0, len(ids), COMMUNITY_BATCH):
            states = process_many(db, ids[start : start + COMMUNITY_BATCH], instance)
            assert set(states.values()) == {DeliveryState.PREVIEWED}
        tick(db, instance)  # the roll-up: every post published
    assert report.released == 300 and len(ids) == 600
    assert posts_in(db, PostState.PUBLISHED) == 300
    # 300 posts, 600 deliveries and 600 log rows released, 600 claims and 600 outcomes
    # recorded, 300 roll-ups: thousands of rows, never more than WRITE_BATCH at once.
    assert sum(written) > 3000
    assert max(written) <= WRITE_BATCH, sorted(written)[-5:]


def test_holding_1000_posts_in_crisis_mode_is_a_bounded_number_of_statements_and_short_transactions(
    db: Database, instance: Settings
) -> None:
    configure_channels(db, CHANNELS)
    with db.session() as session:
        session.add(
            Alert(
                identifier="urn:test:unwetter",
                idempotency_key="unwetter-1",
                level=AlertLevel.SEVERE,
                headline="Unwetter",
                active=True,
            )
        )
    due_posts(db, 1000)
    with rows_per_transaction(db) as written, statements(db) as seen:
        report = tick(db, instance)
    assert report.held == 1000 and report.released == 0
    assert posts_in(db, PostState.HELD) == 1000
    # Per batch of HOLD_BATCH posts: one UPDATE of the posts, the chain head twice, one
    # multi-row INSERT of their audit entries. Before: three statements per post and more.
    batches = -(-1000 // HOLD_BATCH)
    writes = [s for s in seen if not s.lstrip().upper().startswith("SELECT")]
    assert len(writes) <= 4 * batches + 5, len(writes)
    assert max(written) <= WRITE_BATCH
    with db.session() as session:
        held = session.scalars(select(AuditEvent).where(AuditEvent.action == "post.held")).all()
        assert len(held) == 1000
        reason = "Krisenmodus: Community-Beiträge ruhen bis zur Entwarnung"
        assert {e.detail["reason"] for e in held} == {reason}
        assert verify_audit_chain(session).ok  # numbered and chained exactly like single entries


def test_posts_too_late_are_held_with_their_own_reason_and_a_valid_audit_chain(
    db: Database, instance: Settings
) -> None:
    configure_channels(db, CHANNELS)
    due_posts(db, 60, late=True)
    due_posts(db, 5)
    report = tick(db, instance)
    assert report.held == 60 and report.released == 5
    with db.session() as session:
        reasons = set(session.scalars(select(Post.held_reason).where(Post.state == PostState.HELD)))
        assert reasons == {f"Mehr als {instance.late_post_minutes} Minuten verspätet — bitte entscheiden"}
        assert verify_audit_chain(session).ok
