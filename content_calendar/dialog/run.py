"""One inbox round: fetch from every platform, search for rumours, answer out of hours, purge old
entries, count rumours and mail the crisis staff about a new jump.

Used by ``ernstfall inbox fetch`` and by the scheduler (every ``ERNSTFALL_INBOX_FETCH_SECONDS``,
in a thread of its own, so a slow platform never delays the tick that releases alerts).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from content_calendar.dialog import inbox, replies, rumour_notify, rumours, searches
from content_calendar.dialog.rumour_notify import StaffAddresses
from publisher.db import Database, utcnow
from publisher.settings import Settings

log = logging.getLogger(__name__)
Enqueue = Callable[[Iterable[tuple[int, str]]], Any]


def run_once(db: Database, settings: Settings, enqueue: Enqueue, staff: StaffAddresses) -> inbox.FetchReport:
    """``staff``: the crisis staff's addresses (``workers.health.staff_addresses``, as for readiness)."""
    now = utcnow()
    report = inbox.fetch_all(db, settings, now)
    found = searches.search_all(db, settings, now)
    report.channels.update({f"{name} (Gerüchtesuche)": text for name, text in found.channels.items()})
    with db.session() as session:
        queued = replies.auto_replies(session, settings, report.new_item_ids, now)
        purged = inbox.purge_expired(session, settings, now)
        jumps = rumours.notify_jumps(session, now)
        due = [(d.id, d.lane) for d in queued]
    if due:
        enqueue(due)  # after the commit, never before
    rumour_notify.notify_staff(db, settings, jumps, staff, now)  # after the claim is committed
    if purged:
        log.info("inbox: %d entries older than %d days deleted", purged, settings.inbox_retention_days)
    return report


class Interval:
    """Runs :func:`run_once` at most every ``inbox_fetch_seconds``, in a background thread."""

    def __init__(self) -> None:
        self.last = 0.0
        self.thread: threading.Thread | None = None

    def maybe_run(self, db: Database, settings: Settings, enqueue: Enqueue, staff: StaffAddresses) -> bool:
        if not settings.inbox_fetch_seconds or (self.thread is not None and self.thread.is_alive()):
            return False
        if time.monotonic() - self.last < settings.inbox_fetch_seconds:
            return False
        self.last = time.monotonic()
        self.thread = threading.Thread(
            target=self._run, args=(db, settings, enqueue, staff), name="inbox-fetch", daemon=True
        )
        self.thread.start()
        return True

    @staticmethod
    def _run(db: Database, settings: Settings, enqueue: Enqueue, staff: StaffAddresses) -> None:
        try:
            run_once(db, settings, enqueue, staff)
        except Exception:  # the inbox must never stop the scheduler
            log.exception("inbox fetch failed")


interval = Interval()
