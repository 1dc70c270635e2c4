"""Threads kept ready for the crisis worker's sends (issue 16).

An alert's sends each run in a thread of their own. Starting a thread means waiting until
it runs, and while the first sends already work (drawing the Instagram tile, building
requests), every further start waits its turn: the eighth send left some 10 ms later than
the first. Threads that already exist and wait for work take a job as soon as it is handed
over, so the crisis worker starts them once (``prestart``, at ``worker_ready``) and keeps them.

The pool grows when every thread is busy (two alerts at once never queue behind each
other's slow platforms) up to ``most``. A job that itself sends in threads (nothing does
today) gets a pool of its own, so the pool never waits for itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
J = TypeVar("J")

PREFIX = "crisis-send"


class ReadyThreads:
    def __init__(self, most: int, prefix: str = PREFIX) -> None:
        self.most = most
        self.prefix = prefix
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.most, thread_name_prefix=self.prefix)
            return self._pool

    def prestart(self, count: int) -> None:
        """Start ``count`` threads now and leave them waiting for work."""
        count = min(count, self.most)
        everyone = threading.Barrier(count + 1)
        pool = self._executor()
        for _ in range(count):  # each waits until all are up, so each job gets its own thread
            pool.submit(everyone.wait)
        everyone.wait()

    def map(self, work: Callable[[J], T], jobs: list[J]) -> list[T]:
        """``work`` for every job at once; the results in the order of ``jobs``."""
        if not jobs:
            return []
        if threading.current_thread().name.startswith(self.prefix):
            with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix=f"{self.prefix}-inner") as own:
                return list(own.map(work, jobs))
        return list(self._executor().map(work, jobs))
