"""Monotonic stage marks of a send, for tracing where an alert's time goes (issue 16).

``mark(delivery_id, stage)`` is called at fixed points of the outbox (claimed, adapter
built, request sent, answered, recorded). Nothing is kept unless a recorder is installed
(``bench.alert_latency --trace``, tests), so in production a mark costs one ``is None``.
``time.monotonic`` is the host's monotonic clock, comparable across threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

Mark = tuple[int, str, float]  # delivery id, stage, time.monotonic()

_marks: list[Mark] | None = None
_lock = threading.Lock()


def mark(delivery_id: int, stage: str) -> None:
    """Note that ``delivery_id`` reached ``stage`` now (only while :func:`recording`)."""
    if _marks is None:
        return
    at = time.monotonic()
    with _lock:
        if _marks is not None:
            _marks.append((delivery_id, stage, at))


@contextmanager
def recording() -> Iterator[list[Mark]]:
    """Collect every mark made inside the block (any thread) into the yielded list."""
    global _marks
    collected: list[Mark] = []
    with _lock:
        _marks = collected
    try:
        yield collected
    finally:
        with _lock:
            _marks = None
