"""One SQLite writer at a time, handed over the moment the last one commits (issue 16).

SQLite lets one connection write at a time. A connection that finds the database locked
does not queue: its busy handler sleeps in growing steps (1, 2, 5, 10, 15, 20, 25 … 100 ms)
and tries again. While a community batch records its outcomes, an alert request that
wanted to write therefore slept on for up to 100 ms after the lock was already free.

Here every write transaction first takes an exclusive ``flock`` on ``<database>-writer.lock``
(one descriptor per connection, so threads of one process exclude each other too). The
kernel wakes the waiting writers the moment the holder commits or rolls back; SQLite's own
lock is then free and its busy handler never sleeps. Readers take nothing (WAL lets them
read while someone writes).

When the lock is taken and given back, mirroring ``sqlite3``'s own transaction rule (legacy
transaction control: a data-changing statement opens a transaction implicitly):

- before a statement that may change data, if this connection has no transaction open;
- given back after ``commit``/``rollback``/``close``, and after any statement that left no
  transaction open (a read-only or failed statement, DDL in autocommit).

Background processes (the community worker, the scheduler) call :func:`give_way` with the
crisis lane's flag: they ask whether an alert is being issued and sent, and if so wait for
the flag (at most a few seconds); then they queue on a gate in front of the lock, so that
only one background writer at a time waits for the lock itself. Every other writer (the web
app, the crisis worker: the alert path) first takes a shared lock on
``<database>-writer.lock.intent`` and keeps it until its transaction ends; a background
writer that is handed the writer lock while such an intent is held hands it straight back
and waits. An alert's writes thus wait only for a background transaction that had already
begun. Nothing asks Redis while holding the writer lock.

A thread that already holds the lock through one connection and writes through a second
would wait for itself: that second connection skips the lock and falls back to SQLite's
busy handler, which behaves exactly as without this module (wait, then "database is locked").
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# Statements that never change data: no lock needed (anything else takes it, to be safe).
READ_ONLY_KEYWORDS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "VALUES"})

_holding = threading.local()  # the connection through which this thread holds the lock
_not_waiting = threading.local()  # set inside without_waiting()


@dataclass(frozen=True)
class GiveWay:
    """How a background process learns that an alert is under way, and waits for it."""

    pending: Callable[[], bool]
    wait: Callable[[], object]


_give_way: GiveWay | None = None


def give_way(rule: GiveWay | None) -> None:
    """This process's writers step back for alerts (``None``: they do not)."""
    global _give_way
    _give_way = rule


def is_background() -> bool:
    """Whether this process is a background writer (it called :func:`give_way` with a rule)."""
    return _give_way is not None


# Copying the write-ahead log into the database file (a checkpoint, with a sync) is done by
# whichever connection commits past the threshold. During a release burst the log grows by
# megabytes a second, and when an alert's commit was that connection, the alert paid tens of
# milliseconds for the release's pages (issue 16, docs/benchmarks.md session 7). Background
# writers checkpoint at SQLite's default; the alert path only as a safety net, should the log
# ever reach 40 MB (no background writer running).
BACKGROUND_CHECKPOINT_PAGES = 1000
ALERT_PATH_CHECKPOINT_PAGES = 10000


def checkpoint_pages() -> int:
    """The ``wal_autocheckpoint`` this process's connections should use."""
    return BACKGROUND_CHECKPOINT_PAGES if is_background() else ALERT_PATH_CHECKPOINT_PAGES


@contextmanager
def without_waiting() -> Iterator[None]:
    """Write transactions this thread begins inside the block never queue for the lock.

    When another writer holds it, the first writing statement fails at once with SQLite's
    own "database is locked" (``sqlite3.OperationalError``), as with ``busy_timeout=0``
    alone before this lock existed. For writes that may be skipped, such as noting when
    an API token was last used: they must never delay the request they belong to.
    """
    _not_waiting.on = True
    try:
        yield
    finally:
        _not_waiting.on = False


def lock_path_for(database: str) -> str | None:
    """The lock file beside a database file; None for in-memory databases."""
    path = database
    if path.startswith("file:"):
        path = path[len("file:") :].split("?", 1)[0]
    if not path or path == ":memory:" or "mode=memory" in database:
        return None
    return f"{path}-writer.lock"


def may_write(sql: str) -> bool:
    words = sql.lstrip(" \t\r\n(").split(None, 1)
    return not words or words[0].upper() not in READ_ONLY_KEYWORDS


def _locked(path: str, *, wait: bool, shared: bool = False) -> int:
    """A descriptor holding the lock on ``path`` (exclusive, or ``shared``); closing it gives it back.

    Without ``wait``, a lock another writer holds fails at once like SQLite without a busy
    wait: ``sqlite3.OperationalError("database is locked")``.
    """
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(descriptor)
        raise sqlite3.OperationalError("database is locked") from None
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


