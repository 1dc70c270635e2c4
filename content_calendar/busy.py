"""A database that stays locked longer than its busy timeout: the one rule.

SQLite lets one writer at a time; a writer that cannot get the lock within
``busy_timeout`` gets ``OperationalError: database is locked``. PostgreSQL answers a
``lock_timeout`` with SQLSTATE 55P03 (and a deadlock victim with 40P01). None of these
means the request was wrong: it can be repeated in a few seconds. An alert request that
meets one is therefore never a generic 500: it is refused with a German 503 and
``Retry-After`` (nothing was stored), and the CLI tries again with backoff.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

RETRY_AFTER_SECONDS = 5
MESSAGE = (
    "Die Datenbank ist gerade durch einen anderen Vorgang gesperrt. Die Meldung wurde nicht "
    f"gespeichert und nicht gesendet. Bitte in {RETRY_AFTER_SECONDS} Sekunden erneut senden — "
    "ein zweiter Klick löst keine doppelte Warnung aus."
)
LOCK_TEXTS = ("database is locked", "database table is locked", "lock timeout", "deadlock detected")
LOCK_SQLSTATES = frozenset({"55P03", "40P01"})  # lock_not_available, deadlock_detected


def is_database_busy(exc: BaseException) -> bool:
    """True for a lock that outlasted the busy timeout (SQLite) or a lock timeout (PostgreSQL)."""
    if not isinstance(exc, OperationalError):
        return False
    original = exc.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in LOCK_SQLSTATES:
        return True
    text = str(original).lower()
    return any(fragment in text for fragment in LOCK_TEXTS)
