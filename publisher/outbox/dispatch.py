"""Nudging workers after commit, with the inline fallback for the crisis lane.

If Redis or the crisis workers are unavailable, a crisis delivery is sent by the
calling process itself (recorded as ``dispatched_inline``): an alert must not wait
for infrastructure. Community deliveries simply stay pending for the sweep.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import redis
from celery import Celery

from publisher.db import Database
from publisher.redis_client import redis_client
from publisher.settings import Settings
from publisher.vocabulary import Lane

log = logging.getLogger(__name__)

TASK_NAME = "ernstfall.deliver"
HEARTBEAT_KEY = "ernstfall:worker-heartbeat:{lane}"
HEARTBEAT_TTL = 15


# One task per wake: the deliveries one enqueue call hands over (an alert's channels, a
# sweep's due rows) travel together, so a worker claims them in one transaction and sends
# them at once. Community batches stay small (COMMUNITY_BATCH), so a thousand posts due in
# the same second are shared between worker threads, and so that a community transaction
# (claim or record of a batch) holds the SQLite writer briefly: an alert that comes waits at
# most for the one already begun (10 instead of 25 halved the alert's p99 during a 5,000-post
# drain, docs/benchmarks.md); a crisis batch is one alert's channels
# (CRISIS_BATCH only bounds what a sweep after an outage hands to one task).
COMMUNITY_BATCH = 10
CRISIS_BATCH = 32


def batches(items: list[tuple[int, str]]) -> list[tuple[str, list[int]]]:
    """Group (id, lane) pairs into tasks: crisis first, up to CRISIS_BATCH / COMMUNITY_BATCH ids each."""
    crisis = [delivery_id for delivery_id, lane in items if lane == Lane.CRISIS]
    community = [delivery_id for delivery_id, lane in items if lane != Lane.CRISIS]
    lanes = {delivery_id: lane for delivery_id, lane in items}
    result: list[tuple[str, list[int]]] = []
    for ids, size in ((crisis, CRISIS_BATCH), (community, COMMUNITY_BATCH)):
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            result.append((lanes[chunk[0]], chunk))
    return result


class Dispatcher:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._celery: Celery | None = None
        self._redis: redis.Redis | None = None

    def celery(self) -> Celery:
        if self._celery is None:
            app = Celery("ernstfall-client", broker=self.settings.redis_url)
            app.conf.broker_transport_options = {
                "visibility_timeout": self.settings.broker_visibility_timeout
            }
            app.conf.broker_connection_timeout = 2
            self._celery = app
        return self._celery

    def redis(self) -> redis.Redis | None:
        if not self.settings.redis_url:
            return None
        if self._redis is None:
            self._redis = redis_client(self.settings.redis_url, connect_timeout=1, timeout=2)
        return self._redis

    def workers_alive(self, lane: str) -> bool:
        """True if Redis answers and a worker of ``lane`` sent a heartbeat recently."""
        client = self.redis()
        if client is None:
            return False
        try:
            return bool(client.exists(HEARTBEAT_KEY.format(lane=lane)))
        except redis.RedisError:
            return False

    def busy_lanes(self) -> tuple[str, ...]:
        """Community lanes whose broker queue still holds messages (the sweep waits for them).

        The crisis lane is never reported: a duplicate nudge there costs one claim that
        finds nothing, and an alert must not wait for a queue to drain.
        """
        client = self.redis()
        if client is None:
            return ()
        try:
            waiting = int(client.llen(Lane.COMMUNITY.value))
        except redis.RedisError:
            return ()
        return (Lane.COMMUNITY.value,) if waiting else ()

    def enqueue(self, deliveries: Iterable[tuple[int, str]]) -> None:
        items = list(deliveries)
        lanes = {lane for _, lane in items}
        alive = {lane: self.workers_alive(lane) for lane in lanes}
        inline: list[int] = []
        for lane, batch in batches(items):
            if alive[lane] and self._publish(batch, lane):
                continue
            if lane == Lane.CRISIS:
                inline.extend(batch)
            # community: stays pending; the sweep nudges it again later.
        if inline:
            self.send_inline(inline)

    def _publish(self, delivery_ids: list[int], lane: str) -> bool:
        try:
            self.celery().send_task(TASK_NAME, args=[delivery_ids], queue=lane, retry=False)
        except Exception as exc:  # kombu raises several types when the broker is gone
            log.warning("could not enqueue deliveries %s on %s: %s", delivery_ids, lane, exc)
            return False
        return True

    def send_inline(self, delivery_ids: list[int]) -> threading.Thread:
        """Send the deliveries from a thread of this process: one claim, each send in parallel."""
        from publisher.outbox import process_many

        log.warning("crisis workers unavailable: sending %d deliveries inline", len(delivery_ids))
        thread = threading.Thread(
            target=process_many,
            args=(self.db, delivery_ids, self.settings),
            kwargs={"inline": True},
            name=f"inline-delivery-{delivery_ids[0]}",
            daemon=False,
        )
        thread.start()
        return thread
