"""The scheduler tick: release due posts and sweep the outbox, every second or two."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime

from content_calendar.calendar.scheduling import seconds_until_next_due, tick
from content_calendar.crisis import drills
from content_calendar.crisis.lifecycle import expire_due
from content_calendar.crisis.plan_b import escalate
from content_calendar.database import get_database
from content_calendar.dialog.run import interval as dialog_interval
from publisher.db import utcnow
from publisher.outbox import crisis_busy, sweep
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings, load_settings
from workers.handback import release_reported
from workers.health import schedule_due, staff_addresses
from workers.heap import freeze_startup_objects
from workers.weekly import maybe_send_digest

log = logging.getLogger(__name__)


def run_once(settings: Settings, dispatcher: Dispatcher) -> None:
    db = get_database(settings)
    release_reported(settings)  # sends of a worker `ernstfall up` saw die: due now, for the sweep
    report = tick(db, settings, handover=dispatcher.enqueue)  # each batch enqueued once committed
    if report.released or report.held or report.expired:
        log.info("tick: %d released, %d held, %d expired", report.released, report.held, report.expired)
    try:
        fallback = escalate(db, settings)  # plan B: SMS when social channels fail or hang
    except Exception:  # plan B must not stop the sweep below
        log.exception("plan B escalation failed")
        fallback = []
    if fallback:
        log.warning("plan B: %d SMS deliveries as fallback", len(fallback))
        dispatcher.enqueue(fallback)
    try:
        expired = expire_due(db, settings)  # alerts nobody ended: expired, banner cleared
    except Exception:  # an expiry problem must not stop the sweep below
        log.exception("alert expiry failed")
        expired = []
    if expired:
        log.info("alerts expired: %s", ", ".join(f"#{i}" for i in expired))
    sweep(db, settings, dispatcher.enqueue, dispatcher.busy_lanes())
    dialog_interval.maybe_run(db, settings, dispatcher.enqueue, staff_addresses)  # inbox: own thread
    try:
        schedule_due(settings, dispatcher)  # readiness checks, on their own queue
    except Exception:  # readiness must never stop the scheduler
        log.exception("readiness scheduling failed")
    try:
        drills.tick(db, settings, dispatcher)  # planned test alerts: once when due; results to readiness
    except Exception:  # a drill problem must never stop the scheduler
        log.exception("drill tick failed")
    try:
        maybe_send_digest(db, settings)
    except Exception:  # the digest must never stop the scheduler
        log.exception("weekly digest failed")


def run_forever(settings: Settings | None = None) -> None:
    settings = settings or load_settings()
    dispatcher = Dispatcher(settings, get_database(settings))
    crisis_busy.give_way_to_alerts(settings.redis_url)  # its writes wait while an alert is sent
    freeze_startup_objects()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log.info("scheduler running, tick every %.1f s", settings.tick_seconds)
    while not stop.is_set():
        started, began = time.monotonic(), utcnow()
        try:
            run_once(settings, dispatcher)
        except Exception:  # one bad tick must not stop the scheduler
            log.exception("scheduler tick failed")
        stop.wait(next_wait(settings, started, began))
    log.info("scheduler stopped")


# A post due in the middle of a tick is released this soon after its time, not at the next
# tick (issue 16: 1,000 posts due at once). Never a busy loop: at least MIN_WAIT_SECONDS.
MIN_WAIT_SECONDS = 0.05
DUE_MARGIN_SECONDS = 0.01


def next_wait(settings: Settings, started: float, began: datetime | None = None) -> float:
    """Seconds until the next tick: the rest of the tick interval, or less if a post falls due sooner.

    ``began``: when the tick began (wall clock); a post that fell due since then, after the
    tick had looked, is released at once rather than a tick late.
    """
    wait = settings.tick_seconds - (time.monotonic() - started)
    try:
        due_in = seconds_until_next_due(get_database(settings), after=began)
    except Exception:  # the plain tick interval is the fallback
        log.exception("next due post not read")
        due_in = None
    if due_in is not None:
        wait = min(wait, due_in + DUE_MARGIN_SECONDS)
    return max(MIN_WAIT_SECONDS, wait)
