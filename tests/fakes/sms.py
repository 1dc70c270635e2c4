"""Fake SMS providers on 127.0.0.1 speaking seven.io, GatewayAPI and Twilio shapes."""

from __future__ import annotations

import base64
import itertools
import threading
import time
import uuid
from collections import Counter
from typing import Any

from tests.fakes.http import FakeServer, Recorded


def basic_auth(request: Recorded) -> tuple[str, str] | None:
    value = request.headers.get("authorization", "")
    if not value.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(value[6:]).decode().partition(":")
    return user, password


STATS_PATH = "/__fake/stats"  # not part of any provider's API: for benchmarks in another process


class Tally:
    """What a fake gateway accepted, per number: a number accepted twice is a duplicate SMS."""

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()  # E.164 number -> times accepted
        self.sends = 0  # send requests seen (answered or failed)
        self.tally_lock = threading.Lock()

    def count_send(self) -> int:
        """Count one send request; returns its 1-based number."""
        with self.tally_lock:
            self.sends += 1
            return self.sends

    def accept(self, numbers: list[str]) -> None:
        with self.tally_lock:
            self.accepted.update("+" + n.lstrip("+") for n in numbers)

    def duplicates(self) -> int:
        with self.tally_lock:
            return sum(n - 1 for n in self.accepted.values() if n > 1)

    def stats(self) -> dict[str, int]:
        with self.tally_lock:
            accepted = sum(self.accepted.values())
            return {"sends": self.sends, "accepted": accepted, "numbers": len(self.accepted)}


