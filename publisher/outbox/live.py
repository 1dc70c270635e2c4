"""One poller per process that turns delivery changes into events for many listeners.

A hundred open delivery boards must not mean a hundred database queries a second
(the 2020 warning day: operators reloading overloaded the warning database). The
feed asks the database once per interval for deliveries changed recently, keeps the
latest state of each in memory and wakes every waiting listener (Server-Sent Events
streams) through one condition variable. Listeners never touch the database.

Commit lag: a writer stamps ``updated_at`` before it commits, so each poll looks
back ``LOOKBACK`` seconds and compares a signature instead of trusting timestamps.

The feed carries alert deliveries only: that is all its listeners (the crisis boards)
show. Community posts draining (thousands a minute) thus cost the web process nothing,
and what it keeps is bounded: deliveries not changed for ``WARM_UP`` are let go, as a
freshly started process would not have loaded them either.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from publisher.db import Database, utcnow
from publisher.models import Delivery
from publisher.vocabulary import ChannelCategory, DeliveryState

log = logging.getLogger(__name__)

LOOKBACK = timedelta(seconds=10)
WARM_UP = timedelta(hours=24)
HISTORY = 5000  # changes kept for listeners that fall behind
SOURCE_KIND = "alert"  # what the boards show (Delivery.source_kind)
PRUNE_EVERY = 60.0  # seconds between looks for deliveries to let go


def delivery_event(delivery: Delivery) -> dict[str, Any]:
    """What a board shows of a delivery (no message content, no recipients)."""
    return {
        "id": delivery.id,
        "source_kind": delivery.source_kind,
        "source_id": delivery.source_id,
        "channel": delivery.channel.name,
        "channel_type": delivery.channel.type,
        "category": delivery.channel.category.value,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "platform_message": delivery.platform_message,
        "remote_url": delivery.remote_url,
        "inline": delivery.dispatched_inline,
        "updated_at": delivery.updated_at.isoformat(),
        "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else None,
    }


@dataclass(frozen=True)
class Confirmation:
    """How far the channels of one message got, with previews counted apart from real channels."""

    real: int  # social and plan B channels: they reach people
    confirmed: int  # real channels whose platform confirmed (sent)
    previews: int  # preview channels that rendered the message (previewed)

    @property
    def all_confirmed(self) -> bool:
        """Every real channel confirmed; previews neither count towards it nor block it."""
        return self.real > 0 and self.confirmed == self.real


def confirmation(events: list[dict[str, Any]]) -> Confirmation:
    real = [e for e in events if e["category"] != ChannelCategory.PREVIEW]
    return Confirmation(
        real=len(real),
        confirmed=sum(1 for e in real if e["state"] == DeliveryState.SENT),
        previews=sum(
            1
            for e in events
            if e["category"] == ChannelCategory.PREVIEW and e["state"] == DeliveryState.PREVIEWED
        ),
    )


def _signature(event: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(event[k] for k in ("state", "attempts", "last_error", "remote_url", "inline", "updated_at"))


class DeliveryFeed:
    def __init__(self, db: Database, interval: float = 1.0) -> None:
        self.db = db
        self.interval = interval
        self.version = 0
        self.rows: dict[int, dict[str, Any]] = {}
        self.changes: deque[tuple[int, dict[str, Any]]] = deque(maxlen=HISTORY)
        self.polls = 0  # database queries made; the tests and the board's footer show it
        self.condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._pruned_at = time.monotonic()

    # -- the one poller ----------------------------------------------------------
    def start(self) -> DeliveryFeed:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._poll(since=utcnow() - WARM_UP)
                self._thread = threading.Thread(target=self._run, name="delivery-feed", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._poll(since=utcnow() - LOOKBACK)
            except Exception:  # the database may be briefly unavailable; keep going
                log.exception("delivery feed poll failed")

    def _poll(self, since: Any) -> None:
        with self.db.session() as session:
            rows = [
                delivery_event(d)
                for d in session.scalars(
                    select(Delivery).where(Delivery.source_kind == SOURCE_KIND, Delivery.updated_at >= since)
                )
            ]
        self.polls += 1
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY:
            self.prune()
        changed = [
            r for r in rows if r["id"] not in self.rows or _signature(self.rows[r["id"]]) != _signature(r)
        ]
        if not changed:
            return
        with self.condition:
            for row in changed:
                self.version += 1
                self.rows[row["id"]] = row
                self.changes.append((self.version, row))
            self.condition.notify_all()

    def prune(self) -> int:
        """Let go of deliveries unchanged for ``WARM_UP``; returns how many."""
        cutoff = (utcnow() - WARM_UP).isoformat()
        with self.condition:
            old = [key for key, row in self.rows.items() if row["updated_at"] < cutoff]
            for key in old:
                del self.rows[key]
        self._pruned_at = time.monotonic()
        return len(old)

    # -- listeners ---------------------------------------------------------------
    def wait(self, after: int, timeout: float) -> tuple[int, list[dict[str, Any]]]:
        """Changes newer than version ``after``; blocks up to ``timeout`` for the first."""
        self.start()
        deadline = time.monotonic() + timeout
        with self.condition:
            while self.version <= after:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return self.version, []
                self.condition.wait(remaining)
            if self.changes and self.changes[0][0] > after + 1:  # fell behind: send the lot
                return self.version, list(self.rows.values())
            return self.version, [row for version, row in self.changes if version > after]

    def snapshot(self, source_kind: str, source_id: int) -> tuple[int, list[dict[str, Any]]]:
        self.start()
        with self.condition:
            rows = [
                r
                for r in self.rows.values()
                if r["source_kind"] == source_kind and r["source_id"] == source_id
            ]
            return self.version, sorted(rows, key=lambda r: r["id"])
