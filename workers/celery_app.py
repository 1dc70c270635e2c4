"""The Celery app. Tasks receive delivery ids only; the database row is the truth."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

import redis
from celery import Celery
from celery.signals import worker_ready, worker_shutdown
from sqlalchemy import select

import content_calendar.subscribers.audience  # noqa: F401  (registers the SMS audience source)
from content_calendar.database import get_database
from publisher.channels.registry import warm_up
from publisher.models import Channel
from publisher.outbox import CRISIS_THREADS, crisis_busy, process_many, worker_identity
from publisher.outbox.dispatch import HEARTBEAT_KEY, HEARTBEAT_TTL, TASK_NAME
from publisher.redis_client import redis_client
from publisher.settings import load_settings
from publisher.vocabulary import HEALTH_QUEUE, Lane
from workers import health
from workers.heap import freeze_startup_objects
from workers.logs import quiet_credential_loggers

log = logging.getLogger(__name__)
PRESTARTED_SEND_THREADS = 16  # two alerts to eight platforms without starting a thread
settings = load_settings()
# The process the supervisor started (read at import, before any pool forks): its sends
# carry this lease owner, so when it dies the supervisor hands them back at once.
LEASE_OWNER = worker_identity()
quiet_credential_loggers()

app = Celery("ernstfall", broker=settings.redis_url or "redis://127.0.0.1:6379/0")
app.conf.update(
    task_acks_late=True,  # a worker killed mid-task leaves the message for another
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue=Lane.COMMUNITY.value,
    broker_connection_retry_on_startup=True,
    # HTTP timeouts (ERNSTFALL_HTTP_TIMEOUT, 15 s) stay far below this.
    broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout},
    worker_hijack_root_logger=False,
)


# acks_late + reject_on_worker_lost: the message of a task whose worker died is not
# acknowledged, so the broker hands it out again; the claim in the database makes that
# harmless if the supervisor already had the delivery resent.
@app.task(name=TASK_NAME, acks_late=True, reject_on_worker_lost=True)
def deliver(delivery_ids: list[int] | int) -> dict[int, str]:
    """Send the deliveries with these ids: one claim for all, each send in its own thread.

    A crisis task carries all deliveries of one alert (or of one sweep), a community task a
    batch of up to 25 posts' deliveries (``publisher.outbox.dispatch.batches``).
    """
    ids = [delivery_ids] if isinstance(delivery_ids, int) else [int(i) for i in delivery_ids]
    return process_many(get_database(settings), ids, settings, owner=LEASE_OWNER)


@app.task(name=health.HEALTH_TASK)
def check_channels(channel_ids: list[int]) -> dict[str, str]:
    """Readiness checks on the ``health`` queue: never on a delivery lane."""
    return {name: verdict.state.value for name, verdict in health.run_checks(settings, channel_ids).items()}


_stop = threading.Event()


def _heartbeat(lanes: list[str]) -> None:
    client = redis_client(settings.redis_url or "", timeout=2)
    while not _stop.is_set():
        try:
            for lane in lanes:
                client.set(HEARTBEAT_KEY.format(lane=lane), "1", ex=HEARTBEAT_TTL)
        except redis.RedisError as exc:
            log.warning("heartbeat failed: %s", exc)
        _stop.wait(HEARTBEAT_TTL / 3)


def warm_up_senders() -> list[str]:
    """Import the adapters (and their SDKs) of every configured channel before the first alert.

    They stay lazy imports for the web app and the scheduler (memory); the crisis worker
    would otherwise import them while its first alert waits (300 to 500 ms, issue 16).
    """
    try:
        with get_database(settings).session() as session:
            types = set(session.scalars(select(Channel.type).distinct()))
    except Exception as exc:  # no database yet: the first alert imports them instead
        log.warning("channel adapters not warmed up: %s", exc)
        return []
    return warm_up(types)


# The community worker runs many sending threads in one interpreter. A thread that holds the
# SQLite writer lock needs the interpreter back after each statement, and with the default
# interval (5 ms) it can wait that long per busy thread while an alert waits for its
# transaction. A shorter interval hands it back sooner (issue 16: in the writer trace the alert
# request's median wait during a drain went from 5 ms to 0; docs/benchmarks.md).
BACKGROUND_SWITCH_SECONDS = 0.0005


@worker_ready.connect
def _start_heartbeat(sender: Any = None, **_: Any) -> None:
    queues = [q.name for q in sender.app.amqp.queues.consume_from.values()] if sender else []
    lanes = [q for q in queues if q in (*Lane, HEALTH_QUEUE)]
    if Lane.CRISIS.value in lanes:  # before the heartbeat: the web sends inline until then
        log.info("warmed up for sending: %s", ", ".join(warm_up_senders()))
        CRISIS_THREADS.prestart(PRESTARTED_SEND_THREADS)
    else:  # a background lane: its database writes wait while an alert is being sent
        crisis_busy.give_way_to_alerts(settings.redis_url)
        sys.setswitchinterval(BACKGROUND_SWITCH_SECONDS)
        log.info("background lane: interpreter switch interval %.1f ms", BACKGROUND_SWITCH_SECONDS * 1000)
    freeze_startup_objects()  # after the warm-up: the SDKs are start-up objects too
    threading.Thread(target=_heartbeat, args=(lanes,), daemon=True, name="heartbeat").start()


@worker_shutdown.connect
def _stop_heartbeat(**_: Any) -> None:
    _stop.set()
