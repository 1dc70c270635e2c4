"""Passwords (Argon2id), logins, sessions, and API tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Update, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from content_calendar.accounts.models import ROLES, ApiToken, User, audit, new_session_nonce
from content_calendar.accounts.throttle import Lock, clear_failures, current_lock, record_failure
from content_calendar.catalogues import N_
from publisher import sqlite_writer
from publisher.db import Database, utcnow

log = logging.getLogger(__name__)

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
WRONG_CREDENTIALS = N_("Benutzername oder Passwort falsch.")  # translated by the login page
# A token's last use is written at most this often (every API request used to write it).
TOKEN_USE_INTERVAL = timedelta(minutes=1)


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


def active_token(session: Session, token: str) -> ApiToken | None:
    """The token's row if it is valid and its user active; reads only."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row


def user_for_token(session: Session, token: str) -> User | None:
    row = active_token(session, token)
    return row.user if row is not None else None


def note_token_use(db: Database, row: ApiToken, now: datetime | None = None) -> bool:
    """Record that ``row`` was used: at most once per TOKEN_USE_INTERVAL, in a transaction
    of its own, and never waiting for the database: when another writer holds it, this
    use is simply not recorded (the next one after the interval is). True if written."""
    now = now or utcnow()
    due = now - TOKEN_USE_INTERVAL
    if row.last_used_at is not None and row.last_used_at > due:
        return False
    statement = (
        update(ApiToken)
        .where(ApiToken.id == row.id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= due))
        .values(last_used_at=now)
    )
    try:
        with db.engine.connect() as connection:
            _write_without_waiting(connection, statement)
    except OperationalError as exc:
        log.info("token %s: last use not recorded, the database is busy (%s)", row.id, exc.orig)
        return False
    return True


def _write_without_waiting(connection: Connection, statement: Update) -> None:
    """Run ``statement`` in its own transaction, failing at once if another writer holds the lock."""
    if connection.dialect.name != "sqlite":
        connection.execute(text("SET LOCAL lock_timeout = '100ms'"))  # ends with this transaction
        connection.execute(statement)
        connection.commit()
        return
    usual_wait = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one())
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        with sqlite_writer.without_waiting():  # nor queue for our own writer lock
            connection.execute(statement)
            connection.commit()
    finally:
        connection.rollback()
        # The connection goes back to the pool: everybody else expects the usual wait.
        connection.exec_driver_sql(f"PRAGMA busy_timeout={usual_wait}")


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
