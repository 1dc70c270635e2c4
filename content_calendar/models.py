"""Content tables: users, posts, alert templates, alerts, audit events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publisher.db import Base, UTCDateTime, utcnow
from publisher.models import Channel, Delivery, DeliveryLog  # noqa: F401  (one metadata)

ROLES = ("admin", "editor", "approver", "crisis", "fallback", "contributor")
ROLE_LABELS = {
    "admin": "Administration",
    "editor": "Redaktion",
    "approver": "Freigabe",
    "crisis": "Krisenstab",
    "fallback": "Fallback-Betrieb",
    "contributor": "Beiträge einreichen",
}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    roles: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def has_role(self, *roles: str) -> bool:
        mine = set(self.role_list())
        return "admin" in mine or bool(mine.intersection(roles))

    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class ApiToken(Base):
    """An API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


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

    LABELS = {
        DRAFT: "Entwurf",
        REVIEW: "In Prüfung",
        APPROVED: "Freigegeben",
        PUBLISHING: "Wird veröffentlicht",
        PUBLISHED: "Veröffentlicht",
        PARTLY_FAILED: "Teilweise fehlgeschlagen",
        FAILED: "Fehlgeschlagen",
        EXPIRED: "Abgelaufen",
        HELD: "Angehalten",
        CANCELLED: "Abgebrochen",
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
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    console_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    template: Mapped[AlertTemplate | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class AuditEvent(Base):
    """Who did what, when. Never updated, never deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(80))
    object_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Setting(Base):
    """Admin settings editable at run time (crisis hold, four-eyes exception, ...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def audit(session: Any, action: str, user_id: int | None = None, obj: Any = None, **detail: Any) -> None:
    """Record an audit event in the caller's transaction."""
    kind = getattr(obj, "__tablename__", None) if obj is not None else None
    session.add(
        AuditEvent(
            user_id=user_id,
            action=action,
            object_kind=kind,
            object_id=getattr(obj, "id", None),
            detail=detail,
        )
    )
