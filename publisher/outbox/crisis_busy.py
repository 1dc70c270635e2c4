"""The community lane yields while an alert is being issued and sent (one Redis key).

On SQLite every process shares one writer. While an alert is issued, its request and the
crisis worker's claim and outcome records must not wait behind community writes, so:

- the alert request sets the flag (:func:`raise_flag`) before its transaction;
- the crisis worker lowers it (:func:`lower_flag`) once the alert's outcomes are recorded;
- the community worker and the scheduler's release/hold/roll-up steps call
  :func:`wait_while_raised` before each of their (small) write transactions.

Two timeouts keep the community lane from stalling: the key expires by itself after
``FLAG_SECONDS`` (a crisis worker that died never lowers it), and one wait never lasts
longer than ``MOST_WAIT_SECONDS`` (alerts back to back still let the community lane
write a batch between them). Without Redis there is no flag and nobody waits. Two alerts
at once share the flag: the first one recorded lowers it; that costs the second some
speed, never a delivery.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from sqlalchemy import select

from publisher import sqlite_writer
from publisher.db import Database
from publisher.models import Delivery
from publisher.redis_client import redis_client
from publisher.vocabulary import Lane

log = logging.getLogger(__name__)

KEY = "ernstfall:crisis-busy"
FLAG_SECONDS = 3.0
MOST_WAIT_SECONDS = 3.0
POLL_SECONDS = 0.02

_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def _client(url: str | None) -> redis.Redis | None:
    if not url:
        return None
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis_client(url, connect_timeout=0.2, timeout=0.5)
    return client


def raise_flag(url: str | None, seconds: float = FLAG_SECONDS) -> None:
    """An alert is on its way: community writers pause until it is lowered or expires."""
    client = _client(url)
    if client is None:
        return
    try:
        client.set(KEY, "1", px=max(1, int(seconds * 1000)))
    except redis.RedisError as exc:  # the alert goes out anyway; only the pause is lost
        log.warning("crisis-busy flag not set: %s", exc)


def lower_flag(url: str | None) -> None:
    client = _client(url)
    if client is None:
        return
    try:
        client.delete(KEY)
    except redis.RedisError as exc:  # it expires by itself
        log.warning("crisis-busy flag not cleared: %s", exc)


def is_raised(url: str | None) -> bool:
    client = _client(url)
    if client is None:
        return False
    try:
        return bool(client.exists(KEY))
    except redis.RedisError:
        return False


def wait_while_raised(url: str | None, most: float | None = None) -> float:
    """Wait (at most ``most``, default MOST_WAIT_SECONDS) while the flag is raised; returns seconds waited."""
    started = time.monotonic()
    if not is_raised(url):
        return 0.0
    deadline = started + (MOST_WAIT_SECONDS if most is None else most)
    while time.monotonic() < deadline and is_raised(url):
        time.sleep(POLL_SECONDS)
    waited = time.monotonic() - started
    log.debug("community lane yielded %.3f s to the crisis lane", waited)
    return waited


def give_way_to_alerts(url: str | None) -> None:
    """Make this process's SQLite writers step back while the flag is raised (background lanes)."""
    if not url:
        return
    sqlite_writer.give_way(sqlite_writer.GiveWay(lambda: is_raised(url), lambda: wait_while_raised(url)))


def yield_if_community(db: Database, delivery_ids: list[int], url: str | None) -> float:
    """Before a worker's claim: wait while the flag is raised, if these are community deliveries.

    Costs one Redis ``EXISTS`` when no alert is under way; only then are the lanes read.
    """
    if not delivery_ids or not is_raised(url):
        return 0.0
    with db.session() as session:
        lanes = set(session.scalars(select(Delivery.lane).where(Delivery.id.in_(delivery_ids)).distinct()))
    if Lane.CRISIS.value in lanes or not lanes:
        return 0.0
    return wait_while_raised(url)
