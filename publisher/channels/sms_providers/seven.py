"""seven.io (formerly sms77), a German provider: ``POST /api/sms`` with ``X-Api-Key``.

seven.io answers HTTP 200 for most failures and puts a return code in ``success``
(100 all sent, 101 partly sent, 900 bad key, 500 no credit, ...); the per-recipient
results are in ``messages``. Several recipients go into one request, comma-separated.

Delivery reports (webhook event ``dlr``) are signed: ``X-Signature`` is the hex
HMAC-SHA256, keyed with the signing secret, of
``timestamp \\n nonce \\n METHOD \\n URL \\n md5(body)`` from ``X-Timestamp`` and ``X-Nonce``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
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
    FAILED,
    REJECTED,
    UNDELIVERED,
    UNKNOWN,
    RecipientResult,
    Report,
)

# Return codes that fail the whole request, and whether retrying can help.
REQUEST_ERRORS: dict[str, tuple[str, bool]] = {
    "201": ("Absenderkennung ungültig (höchstens 11 Buchstaben oder 16 Ziffern)", True),
    "301": ("Absendernummer ungültig", True),
    "305": ("Text ungültig", True),
    "401": ("Text zu lang", True),
    "500": ("Guthaben reicht nicht — Konto bei seven.io aufladen", True),
    "600": ("Zustellung beim Netzbetreiber fehlgeschlagen", False),
    "700": ("unbekannter Fehler bei seven.io", False),
    "900": ("Zugang abgelehnt (API-Schlüssel prüfen)", True),
    "901": ("Absenderkennung für dieses Konto nicht freigegeben", True),
    "902": ("API-Schlüssel hat keine Berechtigung für SMS", True),
    "903": ("Server-IP nicht freigegeben (IP-Sperre im seven.io-Konto)", True),
}
REPORT_STATES = {
    "DELIVERED": DELIVERED,
    "NOTDELIVERED": UNDELIVERED,
    "REJECTED": UNDELIVERED,
    "FAILED": UNDELIVERED,
    "EXPIRED": EXPIRED,
    "BUFFERED": BUFFERED,
    "TRANSMITTED": BUFFERED,
    "ACCEPTED": BUFFERED,
    "UNKNOWN": UNKNOWN,
}
MAX_REPORT_AGE = 300


def _digits(msisdn: str) -> str:
    return msisdn.lstrip("+")


class SevenProvider(SmsProvider):
    name = "seven"
    default_base_url = "https://gateway.seven.io/api"
    default_batch_size = 100
    # seven.io does not limit API requests; it queues what exceeds the account's
    # message throughput (10 SMS/s by default, help.seven.io "Message Throughput
    # Limit"), so more parallel requests only fill its queue sooner.
    default_concurrency = 4
    max_concurrency = 16

    def credentials(self) -> dict[str, Any]:
        return {"headers": {"X-Api-Key": self.config.secret("api_key"), "Accept": "application/json"}}

    def send_batch(
        self, text: str, recipients: list[str], *, encoding: str, reference: str
    ) -> list[RecipientResult]:
        payload: dict[str, Any] = {"to": ",".join(recipients), "text": text, "foreign_id": reference[:64]}
        if self.sender:
            payload["from"] = self.sender
        response = self.call("POST", "/sms", json=payload)
        body = http.json_body(response, self.label())
        if not isinstance(body, dict):
            # A bare return code (the legacy text answer) is still an answer.
            body = {"success": str(body).strip()}
        code = str(body.get("success", ""))
        if code in REQUEST_ERRORS:
            text_de, permanent = REQUEST_ERRORS[code]
            raise DeliveryError(
                f"{self.label()}: {text_de}", permanent=permanent, platform_message=f"Code {code}"
            )
        if code not in ("100", "101", "202", "402", "403"):
            raise DeliveryError(
                f"{self.label()}: unerwartete Antwort", outcome_unknown=True, platform_message=str(body)[:200]
            )
        return self._results(code, body, recipients)

    def _results(self, code: str, body: dict[str, Any], recipients: list[str]) -> list[RecipientResult]:
        by_number = {_digits(str(m.get("recipient", ""))): m for m in body.get("messages") or []}
        results = []
        for msisdn in recipients:
            message = by_number.get(_digits(msisdn))
            if code == "402":
                # Reload lock: the same text went to these numbers within 180 s,
                # i.e. an earlier attempt whose answer we lost did get through.
                results.append(RecipientResult(msisdn, ACCEPTED, None, "Reload-Sperre: bereits gesendet"))
            elif code == "403":
                results.append(RecipientResult(msisdn, FAILED, None, "Tageslimit für diese Nummer erreicht"))
            elif message is None:
                status = REJECTED if code == "202" else UNKNOWN
                results.append(RecipientResult(msisdn, status, None, f"Code {code}"))
            elif message.get("success") in (True, "true", "1", 1):
                results.append(RecipientResult(msisdn, ACCEPTED, str(message.get("id") or "") or None))
            else:
                error = message.get("error_text") or message.get("error") or f"Code {code}"
                results.append(RecipientResult(msisdn, REJECTED, None, str(error)))
        return results

    def check(self) -> CheckResult:
        try:
            response = self.call("GET", "/balance")
            body = http.json_body(response, self.label())
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        if isinstance(body, dict) and "amount" in body:
            currency = str(body.get("currency", ""))
            return CheckResult(
                True,
                f"seven.io erreichbar, Guthaben {body['amount']} {currency}".strip(),
                balance=float(body["amount"]),
                currency=currency,
            )
        if str(body).strip() in REQUEST_ERRORS:
            return CheckResult(False, f"seven.io: {REQUEST_ERRORS[str(body).strip()][0]}")
        return CheckResult(False, f"seven.io: unerwartete Antwort {str(body)[:100]}")

    # -- delivery reports -------------------------------------------------------
    def parse_reports(
        self, *, url: str, method: str, headers: Mapping[str, str], body: bytes, form: Mapping[str, str]
    ) -> list[Report]:
        secret = self.config.secret("webhook_secret")
        timestamp = header(headers, "X-Timestamp")
        nonce = header(headers, "X-Nonce")
        signature = header(headers, "X-Signature")
        if not (timestamp and nonce and signature):
            raise InvalidReport("Signatur-Header fehlen (X-Timestamp, X-Nonce, X-Signature)")
        try:
            age = time.time() - int(timestamp)
        except ValueError as exc:
            raise InvalidReport("X-Timestamp ist keine Zahl") from exc
        if abs(age) > MAX_REPORT_AGE:
            raise InvalidReport(f"Zeitstempel {int(age)} s alt — abgelehnt (Schutz vor Wiederholung)")
        signed = "\n".join([timestamp, nonce, method.upper(), url, hashlib.md5(body).hexdigest()])
        expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise InvalidReport("Signatur stimmt nicht")
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise InvalidReport("kein JSON") from exc
        if not isinstance(payload, dict) or payload.get("webhook_event") != "dlr":
            return []
        data = payload.get("data") or {}
        message_id = str(data.get("msg_id") or "")
        if not message_id:
            raise InvalidReport("msg_id fehlt")
        raw = str(data.get("status", "UNKNOWN")).upper()
        status = REPORT_STATES.get(raw, UNKNOWN)
        return [Report(message_id, status, None, None if status == DELIVERED else raw)]

    def replay_window(self, headers: Mapping[str, str]) -> ReplayWindow | None:
        # The nonce is the report's own "use once" mark; its timestamp is accepted for
        # MAX_REPORT_AGE seconds, so it is remembered that long (and a second more).
        timestamp = int(header(headers, "X-Timestamp"))
        keep_until = datetime.fromtimestamp(timestamp + MAX_REPORT_AGE + 1, UTC)
        return ReplayWindow.of("seven-nonce", header(headers, "X-Nonce"), keep_until)