class WriterLockedConnection(sqlite3.Connection):
    """A ``sqlite3`` connection whose write transactions take the database's writer lock."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._lock_path = lock_path_for(os.fsdecode(database))
        self._lock_fds: tuple[int, ...] = ()
        self._held = False

    def cursor(self, factory: Any = None) -> Any:  # SQLAlchemy runs every statement through one
        return super().cursor(factory or WriterLockedCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        cursor: WriterLockedCursor = self.cursor()
        return cursor.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        cursor: WriterLockedCursor = self.cursor()
        return cursor.executemany(sql, parameters)

    def before_statement(self, sql: str) -> None:
        if self._held or self._lock_path is None or self.in_transaction or not may_write(sql):
            return
        if getattr(_holding, "connection", None) is not None:
            return  # this thread holds it through another connection: see the module text
        # A descriptor only while writing: a process keeps many idle connections, and some
        # libraries still use select(), which fails on descriptors above 1023.
        if getattr(_not_waiting, "on", False):
            self._hold(_locked(self._lock_path, wait=False))
            return
        rule = _give_way
        if rule is None:  # the alert path: announce this writer, then queue
            intent = _locked(f"{self._lock_path}.intent", wait=True, shared=True)
            try:
                descriptor = _locked(self._lock_path, wait=True)  # flock releases the GIL while it waits
            except BaseException:
                os.close(intent)
                raise
            self._hold(descriptor, intent)
            return
        gate = self._pass_gate(rule)
        try:
            self._hold(self._behind_the_alert_path())
        finally:
            os.close(gate)  # the next background writer may queue for the lock now

    def _behind_the_alert_path(self) -> int:
        """A background writer's turn: the writer lock, once no alert-path writer is waiting for it.

        When the lock is handed over, the kernel may wake this writer before an alert-path
        writer that queued after it. It then hands the lock straight back and waits until no
        alert-path writer announces itself, so an alert waits only for a background
        transaction that had already begun, never for one that had merely queued.
        """
        assert self._lock_path is not None
        intent_path = f"{self._lock_path}.intent"
        while True:
            descriptor = _locked(self._lock_path, wait=True)
            try:
                idle = _locked(intent_path, wait=False)  # fails while an alert-path writer waits
            except sqlite3.OperationalError:
                os.close(descriptor)
                os.close(_locked(intent_path, wait=True))  # until none is left, then queue again
                continue
            except BaseException:
                os.close(descriptor)
                raise
            os.close(idle)
            return descriptor

    def _hold(self, descriptor: int, intent: int | None = None) -> None:
        self._lock_fds = (descriptor,) if intent is None else (descriptor, intent)
        self._held = True
        _holding.connection = self

    def _pass_gate(self, rule: GiveWay) -> int:
        """A background writer: wait out an alert, then be the one background writer queued.

        Background writers queue on ``<database>-writer.lock.gate`` first and only the one
        holding it waits for the writer lock, so an alert's writer finds at most one
        background writer ahead of it in the queue. The alert question is asked before and
        again while holding the gate (the alert may have begun meanwhile), never while
        holding the writer lock, so a slow background process cannot make the alert wait.
        """
        if rule.pending():
            rule.wait()
        gate = _locked(f"{self._lock_path}.gate", wait=True)
        try:
            if rule.pending():
                fcntl.flock(gate, fcntl.LOCK_UN)
                rule.wait()
                fcntl.flock(gate, fcntl.LOCK_EX)
        except BaseException:
            os.close(gate)
            raise
        return gate

    def release_if_idle(self) -> None:
        if self._held and not self.in_transaction:
            self._release()

    def _release(self) -> None:
        self._held = False
        if getattr(_holding, "connection", None) is self:
            _holding.connection = None
        descriptors, self._lock_fds = self._lock_fds, ()
        for descriptor in descriptors:
            os.close(descriptor)  # closing the descriptor gives the lock back

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_if_idle()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_if_idle()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._held:
                self._release()


class WriterLockedCursor(sqlite3.Cursor):
    """Takes the writer lock before a statement that may write, gives it back when idle."""

    @contextmanager
    def _statement(self, sql: str) -> Iterator[None]:
        connection: WriterLockedConnection = self.connection  # type: ignore[assignment]
        connection.before_statement(sql)
        try:
            yield
        finally:
            connection.release_if_idle()

    def execute(self, sql: str, parameters: Any = (), /) -> WriterLockedCursor:
        with self._statement(sql):
            super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, parameters: Any, /) -> WriterLockedCursor:
        with self._statement(sql):
            super().executemany(sql, parameters)
        return self
