"""Accounts: users and their roles, API tokens, the audit log."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from content_calendar.accounts import audit_chain
from publisher.db import Base, UTCDateTime, utcnow

ROLES = ("admin", "editor", "approver", "crisis", "fallback", "contributor")
ROLE_LABELS = {
    "admin": "Administration",
    "editor": "Redaktion",
    "approver": "Freigabe",
    "crisis": "Krisenstab",
    "fallback": "Fallback-Betrieb",
    "contributor": "Beiträge einreichen",
}


def new_session_nonce() -> str:
    return secrets.token_hex(16)


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
    # Part of every session cookie; a new value (logout, deactivation) ends all sessions.
    session_nonce: Mapped[str] = mapped_column(String(64), default=new_session_nonce)
    # The interface language the user chose ("de", "en"); None: German unless ?lang= says otherwise.
    language: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)

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
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """A failed login, kept for throttling (the audit log keeps the history)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)


class AuditEvent(Base):
    """Who did what, when. Never updated, never deleted (the database refuses both), and
    chained by hashes so that a gap or an edit is found by ``ernstfall audit verify``.

    The one exception: :func:`audit_chain.redact` may replace ``detail`` to erase a phone
    number (GDPR); the entry is then marked ``redacted`` and keeps its hashes.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(80))
    object_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set when the entry is written (see audit_chain.seal); never by the caller.
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    redacted: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditChain(Base):
    """The head of the audit chain: one row (id 1), the last entry's number and hash."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=audit_chain.GENESIS)


@event.listens_for(AuditEvent, "before_insert")
def _seal(_mapper: Mapper[AuditEvent], connection: Connection, target: AuditEvent) -> None:
    audit_chain.seal(connection, target, AuditChain.__table__, utcnow())


def audit(session: Any, action: str, user_id: int | None = None, obj: Any = None, **detail: Any) -> None:
    """Record an audit event in the caller's transaction (chained when it is flushed)."""
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


def verify_audit_chain(session: Any) -> audit_chain.Verdict:
    """Check every audit entry against the chain (see ``ernstfall audit verify``)."""
    return audit_chain.verify(session, AuditEvent, AuditChain)
