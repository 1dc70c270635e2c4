"""Holding community posts in bulk (crisis mode, emergency stop, too late), in short transactions.

A crisis may hold thousands of due posts in one tick. Each post used to be one ORM
``UPDATE`` plus one audit entry sealed on its own (two updates of the chain head per
entry), all in the scheduler's one write transaction, while the crisis lane waited for
the same SQLite writer. Now a batch of posts is one ``UPDATE … RETURNING``, its audit
entries one multi-row ``INSERT`` chained in Python, and the transaction is committed
after every batch (at most :data:`HOLD_BATCH` posts, 50 rows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, update
from sqlalchemy.orm import Session

from content_calendar.accounts import audit_chain
from content_calendar.accounts.models import AuditChain, AuditEvent
from content_calendar.calendar.post_model import Post, PostState
from publisher.db import utcnow

# Posts held per write transaction: each is one post row and one audit row, and the chain
# head is updated twice, so a batch writes at most 2 * HOLD_BATCH + 2 = 50 rows (the
# drain bound of ``scheduling.WRITE_BATCH``).
HOLD_BATCH = 24
HELD_ACTION = "post.held"


def hold_posts(
    session: Session,
    post_ids: Sequence[int],
    reason: str,
    *,
    before_batch: Callable[[], Any] | None = None,
) -> list[int]:
    """Hold the still-approved posts among ``post_ids`` with ``reason``; returns the held ids.

    Every batch is committed before the next one starts, so no crisis write waits behind
    a long hold. ``before_batch`` runs before each batch's writes (the scheduler waits
    there while an alert is being issued).
    """
    held: list[int] = []
    ids = list(post_ids)
    for start in range(0, len(ids), HOLD_BATCH):
        if before_batch is not None:
            before_batch()
        held += _hold_batch(session, ids[start : start + HOLD_BATCH], reason)
        session.commit()
    return held


def _hold_batch(session: Session, ids: list[int], reason: str) -> list[int]:
    now = utcnow()
    held = list(
        session.scalars(
            update(Post)
            .where(Post.id.in_(ids), Post.state == PostState.APPROVED)
            .values(state=PostState.HELD, held_reason=reason, updated_at=now)
            .returning(Post.id)
            .execution_options(synchronize_session=False)
        )
    )
    held.sort()
    entries = [(post_id, {"reason": reason}) for post_id in held]
    audit_many(session, HELD_ACTION, Post.__tablename__, entries, now)
    return held


def audit_many(
    session: Session,
    action: str,
    object_kind: str,
    entries: list[tuple[int, dict[str, Any]]],
    now: datetime,
) -> None:
    """Audit entries for many objects: one head update, one multi-row insert, one head update.

    The same numbers and hashes :func:`audit_chain.seal` gives one entry at a time (the
    chain verifies the same way), in three statements instead of three per entry.
    """
    if not entries:
        return
    head_table = _table(AuditChain)
    head = session.execute(
        update(head_table)
        .where(head_table.c.id == 1)
        .values(entries=head_table.c.entries + len(entries))
        .returning(head_table.c.entries, head_table.c.last_hash)
    ).one_or_none()
    if head is None:
        raise audit_chain.ChainMissing("audit_chain has no head row: run 'ernstfall migrate'")
    seq, prev_hash = head.entries - len(entries), head.last_hash
    rows: list[dict[str, Any]] = []
    for object_id, detail in entries:
        seq += 1
        event = AuditEvent(
            at=now, user_id=None, action=action, object_kind=object_kind, object_id=object_id, detail=detail
        )
        event.seq = seq
        content_hash = audit_chain.content_hash_of(event)
        link = audit_chain.link_hash(prev_hash, content_hash)
        rows.append(
            {
                "at": now,
                "user_id": None,
                "action": action,
                "object_kind": object_kind,
                "object_id": object_id,
                "detail": detail,
                "seq": seq,
                "prev_hash": prev_hash,
                "content_hash": content_hash,
                "hash": link,
                "redacted": False,
            }
        )
        prev_hash = link
    session.execute(insert(_table(AuditEvent)), rows)
    session.execute(update(head_table).where(head_table.c.id == 1).values(last_hash=prev_hash))


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table