class FakeSeven(FakeServer, Tally):
    """seven.io: HTTP 200 with a return code in ``success``; per-recipient ``messages``."""

    def __init__(
        self, api_key: str = "seven-key", invalid: set[str] | None = None, delay: float = 0.0
    ) -> None:
        FakeServer.__init__(self)
        Tally.__init__(self)
        self.api_key = api_key
        self.invalid = invalid or set()  # numbers (digits, no "+") the fake refuses
        self.delay = delay  # seconds a send waits before its (normal) answer: a slow gateway
        self.ids = itertools.count(77000000)
        self.balance = 42.5  # what GET /balance reports, in EUR

    @property
    def base(self) -> str:
        return f"{self.url}/api"

    def sent(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/api/sms"]

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == STATS_PATH:
            return 200, {**self.stats(), "duplicates": self.duplicates()}, {}
        if request.headers.get("x-api-key") != self.api_key:
            return 200, {"success": "900"}, {}
        if request.path == "/api/balance":
            return 200, {"amount": self.balance, "currency": "EUR"}, {}
        if request.path != "/api/sms":
            return 404, {"error": "not found"}, {}
        if self.delay:
            time.sleep(self.delay)  # the request is already recorded: tests can wait for it
        data = request.json()
        numbers = [n.strip().lstrip("+") for n in str(data["to"]).split(",")]
        messages = []
        for number in numbers:
            ok = number not in self.invalid
            messages.append(
                {
                    "id": str(next(self.ids)) if ok else None,
                    "sender": data.get("from", "seven"),
                    "recipient": number,
                    "text": data["text"],
                    "encoding": "gsm",
                    "parts": 1,
                    "price": 0.075 if ok else 0,
                    "success": ok,
                    "error": None if ok else "202",
                    "error_text": None if ok else "Invalid recipient",
                }
            )
        self.count_send()
        self.accept([str(m["recipient"]) for m in messages if m["success"]])
        good = sum(1 for m in messages if m["success"])
        code = "100" if good == len(messages) else ("101" if good else "202")
        return (
            200,
            {
                "success": code,
                "total_price": 0.075 * good,
                "balance": 42.5,
                "debug": "false",
                "sms_type": "direct",
                "messages": messages,
            },
            {},
        )


class FakeGatewayApi(FakeServer, Tally):
    """GatewayAPI REST: ``/rest/mtsms`` with many recipients; errors as ``{code, message}``.

    ``fail_sends`` maps the number of a send request (1-based, in arrival order) to the
    status it gets instead of an answer, e.g. ``{3: 503}``: the gateway failing on batch 3.
    """

    def __init__(self, token: str = "gw-token", delay: float = 0.0) -> None:
        FakeServer.__init__(self)
        Tally.__init__(self)
        self.token = token
        self.delay = delay  # seconds before each send is answered
        self.fail_sends: dict[int, int] = {}
        self.ids = itertools.count(421332671)
        self.credit = 120.5  # what GET /rest/me reports, in EUR

    def sent(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/rest/mtsms"]

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == STATS_PATH:
            return 200, {**self.stats(), "duplicates": self.duplicates()}, {}
        auth = basic_auth(request)
        if auth is None or auth[0] != self.token:
            return (
                401,
                {
                    "code": "0x0223",
                    "incident_uuid": str(uuid.uuid4()),
                    "message": "Invalid Consumer Key",
                    "variables": [],
                },
                {},
            )
        if request.path == "/rest/me":
            return 200, {"credit": self.credit, "currency": "EUR", "id": 1}, {}
        if request.path != "/rest/mtsms":
            return 404, {"code": "0x0101", "message": "Not found"}, {}
        data = request.json()
        recipients = data.get("recipients") or []
        if not data.get("message") or not recipients:
            return (
                400,
                {"code": "0x0222", "message": "Missing required parameter message", "variables": []},
                {},
            )
        number = self.count_send()
        if self.delay:
            time.sleep(self.delay)
        if number in self.fail_sends:
            return self.fail_sends[number], {"code": "0x0000", "message": "Service unavailable"}, {}
        self.accept([str(r["msisdn"]) for r in recipients])
        return (
            200,
            {
                "ids": [next(self.ids)],
                "usage": {
                    "countries": {"DE": len(recipients)},
                    "currency": "EUR",
                    "total_cost": 0.03 * len(recipients),
                },
            },
            {},
        )


class FakeTwilio(FakeServer, Tally):
    """Twilio Messages API: one message per request, 201 with ``sid``; errors with Twilio codes."""

    def __init__(
        self,
        sid: str = "AC" + "1" * 32,
        token: str = "twilio-token",
        invalid: set[str] | None = None,
        delay: float = 0.0,
    ):
        FakeServer.__init__(self)
        Tally.__init__(self)
        self.sid = sid
        self.token = token
        self.invalid = invalid or set()  # E.164 numbers answered with 21211
        self.delay = delay  # seconds before each message is answered
        self.fail_sends: dict[int, int] = {}  # send number (1-based) -> HTTP status instead
        self.balance = "15.50"  # Balance.json reports it as a string, as Twilio does

    def sent(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/Messages.json")]

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == STATS_PATH:
            return 200, {**self.stats(), "duplicates": self.duplicates()}, {}
        if basic_auth(request) != (self.sid, self.token):
            return (
                401,
                {
                    "code": 20003,
                    "message": "Authenticate",
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                    "status": 401,
                },
                {},
            )
        if request.path == f"/2010-04-01/Accounts/{self.sid}.json":
            return 200, {"sid": self.sid, "status": "active", "friendly_name": "Stadt"}, {}
        if request.path == f"/2010-04-01/Accounts/{self.sid}/Balance.json":
            return 200, {"account_sid": self.sid, "balance": self.balance, "currency": "USD"}, {}
        if request.path != f"/2010-04-01/Accounts/{self.sid}/Messages.json":
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}, {}
        form = {k: v[0] for k, v in request.form().items()}
        to = form.get("To", "")
        number = self.count_send()
        if self.delay:
            time.sleep(self.delay)
        if number in self.fail_sends:
            status = self.fail_sends[number]
            return status, {"code": 20000 + status, "message": "Too Many Requests", "status": status}, {}
        if to in self.invalid:
            return (
                400,
                {
                    "code": 21211,
                    "message": f"The 'To' number {to} is not a valid phone number.",
                    "more_info": "https://www.twilio.com/docs/errors/21211",
                    "status": 400,
                },
                {},
            )
        self.accept([to])
        return (
            201,
            {
                "sid": "SM" + uuid.uuid4().hex,
                "status": "queued",
                "to": to,
                "from": form.get("From"),
                "body": form.get("Body"),
                "num_segments": "1",
                "error_code": None,
                "error_message": None,
            },
            {},
        )
