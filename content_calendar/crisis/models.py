"""Alert templates (approved by a second person) and the alerts sent from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content_calendar.accounts.models import User
from publisher.db import Base, UTCDateTime, utcnow


class AlertTemplate(Base):
    """A prepared alert, usable only once a second person approved this version."""

    __tablename__ = "alert_templates"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))  # extreme | severe | info | allclear
    cap: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {"de": {"headline": ..., "text": ...}, "en": {...}, "de-x-ls": {...}}
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    # {"ort": {"type": "place", "label": "Ort", "required": true}}
    placeholders: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What the channel adapters said about the renderings when this version was approved.
    check_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    @property
    def usable(self) -> bool:
        return self.approved_at is not None and self.current


class Alert(Base):
    """A crisis message sent from a template (or an update / all-clear of one)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(200), unique=True)  # CAP identifier
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("alert_templates.id"), nullable=True)
    msg_type: Mapped[str] = mapped_column(String(20), default="Alert")  # Alert | Update | Cancel
    status: Mapped[str] = mapped_column(String(20), default="Actual")  # Actual | Exercise
    references_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), nullable=True)
    level: Mapped[str] = mapped_column(String(20))
    headline: Mapped[str] = mapped_column(String(300))
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    variables: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # ``state`` is the lifecycle (content_calendar.crisis.lifecycle sets both); ``active`` is
    # state == "active", kept as an indexed column for the hot queries (crisis mode, banner).
    state: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    end_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    console_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # when it ended

    template: Mapped[AlertTemplate | None] = relationship()
    created_by: Mapped[User | None] = relationship()
