"""GatewayAPI (gatewayapi.eu / gatewayapi.com): ``POST /rest/mtsms``, many recipients per request.

One request carries one message and a list of ``{"msisdn": 4917...}`` recipients;
the answer is ``{"ids": [...], "usage": {...}}``. Errors come as HTTP 4xx/5xx with
``{"code": "0x0216", "message": ...}``. The API token is sent as the Basic-auth
user name with an empty password.

Delivery reports are POSTed as JSON (``id``, ``msisdn``, ``status``, ``error``,
``code``, ``userref``). When an authentication token is set for the webhook,
GatewayAPI signs a JWT (HS256) with it and sends it in ``X-Gwapi-Signature``; its
claims are the report itself. Its registered time claims are checked when present
(``exp``, ``nbf``, and ``iat`` no older than ``MAX_REPORT_AGE``), with ``LEEWAY`` seconds
for clocks that differ a little; a token is accepted once (see ``replay.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from publisher import http
from publisher.channels.base import CheckResult
from publisher.channels.sms_providers import InvalidReport, SmsProvider, header
from publisher.channels.sms_providers.replay import ReplayWindow
from publisher.errors import DeliveryError
from publisher.outbox.sms_status import (
    ACCEPTED,
    BUFFERED,
    DELIVERED,
    EXPIRED,
    REJECTED,
    UNDELIVERED,
    UNKNOWN,
    RecipientResult,
    Report,
)

REPORT_STATES = {
    "DELIVERED": DELIVERED,
    "UNDELIVERABLE": UNDELIVERED,
    "REJECTED": REJECTED,
    "EXPIRED": EXPIRED,
    "DELETED": UNDELIVERED,
    "SKIPPED": UNDELIVERED,
    "BUFFERED": BUFFERED,
    "ENROUTE": BUFFERED,
    "ACCEPTED": BUFFERED,
    "SCHEDULED": BUFFERED,
    "UNKNOWN": UNKNOWN,
}
MAX_REPORT_AGE = 300  # seconds a report signed at ``iat`` stays acceptable
LEEWAY = 30  # seconds the provider's clock may differ from ours
# A token with no time claim cannot expire; its fingerprint is kept this long instead.
KEEP_UNTIMED = timedelta(days=7)


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_jwt_hs256(token: str, secret: str) -> dict[str, Any]:
    """The claims of an HS256 JWT, if its signature matches ``secret``."""
    try:
        head_b64, claims_b64, signature_b64 = token.split(".")
        head = json.loads(_b64url_decode(head_b64))
        signature = _b64url_decode(signature_b64)
    except ValueError as exc:
        raise InvalidReport("X-Gwapi-Signature ist kein JWT") from exc
    if head.get("alg") != "HS256":
        raise InvalidReport(f"JWT-Algorithmus {head.get('alg')!r} nicht erlaubt")
    expected = hmac.new(secret.encode(), f"{head_b64}.{claims_b64}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidReport("Signatur stimmt nicht")
    try:
        claims: dict[str, Any] = json.loads(_b64url_decode(claims_b64))
    except ValueError as exc:
        raise InvalidReport("JWT-Inhalt unlesbar") from exc
    return claims


def _time_claim(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidReport(f"JWT-Angabe {name!r} ist keine Zeit in Sekunden")
    return float(value)


def check_jwt_times(claims: dict[str, Any], now: float) -> None:
    """Refuse a token that expired, is not valid yet, or was issued too long ago."""
    expires, not_before, issued = (_time_claim(claims, n) for n in ("exp", "nbf", "iat"))
    if expires is not None and now > expires + LEEWAY:
        raise InvalidReport(f"JWT seit {int(now - expires)} s abgelaufen (exp) — abgelehnt")
    if not_before is not None and now + LEEWAY < not_before:
        raise InvalidReport("JWT noch nicht gültig (nbf liegt in der Zukunft) — abgelehnt")
    if issued is not None and issued > now + LEEWAY:
        raise InvalidReport("JWT-Ausstellungszeit (iat) liegt in der Zukunft — abgelehnt")
    if issued is not None and now - issued > MAX_REPORT_AGE + LEEWAY:
        raise InvalidReport(f"JWT vor {int(now - issued)} s ausgestellt (iat) — zu alt, abgelehnt")


def keep_until(claims: dict[str, Any], now: float) -> datetime:
    """Until when the token could still pass check_jwt_times, so a repeat must be refused."""
    ends = [
        t + margin
        for t, margin in ((claims.get("exp"), LEEWAY), (claims.get("iat"), MAX_REPORT_AGE + LEEWAY))
        if isinstance(t, int | float) and not isinstance(t, bool)
    ]
    if not ends:
        return datetime.fromtimestamp(now, UTC) + KEEP_UNTIMED
    return datetime.fromtimestamp(min(ends) + 1, UTC)


class GatewayApiProvider(SmsProvider):
    name = "gatewayapi"
    default_base_url = "https://gatewayapi.eu"
    default_batch_size = 500
    # GatewayAPI's REST documentation names no limit on parallel requests; we stay
    # modest and let a 429 with Retry-After pause every worker (ratelimit.pause).
    default_concurrency = 4
    max_concurrency = 16

    def credentials(self) -> dict[str, Any]:
        return {"auth": (self.config.secret("api_token"), "")}

    def send_batch(
        self, text: str, recipients: list[str], *, encoding: str, reference: str
    ) -> list[RecipientResult]:
        payload: dict[str, Any] = {
            "message": text,
            "recipients": [{"msisdn": int(m.lstrip("+"))} for m in recipients],
            "userref": reference,
        }
        if self.sender:
            payload["sender"] = self.sender
        if encoding == "ucs2":
            payload["encoding"] = "UCS2"
        callback = self.config.options.get("status_callback_url")
        if callback:
            payload["callback_url"] = str(callback)
        try:
            response = self.call("POST", "/rest/mtsms", json=payload)
        except DeliveryError as exc:
            raise self._explain(exc) from exc
        body = http.json_body(response, self.label())
        ids = body.get("ids") if isinstance(body, dict) else None
        if not ids:
            raise DeliveryError(
                f"{self.label()}: Antwort ohne Nachrichten-ID",
                outcome_unknown=True,
                platform_message=str(body)[:200],
            )
        # One message, many recipients: the id is shared, reports name the msisdn.
        return [RecipientResult(m, ACCEPTED, str(ids[0])) for m in recipients]

    def _explain(self, error: DeliveryError) -> DeliveryError:
        # The platform's own words (e.g. "Insufficient credit") stay in platform_message.
        if error.status == 401:
            error.message = f"{self.label()}: Zugang abgelehnt (API-Token prüfen)"
        elif error.status == 403:
            error.message = f"{self.label()}: nicht erlaubt (IP-Freigabe oder Berechtigung prüfen)"
        return error

    def check(self) -> CheckResult:
        try:
            response = self.call("GET", "/rest/me")
            body = http.json_body(response, self.label())
        except DeliveryError as exc:
            return CheckResult(False, str(self._explain(exc)))
        credit = body.get("credit") if isinstance(body, dict) else None
        currency = str(body.get("currency", "")) if isinstance(body, dict) else ""
        return CheckResult(
            True,
            f"GatewayAPI erreichbar, Guthaben {credit} {currency}".strip(),
            balance=float(credit) if isinstance(credit, int | float) else None,
            currency=currency,
        )

    def parse_reports(
        self, *, url: str, method: str, headers: Mapping[str, str], body: bytes, form: Mapping[str, str]
    ) -> list[Report]:
        token = header(headers, "X-Gwapi-Signature")
        if not token:
            raise InvalidReport("X-Gwapi-Signature fehlt — Authentifizierungs-Token im Webhook setzen")
        claims = verify_jwt_hs256(token, self.config.secret("webhook_secret"))
        check_jwt_times(claims, time.time())
        if "id" not in claims or "status" not in claims:
            return []  # e.g. an incoming-message webhook, not a delivery report
        raw = str(claims.get("status", "UNKNOWN")).upper()
        status = REPORT_STATES.get(raw, UNKNOWN)
        msisdn = claims.get("msisdn")
        error = claims.get("error") or (None if status == DELIVERED else raw)
        code = claims.get("code")
        if code and error:
            error = f"{error} ({code})"
        return [Report(str(claims["id"]), status, f"+{msisdn}" if msisdn else None, error)]

    def replay_window(self, headers: Mapping[str, str]) -> ReplayWindow | None:
        token = header(headers, "X-Gwapi-Signature")
        claims = json.loads(_b64url_decode(token.split(".")[1]))  # verified by parse_reports
        return ReplayWindow.of("gatewayapi-jwt", token.rsplit(".", 1)[-1], keep_until(claims, time.time()))
