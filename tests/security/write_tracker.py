"""Finds a database write transaction held open across network I/O, in tests.

The engine reports every statement; a write (INSERT, UPDATE, DELETE, REPLACE) marks its
DBAPI connection as holding a write transaction until commit, rollback or check-in.
``socket.socket.connect``/``connect_ex``/``send``/``sendall`` are wrapped: when the
calling thread holds such a connection, the call is recorded as a violation with the
statement that opened the transaction and the stack of the network call. On SQLite
this is exactly the situation in which every other writer, the crisis lane included,
has to wait for the network.
"""

from __future__ import annotations

import re
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, event

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
NETWORK_CALLS = ("connect", "connect_ex", "send", "sendall")


@dataclass
class Violation:
    call: str
    peer: str
    statement: str
    stack: str

    def __str__(self) -> str:
        return f"{self.call}({self.peer}) while a write was open: {self.statement[:120]}\n{self.stack}"


@dataclass
class WriteTracker:
    # id(DBAPI connection) -> (thread id, first write statement of the open transaction)
    open_writes: dict[int, tuple[int, str]] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    connects: list[Any] = field(default_factory=list)  # peers this process connected to
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrote(self, dbapi_connection: Any, statement: str) -> None:
        with self.lock:
            self.open_writes.setdefault(id(dbapi_connection), (threading.get_ident(), statement))

    def ended(self, dbapi_connection: Any) -> None:
        with self.lock:
            self.open_writes.pop(id(dbapi_connection), None)

    def network(self, call: str, peer: Any) -> None:
        me = threading.get_ident()
        with self.lock:
            if call.startswith("connect"):
                self.connects.append(peer)
            held = [statement for thread, statement in self.open_writes.values() if thread == me]
        if held:
            stack = "".join(traceback.format_stack(limit=25)[:-2])
            self.violations.append(Violation(call, repr(peer), held[0], stack))


def _dbapi(connection: Any) -> Any:
    return connection.connection.dbapi_connection


def attach(engine: Engine, tracker: WriteTracker) -> Callable[[], None]:
    """Listen on ``engine``; returns a function that stops listening."""

    def on_statement(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if WRITE.match(statement):
            tracker.wrote(_dbapi(conn), statement)

    def on_end(conn: Any) -> None:
        tracker.ended(_dbapi(conn))

    def on_checkin(dbapi_connection: Any, _record: Any) -> None:
        tracker.ended(dbapi_connection)

    listeners: list[tuple[Any, str, Callable[..., None]]] = [
        (engine, "before_cursor_execute", on_statement),
        (engine, "commit", on_end),
        (engine, "rollback", on_end),
        (engine.pool, "checkin", on_checkin),
    ]
    for target, name, function in listeners:
        event.listen(target, name, function)

    def detach() -> None:
        for target, name, function in listeners:
            event.remove(target, name, function)

    return detach


def patch_sockets(monkeypatch: pytest.MonkeyPatch, tracker: WriteTracker) -> None:
    for name in NETWORK_CALLS:
        original = getattr(socket.socket, name)

        def wrapped(self: socket.socket, *args: Any, _original: Any = original, _name: str = name) -> Any:
            peer = args[0] if _name.startswith("connect") else _peer(self)
            tracker.network(_name, peer)
            return _original(self, *args)

        monkeypatch.setattr(socket.socket, name, wrapped)


def _peer(sock: socket.socket) -> Any:
    try:
        return sock.getpeername()
    except OSError:
        return "?"


@contextmanager
def watching(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteTracker]:
    tracker = WriteTracker()
    detach = attach(engine, tracker)
    patch_sockets(monkeypatch, tracker)
    try:
        yield tracker
    finally:
        detach()
