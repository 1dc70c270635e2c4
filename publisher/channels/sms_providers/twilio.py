"""Twilio Programmable Messaging: one ``POST .../Messages.json`` per recipient.

Auth is HTTP Basic with the Account SID and the Auth Token. A refused recipient
answers 400 with a Twilio error code (21211 invalid number, 21610 unsubscribed,
21408 region not enabled, 21614 not a mobile number): that recipient is rejected
and the others are still sent. 401/403 stop the batch; 429 (code 20429) and 5xx
are transient.

Status callbacks are form posts (``MessageSid``, ``MessageStatus``, ``ErrorCode``)
signed in ``X-Twilio-Signature``: base64 HMAC-SHA1, keyed with the Auth Token, of
the full callback URL followed by every POST parameter name and value, sorted by name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from publisher import http
from publisher.channels.base import CheckResult
from publisher.channels.sms_providers import BatchInterrupted, InvalidReport, SmsProvider, header
from publisher.errors import DeliveryError
from publisher.outbox.sms_status import (
    ACCEPTED,
    BUFFERED,
    DELIVERED,
    REJECTED,
    UNDELIVERED,
    UNKNOWN,
    RecipientResult,
    Report,
)

REPORT_STATES = {
    "accepted": BUFFERED,
    "scheduled": BUFFERED,
    "queued": BUFFERED,
    "sending": BUFFERED,
    "sent": BUFFERED,
    "delivered": DELIVERED,
    "read": DELIVERED,
    "undelivered": UNDELIVERED,
    "failed": UNDELIVERED,
    "canceled": UNDELIVERED,
}


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioProvider(SmsProvider):
    name = "twilio"
    default_base_url = "https://api.twilio.com"
    # One request per recipient. A batch is the unit of bookkeeping: its results are
    # written together; a batch cut short by an error records who was already sent.
    default_batch_size = 50
    # Twilio answers 20429 when an account exceeds its REST API concurrency (shared by
    # every client of the account; 100 is the commonly cited default). Stay well below.
    default_concurrency = 20
    max_concurrency = 100

    @property
    def account_sid(self) -> str:
        sid = str(self.config.options.get("account_sid", ""))
        if not sid:
            raise DeliveryError(f"{self.label()}: account_sid fehlt", permanent=True)
        return sid

    def credentials(self) -> dict[str, Any]:
        return {"auth": (self.account_sid, self.config.secret("auth_token"))}

    def send_batch(
        self, text: str, recipients: list[str], *, encoding: str, reference: str
    ) -> list[RecipientResult]:
        results: list[RecipientResult] = []
        for msisdn in recipients:
            try:
                results.append(self._send_one(text, msisdn))
            except DeliveryError as exc:
                if not results:
                    raise
                raise BatchInterrupted(exc, results) from exc
        return results

    def _send_one(self, text: str, msisdn: str) -> RecipientResult:
        form = {"To": msisdn, "Body": text}
        service = self.config.options.get("messaging_service_sid")
        if service:
            form["MessagingServiceSid"] = str(service)
        elif self.sender:
            form["From"] = self.sender
        else:
            raise DeliveryError(f"{self.label()}: sender oder messaging_service_sid fehlt", permanent=True)
        callback = self.config.options.get("status_callback_url")
        if callback:
            form["StatusCallback"] = str(callback)
        try:
            response = self.call("POST", f"/2010-04-01/Accounts/{self.account_sid}/Messages.json", data=form)
        except DeliveryError as exc:
            if exc.status == 400:
                # Twilio refused this recipient (invalid, unsubscribed, region blocked).
                return RecipientResult(msisdn, REJECTED, None, exc.platform_message or exc.message)
            if exc.status in (401, 403):
                exc.message = f"{self.label()}: Zugang abgelehnt (Account SID / Auth Token prüfen)"
            raise
        body = http.json_body(response, self.label())
        sid = body.get("sid") if isinstance(body, dict) else None
        if not sid:
            raise DeliveryError(
                f"{self.label()}: Antwort ohne sid", outcome_unknown=True, platform_message=str(body)[:200]
            )
        return RecipientResult(msisdn, ACCEPTED, str(sid))

    def check(self) -> CheckResult:
        try:
            response = self.call("GET", f"/2010-04-01/Accounts/{self.account_sid}.json")
            body = http.json_body(response, self.label())
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        status = body.get("status", "?") if isinstance(body, dict) else "?"
        if status != "active":
            return CheckResult(False, f"Twilio-Konto {status}")
        balance, currency = self.balance()
        shown = f", Guthaben {balance} {currency}".rstrip() if balance is not None else ""
        return CheckResult(True, f"Twilio-Konto {status}{shown}", balance=balance, currency=currency)

    def balance(self) -> tuple[float | None, str]:
        """The prepaid balance (``Balance.json``); (None, "") when Twilio will not say."""
        try:
            response = self.call("GET", f"/2010-04-01/Accounts/{self.account_sid}/Balance.json")
            body = http.json_body(response, self.label())
            return float(body["balance"]), str(body.get("currency", ""))
        except (DeliveryError, KeyError, TypeError, ValueError):
            return None, ""

    def parse_reports(
        self, *, url: str, method: str, headers: Mapping[str, str], body: bytes, form: Mapping[str, str]
    ) -> list[Report]:
        signature = header(headers, "X-Twilio-Signature")
        if not signature:
            raise InvalidReport("X-Twilio-Signature fehlt")
        expected = twilio_signature(self.config.secret("auth_token"), url, form)
        if not hmac.compare_digest(expected, signature):
            raise InvalidReport("Signatur stimmt nicht")
        sid = form.get("MessageSid") or form.get("SmsSid")
        raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        if not sid or not raw:
            raise InvalidReport("MessageSid oder MessageStatus fehlt")
        status = REPORT_STATES.get(raw, UNKNOWN)
        error = form.get("ErrorCode")
        to = form.get("To")
        return [Report(sid, status, to or None, f"Twilio {error}" if error else None)]
