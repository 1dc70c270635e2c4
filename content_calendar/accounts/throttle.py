"""Login throttling: too many failures for one user name or from one address lock it.

Five failed logins for a user name within 15 minutes lock that name for 15 minutes
from the fifth failure; twenty from one address lock the address (higher, because a
whole town hall may share one address). The lock is the same for names that do not
exist, so it reveals nothing. Attempts while locked are refused without checking the
password and are not counted, so a lock always ends on time. A successful login clears
its user name's failures (not the address's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from content_calendar.accounts.models import LoginFailure
from publisher.db import utcnow

WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
MAX_PER_USERNAME = 5
MAX_PER_ADDRESS = 20


@dataclass(frozen=True)
class Lock:
    until: datetime

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.until - utcnow()).total_seconds()) + 1)

    @property
    def message(self) -> str:
        minutes = max(1, -(-self.retry_after_seconds // 60))
        return (
            "Zu viele fehlgeschlagene Anmeldungen. Die Anmeldung ist vorübergehend gesperrt — "
            f"bitte in {minutes} Minute{'n' if minutes != 1 else ''} erneut versuchen."
        )


def _key_username(username: str) -> str:
    return username.strip().lower()[:80]


def _lock_from(times: list[datetime], limit: int) -> Lock | None:
    """``times`` newest first; locked if the newest ``limit`` fall within the window."""
    if len(times) < limit or times[0] - times[limit - 1] > WINDOW:
        return None
    until = times[0] + LOCKOUT
    return Lock(until) if until > utcnow() else None


def _recent(session: Session, column: InstrumentedAttribute[str], value: str, limit: int) -> list[datetime]:
    since = utcnow() - WINDOW - LOCKOUT
    query = (
        select(LoginFailure.at)
        .where(column == value, LoginFailure.at >= since)
        .order_by(LoginFailure.at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def current_lock(session: Session, username: str, address: str) -> Lock | None:
    """The lock that applies to this attempt, if any (the later one if both apply)."""
    locks = [
        _lock_from(
            _recent(session, LoginFailure.username, _key_username(username), MAX_PER_USERNAME),
            MAX_PER_USERNAME,
        ),
        _lock_from(_recent(session, LoginFailure.address, address[:64], MAX_PER_ADDRESS), MAX_PER_ADDRESS),
    ]
    found = [lock for lock in locks if lock is not None]
    return max(found, key=lambda lock: lock.until) if found else None


def record_failure(session: Session, username: str, address: str) -> None:
    session.add(LoginFailure(username=_key_username(username), address=address[:64], at=utcnow()))


def clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == _key_username(username)))
