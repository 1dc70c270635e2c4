"""Outbox tables: configured channels and one delivery row per (message, channel)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publisher.db import Base, UTCDateTime, utcnow
from publisher.vocabulary import ChannelCategory, DeliveryState, Lane, channel_category


class Channel(Base):
    """A configured output. Secrets are never stored here, only references to them."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    lanes: Mapped[str] = mapped_column(String(40), default="crisis,community")
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    base_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Non-secret options plus credential *references* ({"token_env": "..."}).
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the platform itself states about its limits (a Mastodon instance's
    # configuration.statuses), learned by the readiness check, never asked in a request.
    platform_limits: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def serves(self, lane: Lane | str) -> bool:
        return lane in {part.strip() for part in self.lanes.split(",")}

    @property
    def category(self) -> ChannelCategory:
        """Social, plan B or preview: decides whether a delivery can end as sent."""
        return channel_category(self.type)


class Delivery(Base):
    """One message to one channel. The database is the truth; the queue is a nudge."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_source", "source_kind", "source_id"),
        # The scheduler's roll-up (changed post deliveries) and plan B (unconfirmed alert
        # deliveries): both touch only the rows they need, whatever the backlog.
        Index("ix_deliveries_changed", "source_kind", "updated_at"),
        Index("ix_deliveries_kind_state", "source_kind", "state", "created_at"),
        Index("ix_deliveries_lease_owner", "lease_owner", "state"),  # a dead worker's sends
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    lane: Mapped[str] = mapped_column(String(20))
    source_kind: Mapped[str] = mapped_column(String(20))  # "post" | "alert" | "manual"
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    rendered: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)  # "host:pid" of the sender
    last_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    platform_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    remote_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    remote_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    dispatched_inline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    channel: Mapped[Channel] = relationship(lazy="joined")
    log: Mapped[list[DeliveryLog]] = relationship(
        back_populates="delivery", order_by="DeliveryLog.id", cascade="all, delete-orphan"
    )


class DeliveryLog(Base):
    """Every attempt and state change of a delivery: the audit trail of sending."""

    __tablename__ = "delivery_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)

    delivery: Mapped[Delivery] = relationship(back_populates="log")
