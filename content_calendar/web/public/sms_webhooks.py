"""Delivery reports from SMS providers: ``POST /webhooks/sms/<channel name>``.

Configure this URL (with ``ERNSTFALL_PUBLIC_URL`` as its base) at the provider.
Every report is verified with the provider's own mechanism before anything is
written: seven.io's HMAC signature, GatewayAPI's JWT, Twilio's request signature.
The signature covers the public URL, so ``ERNSTFALL_PUBLIC_URL`` must be the
address the provider calls.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from content_calendar.web.helpers import database, settings
from publisher.channels.base import ChannelConfig
from publisher.channels.sms_providers import InvalidReport, provider_for
from publisher.errors import DeliveryError
from publisher.models import Channel
from publisher.outbox import channel_config, sms_status

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


@bp.route("/<name>", methods=["POST"])
def delivery_report(name: str) -> tuple[Response, int]:
    # No transaction stays open while the report is checked; the update is its own short one.
    config = _channel_config(name)
    if config is None:
        return _error(404, f"Kein SMS-Kanal mit dem Namen {name!r}")
    try:
        provider = provider_for(config)
        reports = provider.parse_reports(
            url=_public_url(),
            method=request.method,
            headers=dict(request.headers),
            body=request.get_data(cache=True),
            form={k: v for k, v in request.form.items()},
        )
    except InvalidReport as exc:
        return _error(403, f"Zustellbericht abgelehnt: {exc}")
    except DeliveryError as exc:  # e.g. the webhook secret is not configured
        return _error(403, f"Zustellbericht nicht prüfbar: {exc.message}")
    updated = sms_status.apply_reports(database(), provider.name, reports)
    return jsonify(received=len(reports), updated=updated), 200
