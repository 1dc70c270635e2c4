"""A threaded HTTP server on 127.0.0.1 with scriptable responses, base for every fake."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, list[str]] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"))


@dataclass
class Scripted:
    """A canned response used once (or ``times`` times) before the fake's normal behaviour."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # sleep before answering (to provoke client timeouts)
    raw: bytes | None = None  # send these bytes instead of JSON (broken bodies)
    path_prefix: str = ""  # only for requests whose path starts with this


class FakeServer:
    """Subclasses implement ``handle(request) -> (status, body, headers)``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: deque[Scripted] = deque()
        self.lock = threading.Lock()
        self.connections = 0  # TCP connections accepted (keep-alive: several requests each)
        self.open_connections = 0  # of those, still open (the client keeps them alive)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with fake.lock:
                    fake.connections += 1
                    fake.open_connections += 1

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    with fake.lock:
                        fake.open_connections -= 1

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urlparse(self.path)
                request = Recorded(
                    self.command,
                    parsed.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    parse_qs(parsed.query),
                )
                with fake.lock:
                    fake.requests.append(request)
                    scripted = fake._next_script(request)
                if scripted is not None:
                    if scripted.delay:
                        time.sleep(scripted.delay)
                    status, payload, headers, raw = (
                        scripted.status,
                        scripted.body,
                        scripted.headers,
                        scripted.raw,
                    )
                else:
                    status, payload, headers = fake.handle(request)
                    raw = None
                data = raw if raw is not None else json.dumps(payload).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _next_script(self, request: Recorded) -> Scripted | None:
        for index, item in enumerate(self.script):
            if request.path.startswith(item.path_prefix):
                del self.script[index]
                return item
        return None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def enqueue(self, *responses: Scripted) -> None:
        with self.lock:
            self.script.extend(responses)

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> list[Recorded]:
        """Wait until some recorded requests satisfy ``predicate``; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [r for r in self.requests if predicate(r)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no matching request within {timeout} s; got {self.requests!r}")
