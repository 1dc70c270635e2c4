"""The one HTTP helper: timeouts always, status codes mapped to DeliveryError.

It also holds the one rule for "come back later" answers, which every channel applies,
whatever library it speaks through: a 429 or 503 is transient, never the end of a
delivery, and the next attempt waits at least as long as the response's ``Retry-After``
(delta-seconds or an HTTP date) or the platform's own hint, whichever is longer.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

import requests

from publisher.errors import DeliveryError

TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}
RETRY_AFTER_STATUSES = frozenset({429, 503})


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header by name in any spelling (a plain dict from a library is case-sensitive)."""
    if not headers:
        return None
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def throttled(
    channel: str,
    status: int | None,
    headers: Mapping[str, str] | None,
    *,
    platform_message: str | None = None,
    wait: float | None = None,
    hint: str | None = None,
) -> DeliveryError | None:
    """The one rule for 429 and 503; None for any other status.

    Transient, with ``retry_after`` the longer of ``Retry-After`` and ``wait`` (a
    platform's own hint such as X's ``x-rate-limit-reset``). ``hint`` keeps a platform's
    specific wording (a Graph error code); the default names the status.
    """
    if status not in RETRY_AFTER_STATUSES:
        return None
    waits = [w for w in (parse_retry_after(header(headers, "Retry-After")), wait) if w is not None]
    seconds = max(waits) if waits else None
    default = "Rate-Limit erreicht (HTTP 429)" if status == 429 else f"Serverfehler HTTP {status}"
    return DeliveryError(
        f"{channel}: {hint or default}",
        retry_after=seconds,
        platform_message=platform_message,
        status=status,
    )


def platform_text(response: requests.Response) -> str:
    """The platform's own error text, from JSON if possible."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("error_description", "error", "message", "detail", "description", "title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return str(body)[:500]


def error_for_response(response: requests.Response, channel: str) -> DeliveryError:
    status = response.status_code
    text = platform_text(response)
    rule = throttled(channel, status, response.headers, platform_message=text, hint=f"HTTP {status}")
    if rule is not None:
        return rule
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status in TRANSIENT_STATUSES:
        return DeliveryError(
            f"{channel}: HTTP {status}",
            retry_after=retry_after,
            platform_message=text,
            status=status,
        )
    return DeliveryError(f"{channel}: HTTP {status}", permanent=True, platform_message=text, status=status)


def request(
    method: str,
    url: str,
    *,
    channel: str,
    timeout: float,
    raise_for_status: bool = True,
    session: requests.Session | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one request; raise DeliveryError for every failure, return only 2xx.

    ``raise_for_status=False`` returns non-2xx responses too, for adapters whose
    platform puts what matters in the error body (Telegram's ``parameters.retry_after``).
    ``session`` reuses its kept-alive connections (many requests to one host in a row).
    """
    send = session.request if session is not None else requests.request
    try:
        response = send(method, url, timeout=timeout, **kwargs)
    except requests.ConnectTimeout as exc:
        raise DeliveryError(f"{channel}: Verbindungsaufbau Zeitüberschreitung") from exc
    except requests.ReadTimeout as exc:
        raise DeliveryError(
            f"{channel}: keine Antwort innerhalb {timeout:.0f} s", outcome_unknown=True
        ) from exc
    except requests.ConnectionError as exc:
        raise DeliveryError(f"{channel}: nicht erreichbar ({type(exc).__name__})") from exc
    except requests.RequestException as exc:
        raise DeliveryError(f"{channel}: {type(exc).__name__}", outcome_unknown=True) from exc
    if raise_for_status and not 200 <= response.status_code < 300:
        raise error_for_response(response, channel)
    return response


def json_body(response: requests.Response, channel: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        # The platform said 2xx but we cannot read what it did: the post may exist.
        raise DeliveryError(
            f"{channel}: unlesbare Antwort (kein JSON)",
            outcome_unknown=True,
            platform_message=response.text[:200],
        ) from exc
