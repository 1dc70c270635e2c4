"""Passwords (Argon2id) and API tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import ROLES, ApiToken, User, audit
from publisher.db import utcnow

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    session: Session, username: str, roles: list[str], password: str, display_name: str = ""
) -> User:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"Unbekannte Rolle(n): {', '.join(unknown)} (erlaubt: {', '.join(ROLES)})")
    if not username or len(username) > 80:
        raise ValueError("Benutzername fehlt oder ist zu lang")
    if session.scalar(select(User).where(User.username == username)):
        raise ValueError(f"Benutzer {username!r} existiert bereits")
    if len(password) < 10:
        raise ValueError("Passwort muss mindestens 10 Zeichen haben")
    user = User(
        username=username,
        display_name=display_name or username,
        roles=",".join(roles),
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    audit(session, "user.created", None, user, roles=roles)
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint_token(session: Session, user: User, label: str = "") -> str:
    """Create an API token; the clear text is returned once and never stored."""
    token = "ef_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label=label))
    audit(session, "token.created", user.id, user, label=label)
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user
