"""Prometheus metrics of readiness and of both delivery lanes, built fresh for every scrape.

A new registry per scrape (no process-global gauges): every web process answers from the
database and Redis, so whichever process Prometheus reaches tells the same truth.
"""

from __future__ import annotations

import logging

import redis
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.models import Delivery
from publisher.readiness.status import ChannelReadiness, readiness
from publisher.redis_client import redis_client
from publisher.settings import Settings
from publisher.vocabulary import ACTIVE_DELIVERY_STATES, Lane, ReadinessState

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def queue_depths(settings: Settings) -> dict[str, int]:
    """Messages waiting in the broker per lane; empty when Redis cannot be asked."""
    if not settings.redis_url:
        return {}
    try:
        client = redis_client(settings.redis_url, connect_timeout=1, timeout=2)
        return {lane.value: int(client.llen(lane.value)) for lane in Lane}
    except redis.RedisError as exc:
        log.warning("queue depth not readable: %s", exc)
        return {}


def waiting_deliveries(session: Session) -> dict[str, int]:
    """Deliveries not yet final per lane: the database's view of the backlog."""
    query = (
        select(Delivery.lane, func.count())
        .where(Delivery.state.in_(ACTIVE_DELIVERY_STATES))
        .group_by(Delivery.lane)
    )
    counts = {lane.value: 0 for lane in Lane}
    counts.update({lane: count for lane, count in session.execute(query)})
    return counts


def _channel_gauges(registry: CollectorRegistry, rows: list[ChannelReadiness]) -> None:
    labels = ["channel", "type"]
    up = Gauge(
        "ernstfall_channel_up",
        "1 if the last readiness check passed (ok or warning)",
        labels,
        registry=registry,
    )
    state = Gauge(
        "ernstfall_channel_state", "readiness: 0 ok, 1 warning, 2 failing", labels, registry=registry
    )
    last_ok = Gauge(
        "ernstfall_channel_last_success_timestamp_seconds",
        "time of the last successful readiness check",
        labels,
        registry=registry,
    )
    last_post = Gauge(
        "ernstfall_channel_last_post_timestamp_seconds",
        "time of the last delivery the platform confirmed",
        labels,
        registry=registry,
    )
    expiry = Gauge(
        "ernstfall_channel_token_expiry_timestamp_seconds",
        "when the channel's token expires, where the platform tells it",
        labels,
        registry=registry,
    )
    for row in rows:
        key = (row.channel, row.type)
        up.labels(*key).set(0 if row.state == ReadinessState.FAILING else 1)
        state.labels(*key).set(list(ReadinessState).index(row.state))
        if row.last_ok_at:
            last_ok.labels(*key).set(row.last_ok_at.timestamp())
        if row.last_post_at:
            last_post.labels(*key).set(row.last_post_at.timestamp())
        if row.expires_at:
            expiry.labels(*key).set(row.expires_at.timestamp())


def render(session: Session, settings: Settings) -> bytes:
    """The text exposition format of every metric."""
    registry = CollectorRegistry()
    _channel_gauges(registry, readiness(session))
    depth = Gauge(
        "ernstfall_queue_depth", "tasks waiting in the broker queue of a lane", ["lane"], registry=registry
    )
    for lane, count in queue_depths(settings).items():
        depth.labels(lane).set(count)
    waiting = Gauge(
        "ernstfall_deliveries_waiting", "deliveries not yet final, per lane", ["lane"], registry=registry
    )
    for lane, count in waiting_deliveries(session).items():
        waiting.labels(lane).set(count)
    return generate_latest(registry)
