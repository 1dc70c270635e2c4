"""Per-channel rate limits shared by every worker process, kept in Redis.

Two things are tracked per channel name:

* our own budget (``limit`` sends per ``period`` seconds, a sliding window in a
  sorted set, checked and taken atomically by one Lua script), and
* a pause the platform itself asked for (429 with ``Retry-After``,
  ``x-rate-limit-reset``, ``ratelimit-reset``, ``retry_after``), recorded with
  :func:`pause` so that the *other* workers stop too instead of each one
  finding out with its own 429.

The limiter never sleeps: a worker that is over the limit raises a transient
:class:`~publisher.errors.DeliveryError` with ``retry_after``, and the outbox
schedules the retry. A worker thread is never blocked by a rate limit.

Without Redis (no ``REDIS_URL``, or Redis down) the limiter lets the send through:
an alert sent inline while Redis is down must not be stopped by bookkeeping. The
platform's own 429 still protects us in that case.

Usage from an adapter::

    from publisher.outbox import ratelimit

    ratelimit.acquire(self.config, default="50/900")   # before the request
    ...
    ratelimit.pause(self.config, seconds)               # after a platform 429
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis

from publisher.errors import DeliveryError
from publisher.redis_client import redis_client as build_redis_client

log = logging.getLogger(__name__)

KEY_WINDOW = "ernstfall:ratelimit:{channel}:window"
KEY_PAUSE = "ernstfall:ratelimit:{channel}:pause"

# KEYS[1] window zset, KEYS[2] pause key; ARGV: now_ms, period_ms, limit, member
# Returns milliseconds to wait (0 = taken).
_ACQUIRE_LUA = """
local pause = redis.call('PTTL', KEYS[2])
if pause and pause > 0 then return pause end
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local used = redis.call('ZCARD', KEYS[1])
if used >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = tonumber(oldest[2]) + period - now
  if wait < 1 then wait = 1 end
  return wait
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], period)
return 0
"""


@dataclass(frozen=True)
class Rate:
    """``limit`` sends per ``period`` seconds."""

    limit: int
    period: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Parse ``"300/10800"`` (sends per seconds) or ``"300/3h"``, ``"30/1m"``, ``"1/s"``."""
        try:
            count, _, span = str(text).strip().partition("/")
            limit = int(count)
            span = span.strip() or "1"
            unit = span[-1].lower()
            factor = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(unit)
            number = span[:-1] if factor else span
            period = float(number or 1) * (factor or 1)
        except ValueError as exc:
            raise ValueError(
                f'rate_limit {text!r} ungültig — erwartet z. B. "300/3h" (Anzahl/Zeitraum)'
            ) from exc
        if limit < 1 or period <= 0:
            raise ValueError(f"rate_limit {text!r} ungültig — Anzahl und Zeitraum müssen positiv sein")
        return cls(limit, period)


_clients: dict[str, redis.Redis] = {}


def redis_client(url: str | None = None) -> redis.Redis | None:
    """The Redis shared by the workers (``REDIS_URL`` or the one ``ernstfall up`` started)."""
    if url is None:
        from publisher.settings import load_settings

        url = load_settings().redis_url
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        client = build_redis_client(url, connect_timeout=0.5, timeout=1)
        _clients[url] = client
    return client


def _channel_name(config: Any) -> str:
    return str(getattr(config, "name", config))


def _client_for(config: Any) -> redis.Redis | None:
    """The Redis of the settings ``config`` was built with (no environment read per send)."""
    settings = getattr(config, "settings", None)
    return redis_client(settings.redis_url if settings is not None else None)


def rate_for(config: Any, default: str | None) -> Rate | None:
    """The channel's limit: ``rate_limit`` in channels.toml, else the adapter's default."""
    options = getattr(config, "options", {}) or {}
    text = options.get("rate_limit", default)
    if text in (None, "", False, "off"):
        return None
    try:
        return Rate.parse(str(text))
    except ValueError as exc:
        raise DeliveryError(f"{_channel_name(config)}: {exc}", permanent=True) from exc


def acquire(config: Any, default: str | None = None, *, client: redis.Redis | None = None) -> None:
    """Take one send from the channel's budget or raise a transient DeliveryError.

    ``config`` is a ChannelConfig (or anything with ``name`` and ``options``).
    """
    name = _channel_name(config)
    rate = rate_for(config, default)
    client = client or _client_for(config)
    if client is None:
        return
    keys = [KEY_WINDOW.format(channel=name), KEY_PAUSE.format(channel=name)]
    now_ms = int(time.time() * 1000)
    try:
        if rate is None:
            wait_ms = max(0, int(client.pttl(keys[1])))
        else:
            wait_ms = int(
                client.eval(
                    _ACQUIRE_LUA,
                    2,
                    *keys,
                    now_ms,
                    int(rate.period * 1000),
                    rate.limit,
                    f"{now_ms}-{uuid.uuid4().hex[:8]}",
                )
            )
    except redis.RedisError as exc:
        log.warning("rate limiter for %s unavailable (%s): sending without it", name, exc)
        return
    if wait_ms > 0:
        seconds = wait_ms / 1000
        raise DeliveryError(
            f"{name}: Sendelimit erreicht — nächster Versuch in {seconds:.0f} s",
            retry_after=seconds,
            status=429,
        )


def pause(config: Any, seconds: float | None, *, client: redis.Redis | None = None) -> None:
    """Record that the platform asked us to wait ``seconds``; every worker honours it."""
    if not seconds or seconds <= 0:
        return
    client = client or _client_for(config)
    if client is None:
        return
    key = KEY_PAUSE.format(channel=_channel_name(config))
    try:
        # Keep the longer of an existing and the new pause.
        if int(client.pttl(key)) < int(seconds * 1000):
            client.set(key, "1", px=max(1, int(seconds * 1000)))
    except redis.RedisError as exc:
        log.warning("rate limiter pause for %s not recorded: %s", key, exc)


def reset(config: Any, *, client: redis.Redis | None = None) -> None:
    """Forget the channel's window and pause (for an admin, or tests)."""
    client = client or _client_for(config)
    if client is None:
        return
    name = _channel_name(config)
    client.delete(KEY_WINDOW.format(channel=name), KEY_PAUSE.format(channel=name))
