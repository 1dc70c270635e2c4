"""Record an alert's outcomes as they come, in as few transactions as they allow (issue 16).

An alert's sends answer within milliseconds of each other. Recorded one transaction per
channel, each thread took the database session, the SQLite writer and the interpreter in
turn while the slower channels were still building their requests. Here each sending
thread hands in its outcome and whoever finds the writer free writes every outcome
waiting at that moment in one call (group commit): the first outcome is written at once,
the ones that arrive meanwhile together right after. No extra thread; each caller gets
its own result back, or the error of the write that carried it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """``submit(item)`` returns ``write([..., item, ...])[key(item)]``; waiting items share a write."""

    def __init__(self, write: Callable[[list[T]], dict[int, R]], key: Callable[[T], int]) -> None:
        self._write = write
        self._key = key
        self._waiting: list[T] = []
        self._results: dict[int, R] = {}
        self._errors: dict[int, BaseException] = {}
        self._queue = threading.Lock()  # guards _waiting, _results, _errors
        self._writer = threading.Lock()  # one write at a time

    def submit(self, item: T) -> R:
        key = self._key(item)
        with self._queue:
            self._waiting.append(item)
        with self._writer:
            with self._queue:
                batch, self._waiting = self._waiting, []
            if batch:  # else: an earlier writer took this item along
                self._write_batch(batch)
        with self._queue:
            if key in self._errors:
                raise self._errors.pop(key)
            return self._results.pop(key)

    def _write_batch(self, batch: list[T]) -> None:
        try:
            results = self._write(batch)
        except BaseException as exc:
            with self._queue:
                self._errors.update((self._key(item), exc) for item in batch)
            return
        with self._queue:
            self._results.update(results)
