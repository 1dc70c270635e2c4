"""A small value every worker sees: in Redis for a while, else in this process's memory.

Used where a platform hands us something a retry must find again, whoever retries: a
Bluesky session (so workers do not log in on every send) and an Instagram container id
(so a retried publish does not create a second post). Without Redis, or while it does
not answer, the value lives in ``memory`` (one dictionary per kind, owned by the caller):
the process that made it still finds it; Redis trouble is logged, never raised.
"""

from __future__ import annotations

import contextlib
import logging

import redis

from publisher.outbox import ratelimit
from publisher.settings import Settings

log = logging.getLogger(__name__)


class SharedValue:
    def __init__(
        self,
        key: str,
        ttl_seconds: int,
        memory: dict[str, bytes],
        what: str,
        settings: Settings | None = None,
    ) -> None:
        self.key = key
        self.settings = settings  # whose Redis; None: the environment's settings now
        self.ttl_seconds = ttl_seconds
        self.memory = memory
        self.what = what  # for the log: "bluesky session", "instagram container id"

    def _client(self) -> redis.Redis | None:
        return ratelimit.redis_client(self.settings.redis_url if self.settings is not None else None)

    def get(self) -> bytes | None:
        client = self._client()
        if client is not None:
            try:
                value = client.get(self.key)
            except redis.RedisError as exc:
                log.warning("%s: Redis unavailable, using this process's copy: %s", self.what, exc)
            else:
                if not value:
                    return None
                return value if isinstance(value, bytes) else str(value).encode()
        return self.memory.get(self.key)

    def set(self, value: bytes) -> None:
        self.memory[self.key] = value
        client = self._client()
        if client is not None:
            try:
                client.set(self.key, value, ex=self.ttl_seconds)
            except redis.RedisError as exc:
                log.warning("%s: not stored in Redis, only in this process: %s", self.what, exc)

    def clear(self) -> None:
        self.memory.pop(self.key, None)
        client = self._client()
        if client is not None:
            with contextlib.suppress(redis.RedisError):
                client.delete(self.key)
