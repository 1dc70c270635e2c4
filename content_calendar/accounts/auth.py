"""Passwords (Argon2id), logins, sessions, and API tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import ROLES, ApiToken, User, audit, new_session_nonce
from content_calendar.accounts.throttle import Lock, clear_failures, current_lock, record_failure
from publisher.db import utcnow

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
WRONG_CREDENTIALS = "Benutzername oder Passwort falsch."


class LoginRefused(Exception):
    """A login that did not succeed; ``message`` is safe to show (it names no account)."""

    def __init__(self, message: str, lock: Lock | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lock = lock


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
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user


def authenticate(session: Session, username: str, password: str, address: str) -> User:
    """Check a login; failures are throttled and audited. The caller commits either way."""
    lock = current_lock(session, username, address)
    if lock is not None:
        audit(session, "user.login_refused", None, None, username=username[:80], address=address, locked=True)
        raise LoginRefused(lock.message, lock)
    user = session.scalar(select(User).where(User.username == username))
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        record_failure(session, username, address)
        reason = "unknown_user" if user is None else "inactive" if valid else "wrong_password"
        audit(
            session,
            "user.login_failed",
            None,
            user,
            username=username[:80],
            address=address,
            reason=reason,
        )
        raise LoginRefused(WRONG_CREDENTIALS)
    clear_failures(session, username)
    if not user.session_nonce:
        user.session_nonce = new_session_nonce()
    audit(session, "user.login", user.id, user, address=address)
    return user


def end_sessions(session: Session, user: User) -> None:
    """Every session of this user stops working (its cookies carry the old nonce)."""
    user.session_nonce = new_session_nonce()


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise ValueError(f"Benutzer {username!r} unbekannt")
    return user


def set_active(session: Session, user: User, active: bool, by: int | None = None) -> None:
    """Deactivate (sessions and API tokens stop working at once) or reactivate a user."""
    user.active = active
    end_sessions(session, user)
    audit(session, "user.activated" if active else "user.deactivated", by, user)


def revoke_token(session: Session, token_id: int, by: int | None = None) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ValueError(f"API-Token {token_id} unbekannt")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit(session, "token.revoked", by, row, owner=row.user.username, label=row.label)
    return row


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
