"""Delivery reports from SMS providers: ``POST /webhooks/sms/<channel name>``.

Configure this URL (with ``ERNSTFALL_PUBLIC_URL`` as its base) at the provider.
Every report is verified with the provider's own mechanism before anything is
written: seven.io's HMAC signature, GatewayAPI's JWT, Twilio's request signature.
The signature covers the public URL, so ``ERNSTFALL_PUBLIC_URL`` must be the
address the provider calls. A signed report is taken once: the same seven.io nonce
or GatewayAPI token again within its validity window is refused with 409
(``publisher/channels/sms_providers/replay.py``).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from content_calendar.web.helpers import database, settings
from publisher.channels.base import ChannelConfig
from publisher.channels.sms_providers import InvalidReport, SmsProvider, provider_for, replay
from publisher.errors import DeliveryError
from publisher.models import Channel
from publisher.outbox import channel_config, sms_status
from publisher.outbox.sms_status import Report

bp = Blueprint("sms_webhooks", __name__, url_prefix="/webhooks/sms")


def _error(status: int, text: str) -> tuple[Response, int]:
    return jsonify(error=text), status


def _public_url() -> str:
    """The URL the provider called, as it signed it (behind any proxy)."""
    query = request.query_string.decode("latin-1")
    return settings().public_base_url + request.path + (f"?{query}" if query else "")


def _channel_config(name: str) -> ChannelConfig | None:
    """The SMS channel's configuration, read in a transaction that ends here."""
    with database().session() as session:
        channel = session.scalar(select(Channel).where(Channel.name == name, Channel.type == "sms"))
        return channel_config(channel, settings()) if channel is not None else None


def _verified(provider: SmsProvider) -> list[Report]:
    """The request's reports, if the provider's signature check accepts it (else InvalidReport)."""
    return provider.parse_reports(
        url=_public_url(),
        method=request.method,
        headers=dict(request.headers),
        body=request.get_data(cache=True),
        form={k: v for k, v in request.form.items()},
    )


def _apply_once(name: str, provider: SmsProvider, reports: list[Report]) -> tuple[Response, int]:
    """Apply the reports unless this very report was taken before (replay)."""
    window = provider.replay_window(dict(request.headers))
    if window is not None and not replay.claim(database(), name, window):
        return _error(409, "Zustellbericht abgelehnt: genau dieser Bericht kam schon einmal (Wiederholung)")
    try:
        updated = sms_status.apply_reports(database(), provider.name, reports)
    except Exception:
        if window is not None:
            replay.release(database(), name, window)  # the provider's retry must be taken
        raise
    return jsonify(received=len(reports), updated=updated), 200


@bp.route("/<name>", methods=["POST"])
def delivery_report(name: str) -> tuple[Response, int]:
    # No transaction stays open while the report is checked; each write is its own short one.
    config = _channel_config(name)
    if config is None:
        return _error(404, f"Kein SMS-Kanal mit dem Namen {name!r}")
    try:
        provider = provider_for(config)
        reports = _verified(provider)
    except InvalidReport as exc:
        return _error(403, f"Zustellbericht abgelehnt: {exc}")
    except DeliveryError as exc:  # e.g. the webhook secret is not configured
        return _error(403, f"Zustellbericht nicht prüfbar: {exc.message}")
    return _apply_once(name, provider, reports)
