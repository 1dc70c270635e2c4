"""The web app under waitress: the one way every process serves it (``ernstfall web``, tests, benchmarks).

waitress waits for its sockets with ``select()`` unless told otherwise, and ``select()``
cannot watch a descriptor numbered 1024 or above: the server thread then dies with
"filedescriptor out of range in select()" and every request hangs unanswered. A web
process holds a descriptor per open connection, live board and database file, so it asks
for ``poll()``, which has no such limit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from waitress.server import create_server

SERVER_OPTIONS: dict[str, Any] = {"asyncore_use_poll": True, "ident": "ernstfall"}


def web_server(app: Any, host: str, port: int, threads: int, **adjustments: Any) -> Any:
    """A waitress server for ``app``, bound and not yet running (call ``run()``)."""
    return create_server(app, host=host, port=port, threads=threads, **SERVER_OPTIONS, **adjustments)


@contextmanager
def serving_in_thread(app: Any, port: int, threads: int = 8, **adjustments: Any) -> Iterator[str]:
    """``app`` served on 127.0.0.1:``port`` from a daemon thread; yields the base URL, stops after."""
    server = web_server(app, "127.0.0.1", port, threads, **adjustments)
    threading.Thread(target=server.run, daemon=True, name=f"web-server-{port}").start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        disarm_wakeups(server)
        server.close()  # no new connections
        server.task_dispatcher.shutdown(timeout=1)  # its request threads end too


def disarm_wakeups(server: Any) -> None:
    """Make the server's loop wake-ups no-ops, before ``server.close()``.

    A request thread wakes waitress's loop by writing ``b"x"`` to a pipe (``os.write`` on
    the pipe's number). ``close()`` closes that pipe but keeps the number, so a request
    that finishes afterwards (a slow page, a live board's stream) wrote its ``x`` into
    whatever the process opened next under that number: in the tests, the next test's
    Redis connection, whose command then arrived as ``x*2…`` ("unknown command").
    After ``close()`` nothing is left to wake: the loop serves the last connections on
    its poll timeout.
    """
    server.trigger._physical_pull = lambda: None
