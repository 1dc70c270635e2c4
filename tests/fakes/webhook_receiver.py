"""A city-app endpoint on 127.0.0.1 that verifies Ernstfall's webhook signature like a receiver should."""

from __future__ import annotations

import itertools
from typing import Any

from publisher.channels.webhook import verify_signature
from tests.fakes.http import FakeServer, Recorded


class FakeReceiver(FakeServer):
    def __init__(self, secret: str = "hook-secret") -> None:
        super().__init__()
        self.secret = secret
        self.ids = itertools.count(1)
        self.seen: set[str] = set()

    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.method == "HEAD":
            return 405, {"error": "method not allowed"}, {}
        ok = verify_signature(
            self.secret,
            request.headers.get("x-ernstfall-timestamp", ""),
            request.body,
            request.headers.get("x-ernstfall-signature", ""),
        )
        if not ok:
            return 401, {"error": "invalid signature"}, {}
        key = request.headers.get("x-ernstfall-delivery", "")
        duplicate = key in self.seen
        self.seen.add(key)
        return 200, {"id": f"app-{next(self.ids)}", "duplicate": duplicate}, {}
