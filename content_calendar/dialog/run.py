"""One inbox round: fetch from every platform, answer out of hours, purge old entries, watch rumours.

Used by ``ernstfall inbox fetch`` and by the scheduler (every ``ERNSTFALL_INBOX_FETCH_SECONDS``,
in a thread of its own, so a slow platform never delays the tick that releases alerts).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from content_calendar.dialog import inbox, replies, rumours
from publisher.db import Database, utcnow
from publisher.settings import Settings

log = logging.getLogger(__name__)
Enqueue = Callable[[Iterable[tuple[int, str]]], Any]


def run_once(db: Database, settings: Settings, enqueue: Enqueue) -> inbox.FetchReport:
    now = utcnow()
    report = inbox.fetch_all(db, settings, now)
    with db.session() as session:
        queued = replies.auto_replies(session, settings, report.new_item_ids, now)
        purged = inbox.purge_expired(session, settings, now)
        rumours.notify_jumps(session, now)
        due = [(d.id, d.lane) for d in queued]
    if due:
        enqueue(due)  # after the commit, never before
    if purged:
        log.info("inbox: %d entries older than %d days deleted", purged, settings.inbox_retention_days)
    return report


class Interval:
    """Runs :func:`run_once` at most every ``inbox_fetch_seconds``, in a background thread."""

    def __init__(self) -> None:
        self.last = 0.0
        self.thread: threading.Thread | None = None

    def maybe_run(self, db: Database, settings: Settings, enqueue: Enqueue) -> bool:
        if not settings.inbox_fetch_seconds or (self.thread is not None and self.thread.is_alive()):
            return False
        if time.monotonic() - self.last < settings.inbox_fetch_seconds:
            return False
        self.last = time.monotonic()
        self.thread = threading.Thread(
            target=self._run, args=(db, settings, enqueue), name="inbox-fetch", daemon=True
        )
        self.thread.start()
        return True

    @staticmethod
    def _run(db: Database, settings: Settings, enqueue: Enqueue) -> None:
        try:
            run_once(db, settings, enqueue)
        except Exception:  # the inbox must never stop the scheduler
            log.exception("inbox fetch failed")


interval = Interval()
