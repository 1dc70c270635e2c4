"""Webhook: a signed JSON POST for the city app or any other system.

Every request carries::

    Content-Type: application/json
    X-Ernstfall-Delivery: <delivery key, the same on every retry>
    Idempotency-Key: <the same key>
    X-Ernstfall-Timestamp: <Unix seconds when this attempt was signed>
    X-Ernstfall-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A receiver verifies by recomputing the HMAC over the timestamp, a dot and the raw
body bytes with the shared secret, comparing in constant time, and rejecting
timestamps more than five minutes from its clock (so a captured request cannot be
replayed later). :func:`verify_signature` does exactly this.

Outcome unknown: if the receiver does not answer in time, the alert is sent
again with the same ``X-Ernstfall-Delivery`` key; receivers should drop keys they
have already processed. We cannot know whether a receiver does, so the channel
is not declared idempotent and community posts go to a person instead.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, ClassVar

from publisher import http
from publisher.channels import sessions
from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.errors import DeliveryError
from publisher.outbox import ratelimit

SIGNATURE_HEADER = "X-Ernstfall-Signature"
TIMESTAMP_HEADER = "X-Ernstfall-Timestamp"
DELIVERY_HEADER = "X-Ernstfall-Delivery"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None
) -> bool:
    """What a receiver does: constant-time compare and a five-minute replay window."""
    try:
        age = (now if now is not None else time.time()) - int(timestamp)
    except ValueError:
        return False
    if abs(age) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel(ChannelAdapter):
    type_name = "webhook"
    label = "Webhook"
    limits: ClassVar[Limits] = Limits(max_length=None, max_media=4, alt_text_required=True)
    idempotent = False

    @property
    def url(self) -> str:
        return str(self.config.base_url or self.config.options.get("url") or "")

    def validate(self, message: Message) -> list[Problem]:
        problems = super().validate(message)
        if not self.url.startswith(("https://", "http://")):
            problems.append(
                Problem("url", "Webhook: Ziel-URL (base_url) fehlt oder beginnt nicht mit https://")
            )
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        extras = message.extras
        return {
            "event": message.kind,
            "text": self.render_text(message),
            "title": message.title,
            "link": message.link,
            "language": message.language,
            "level": message.level,
            "drill": message.drill,
            "expires_at": message.expires_at,
            "media": [{"url": m.public_url, "alt": m.alt, "mime": m.mime} for m in message.media],
            "alert": {
                key: extras[key]
                for key in ("alert_id", "identifier", "msg_type", "status", "sent", "texts")
                if key in extras
            }
            or None,
        }

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        body = json.dumps({"id": idempotency_key, **rendered}, ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Ernstfall-Webhook/1",
            DELIVERY_HEADER: idempotency_key,
            "Idempotency-Key": idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.config.secret("secret"), timestamp, body),
        }
        if not self.url:
            raise DeliveryError(f"{self.config.name}: Ziel-URL fehlt", permanent=True)
        ratelimit.acquire(self.config)
        try:
            response = http.request(
                "POST",
                self.url,
                channel=self.config.name,
                timeout=self.config.http_timeout,
                session=sessions.for_channel(self.config.name, self.url or ""),
                data=body,
                headers=headers,
            )
        except DeliveryError as exc:
            if exc.status == 429:
                ratelimit.pause(self.config, exc.retry_after)
            if exc.status in (401, 403):
                exc.message = f"{self.config.name}: Empfänger lehnt ab (Geheimnis/Signatur prüfen)"
            raise
        remote_id = None
        if response.content:
            try:
                answer = response.json()
            except ValueError:
                answer = None  # a 2xx is success; the receiver owes us no JSON
            if isinstance(answer, dict) and answer.get("id") is not None:
                remote_id = str(answer["id"])
        return Receipt(remote_id=remote_id or idempotency_key, detail={"status": response.status_code})

    def check(self) -> CheckResult:
        """Reachability only (HEAD/GET of the URL): a test POST would be a real message."""
        if not self.url:
            return CheckResult(False, f"{self.config.name}: Ziel-URL fehlt")
        if not self.config.has_secret("secret"):
            return CheckResult(False, f"{self.config.name}: secret_env oder secret_file fehlt")
        try:
            http.request("HEAD", self.url, channel=self.config.name, timeout=self.config.http_timeout)
        except DeliveryError as exc:
            if exc.status is not None and (exc.status < 500 or exc.status == 501):  # answered: reachable
                return CheckResult(True, f"{self.url} erreichbar (HTTP {exc.status} auf HEAD)")
            return CheckResult(False, str(exc))
        return CheckResult(True, f"{self.url} erreichbar")
