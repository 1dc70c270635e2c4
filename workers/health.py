"""The readiness checks as a job: due channels from the scheduler tick.

The scheduler claims the channels whose check is due (in SQL). If a ``health`` worker
is alive (docker-compose runs one; ``ernstfall worker health`` starts one) the ids go to
its ``health`` queue; otherwise, as under ``ernstfall up``, which starts no health worker
(one process and about 130 MB less, issue 16), the scheduler runs the round in one
background thread of its own. Either way a platform that takes 15 s to answer never
holds a crisis or community worker, nor the scheduler's tick, and readiness does not
depend on the broker it also watches.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import func, select

from content_calendar.accounts.models import User
from content_calendar.accounts.policy import Permission, allows
from content_calendar.database import get_database
from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.db import Database
from publisher.outbox.dispatch import Dispatcher
from publisher.readiness import Audience, Verdict, check_channels, claim_due, notify_changes
from publisher.settings import Settings
from publisher.vocabulary import HEALTH_QUEUE

log = logging.getLogger(__name__)
HEALTH_TASK = "ernstfall.check_channels"
_inline = threading.Lock()


def audience(db: Database) -> Audience:
    with db.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(SmsSubscriber)
            .where(SmsSubscriber.status == SubscriberStatus.ACTIVE)
        )
    return Audience(sms_subscribers=int(count or 0))


def staff_addresses(db: Database) -> list[str]:
    """Crisis staff (and admins, who fix credentials) with an e-mail address."""
    with db.session() as session:
        users = session.scalars(select(User).where(User.active.is_(True), User.email.is_not(None))).all()
        return sorted({u.email for u in users if u.email and allows(u.role_list(), Permission.SEND_ALERTS)})


def run_checks(settings: Settings, channel_ids: list[int] | None = None) -> dict[str, Verdict]:
    """Check these channels (all if None) and tell the staff about every change."""
    db = get_database(settings)
    verdicts = check_channels(db, settings, channel_ids, audience(db))
    notify_changes(db, settings, staff_addresses(db))
    return verdicts


def _run_inline(settings: Settings, channel_ids: list[int]) -> None:
    if not _inline.acquire(blocking=False):
        return  # a round is still running; the claimed channels come due again next interval
    try:
        run_checks(settings, channel_ids)
    except Exception:  # a failed round must not end the thread silently
        log.exception("readiness round failed")
    finally:
        _inline.release()


def schedule_due(settings: Settings, dispatcher: Dispatcher) -> list[int]:
    """Claim the due channels and start their checks; returns the claimed ids."""
    ids = claim_due(get_database(settings), settings)
    if not ids:
        return []
    if dispatcher.workers_alive(HEALTH_QUEUE):
        try:
            dispatcher.celery().send_task(HEALTH_TASK, args=[ids], queue=HEALTH_QUEUE, retry=False)
            return ids
        except Exception as exc:  # kombu raises several types when the broker is gone
            log.warning("readiness checks not queued, running them here: %s", exc)
    threading.Thread(target=_run_inline, args=(settings, ids), name="readiness", daemon=True).start()
    return ids
