"""The readiness table: one row per channel with the outcome of its last credential check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publisher.db import Base, UTCDateTime, utcnow
from publisher.models import Channel
from publisher.vocabulary import ReadinessState


class ChannelHealth(Base):
    """What the last check of a channel found, and what the crisis staff were last told.

    ``notified_state`` is the state the staff know about; a row whose ``state`` differs
    from it owes them one notification (claimed with a conditional UPDATE, so two
    workers never send it twice).
    """

    __tablename__ = "channel_health"

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default=ReadinessState.OK)
    reason: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    balance: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(8), default="")
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_state: Mapped[str] = mapped_column(String(20), default=ReadinessState.OK)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    channel: Mapped[Channel] = relationship(lazy="joined")
