"""Any Apprise URL as a channel: Matrix, Signal, ntfy, more SMS providers (the long tail).

The URL holds the service's credentials, so it is never written into the channel
file: ``url_env = "ERNSTFALL_MATRIX_URL"`` or ``url_file = "/run/secrets/matrix"``.

Apprise answers only True/False, so the reason is read from what Apprise logs
while sending: an HTTP status (``error=401``) decides permanent (4xx other than
408/429) or transient, a read timeout means the outcome is unknown. Only the
WARNING lines reach the delivery log, because Apprise's debug lines can contain
URLs with tokens.

Outcome unknown: no Apprise service takes an idempotency key; alerts are resent,
community posts go to a person.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

import apprise

from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.errors import DeliveryError

STATUS_RE = re.compile(r"error=(\d{3})")
TYPES = {"extreme": "failure", "severe": "warning", "info": "info", "allclear": "success"}


class AppriseChannel(ChannelAdapter):
    type_name = "apprise"
    label = "Apprise"
    limits: ClassVar[Limits] = Limits(max_length=None, max_media=0)
    idempotent = False

    def plugin(self) -> Any:
        url = self.config.secret("url")
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            # Never echo the URL: it contains credentials.
            scheme = url.split("://", 1)[0] if "://" in url else "?"
            raise DeliveryError(
                f"{self.config.name}: Apprise-URL ungültig oder Dienst {scheme!r} unbekannt", permanent=True
            )
        plugin.socket_read_timeout = self.config.http_timeout
        plugin.socket_connect_timeout = min(self.config.http_timeout, 10.0)
        return plugin

    def validate(self, message: Message) -> list[Problem]:
        problems = super().validate(message)
        try:
            limit = int(self.plugin().body_maxlen or 0)
        except DeliveryError:
            return problems  # the web process may not see worker secrets; checked at send
        used = len(self.render_text(message))
        if limit and used > limit:
            problems.append(Problem("too_long", f"Apprise ({self.config.name}): {used} von {limit} Zeichen"))
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        return {
            "title": message.title or "",
            "body": self.render_text(message),
            "type": TYPES.get(message.level or "", "info"),
        }

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        plugin = self.plugin()
        with apprise.LogCapture(level=logging.DEBUG) as captured:  # type: ignore[no-untyped-call]
            ok = plugin.notify(
                body=rendered["body"],
                title=rendered.get("title") or "",
                notify_type=rendered.get("type", "info"),
            )
        if ok:
            return Receipt(remote_id=idempotency_key, detail={"service": plugin.service_name})
        raise self.classify(captured.getvalue())

    def classify(self, log: str) -> DeliveryError:
        warnings = [
            line.split(" - ", 2)[-1]
            for line in log.splitlines()
            if " - WARNING - " in line or " - ERROR - " in line
        ]
        platform = "; ".join(warnings)[:500] or None
        name = self.config.name
        if "timed out" in log.lower() and "read" in log.lower():
            return DeliveryError(
                f"{name}: keine Antwort (Zeitüberschreitung)", outcome_unknown=True, platform_message=platform
            )
        match = STATUS_RE.search(log)
        if match:
            status = int(match.group(1))
            permanent = 400 <= status < 500 and status not in (408, 425, 429)
            return DeliveryError(
                f"{name}: HTTP {status}", permanent=permanent, platform_message=platform, status=status
            )
        return DeliveryError(f"{name}: Apprise meldet Fehler", platform_message=platform)

    def check(self) -> CheckResult:
        try:
            plugin = self.plugin()
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        # Apprise has no generic "verify" call; a URL that parses is all we can check without posting.
        return CheckResult(
            True, f"Apprise-URL gültig ({plugin.service_name}); Zustellung erst beim Senden prüfbar"
        )
