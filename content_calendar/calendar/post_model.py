"""Community posts on the calendar and run-time settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content_calendar.accounts.models import User
from content_calendar.catalogues import N_
from publisher.db import Base, UTCDateTime, utcnow


class PostState:
    DRAFT = "draft"
    REVIEW = "review"
    APPROVED = "approved"  # approved, waiting for its time
    PUBLISHING = "publishing"  # deliveries created
    PUBLISHED = "published"
    PARTLY_FAILED = "partly_failed"
    FAILED = "failed"
    EXPIRED = "expired"  # not approved in time: never published late silently
    HELD = "held"  # late or crisis: a person decides
    CANCELLED = "cancelled"

    LABELS = {  # marked for translation; pages show them with _()
        DRAFT: N_("Entwurf"),
        REVIEW: N_("In Prüfung"),
        APPROVED: N_("Freigegeben"),
        PUBLISHING: N_("Wird veröffentlicht"),
        PUBLISHED: N_("Veröffentlicht"),
        PARTLY_FAILED: N_("Teilweise fehlgeschlagen"),
        FAILED: N_("Fehlgeschlagen"),
        EXPIRED: N_("Abgelaufen"),
        HELD: N_("Angehalten"),
        CANCELLED: N_("Abgebrochen"),
    }


class Post(Base):
    """Community content on the calendar."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    variants: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    theme: Mapped[str | None] = mapped_column(String(100), nullable=True)
    channel_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    state: Mapped[str] = mapped_column(String(20), default=PostState.DRAFT, index=True)
    held_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])


class Setting(Base):
    """Admin settings editable at run time (crisis hold, four-eyes exception, ...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
