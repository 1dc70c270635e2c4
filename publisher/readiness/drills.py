"""What the last drill (planned test alert) found per channel, folded into readiness.

A credential check says the platform knows our token; a drill says a message actually got
through. When a channel's last drill failed, its readiness is at least that bad until a
later drill on it succeeds: ``overlay`` combines the two for every check, so the state the
console, the API, ``/metrics`` and the staff notifications see already includes the drill.

The drills themselves (plans, occurrences, sending) live in ``content_calendar.crisis.drills``;
this module only keeps the per-channel outcome, so ``publisher`` stays free of alerts.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from publisher.db import Base, Database, UTCDateTime
from publisher.readiness.models import ChannelHealth
from publisher.vocabulary import ReadinessState

if TYPE_CHECKING:
    from publisher.readiness.check import Verdict

R = ReadinessState


class DrillOutcome(Base):
    """The outcome of the newest drill on one channel (ok, warning or failing, and why)."""

    __tablename__ = "drill_outcomes"

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    run_key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


def worse(a: ReadinessState, b: ReadinessState) -> bool:
    """Is ``a`` worse than ``b``?"""
    order = list(R)
    return order.index(a) > order.index(b)


def latest(db: Database, channel_id: int) -> DrillOutcome | None:
    with db.session() as session:
        row = session.get(DrillOutcome, channel_id)
        if row is not None:
            session.expunge(row)
        return row


def overlay(verdict: Verdict, drill: DrillOutcome | None) -> Verdict:
    """The check's verdict, unless the channel's last drill says something worse."""
    if drill is None or not worse(R(drill.state), verdict.state):
        return verdict
    return dataclasses.replace(verdict, state=R(drill.state), reason=drill.reason)


def record_outcome(
    session: Session, channel_id: int, state: ReadinessState, reason: str, run_key: str, now: datetime
) -> bool:
    """Store a channel's drill outcome; True when it changed.

    A change makes the channel's readiness check due at once, so the next scheduler tick
    folds it into the channel's state and the staff hear of it the way they hear of any
    change (``publisher.readiness.notify``), not through a second notifier.
    """
    row = session.get(DrillOutcome, channel_id)
    if row is not None and row.state == state and row.reason == reason and row.run_key == run_key:
        return False
    if row is None:
        row = DrillOutcome(channel_id=channel_id)
        session.add(row)
    row.state, row.reason, row.run_key, row.at = state, reason, run_key, now
    session.execute(
        update(ChannelHealth)
        .where(ChannelHealth.channel_id == channel_id)
        .values(next_check_at=now)
        .execution_options(synchronize_session=False)
    )
    return True
