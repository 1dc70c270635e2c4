"""The one place Redis clients are built (broker checks, heartbeats, rate limits, start-up wait).

Timeouts are always set: a Redis that hangs must cost a crisis delivery a second, not the
default "wait forever". Each caller states how patient it is.
"""

from __future__ import annotations

import redis


def redis_client(url: str, *, connect_timeout: float = 0.5, timeout: float | None = 1.0) -> redis.Redis:
    """A client for ``url`` (connections are made lazily, on the first command)."""
    if not url:
        raise ValueError("Redis-URL fehlt (REDIS_URL oder ein von `ernstfall up` gestarteter Redis)")
    return redis.Redis.from_url(url, socket_connect_timeout=connect_timeout, socket_timeout=timeout)
