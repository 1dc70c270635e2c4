"""Meta Graph API errors (Facebook Pages, Instagram) mapped to our one error type.

Codes per Meta's "Handling Errors" guide: 190/102 token expired or invalid, 10 and
200-299 permission missing, 4/17/32/613/80001 throttling, 1/2/341 temporary, 368
temporarily blocked, 506 duplicate post, 100 invalid parameter, 1609005 link error.
Instagram's content publishing adds 9 with subcode 2207042 (daily publishing limit)
and 9007 (container not ready yet).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from publisher import http
from publisher.errors import DeliveryError

TOKEN_CODES = {102, 190}
THROTTLE_CODES = {4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008}
TEMPORARY_CODES = {1, 2, 341}
POLICY_BLOCK_CODE = 368
DUPLICATE_CODE = 506
CONTAINER_NOT_READY_CODE = 9007
PUBLISH_LIMIT_SUBCODE = 2207042


def regain_seconds(headers: Mapping[str, str]) -> float | None:
    """``estimated_time_to_regain_access`` (minutes) from the business-use-case usage header."""
    raw = headers.get("x-business-use-case-usage") or headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access", 0)
        for entries in usage.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    longest = max(minutes, default=0)
    return float(longest) * 60 if longest else None


def graph_error(
    channel: str, error: Mapping[str, Any], *, status: int | None, headers: Mapping[str, str] | None = None
) -> DeliveryError:
    """Classify a Graph ``{"error": {...}}`` object; a 429 or 503 follows the HTTP layer's rule.

    Graph's own wording stays; the status decides that it is transient, and the wait is the
    longer of Retry-After and Graph's hint (``estimated_time_to_regain_access``).
    """
    classified = _by_code(channel, error, status=status, headers=headers or {})
    rule = http.throttled(
        channel,
        status,
        headers,
        platform_message=classified.platform_message,
        wait=classified.retry_after,
        hint=classified.message.removeprefix(f"{channel}: "),
    )
    return rule or classified


def _by_code(
    channel: str, error: Mapping[str, Any], *, status: int | None, headers: Mapping[str, str]
) -> DeliveryError:
    code = int(error.get("code") or 0)
    subcode = int(error.get("error_subcode") or 0)
    text = str(error.get("error_user_msg") or error.get("message") or f"Graph-Fehler {code}")

    def transient(hint: str, retry_after: float | None = None) -> DeliveryError:
        return DeliveryError(
            f"{channel}: {hint}", retry_after=retry_after, platform_message=text, status=status
        )

    def permanent(hint: str) -> DeliveryError:
        return DeliveryError(f"{channel}: {hint}", permanent=True, platform_message=text, status=status)

    if code in TOKEN_CODES:
        return permanent("Zugangstoken abgelaufen oder ungültig — Token erneuern")
    if code in THROTTLE_CODES:
        return transient(f"Rate-Limit erreicht (Code {code})", regain_seconds(headers))
    if code == 9 and subcode == PUBLISH_LIMIT_SUBCODE:
        return transient("Veröffentlichungslimit für 24 Stunden erreicht", 3600.0)
    if code == CONTAINER_NOT_READY_CODE:
        return transient("Medien-Container noch nicht fertig", 10.0)
    if code in TEMPORARY_CODES:
        return transient(f"vorübergehender Fehler (Code {code})")
    if code == POLICY_BLOCK_CODE:
        return transient("wegen Richtlinienverstoß vorübergehend gesperrt", 3600.0)
    if code == 10 or 200 <= code <= 299:
        return permanent(f"Berechtigung fehlt (Code {code}) — App-Berechtigungen der Seite prüfen")
    if code == DUPLICATE_CODE:
        return permanent("doppelter Beitrag abgelehnt — derselbe Text ist vermutlich schon online")
    if code == 1609005:
        return permanent("Link konnte nicht gelesen werden — URL prüfen")
    if error.get("is_transient") or (status is not None and status >= 500):
        return transient(f"vorübergehender Fehler (Code {code})")
    return permanent(f"abgelehnt (Code {code})")
