"""GET /metrics for Prometheus: channel readiness gauges and the depth of both delivery lanes.

With ``ERNSTFALL_METRICS_TOKEN`` set, a scrape must send ``Authorization: Bearer <token>``;
without it only requests from this machine are answered (a reverse proxy on the same
host therefore needs the token). Channel names and states are not for the public.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request

from content_calendar.web.helpers import db_session, settings
from publisher.readiness import metrics

bp = Blueprint("metrics", __name__)
LOOPBACK = frozenset({"127.0.0.1", "::1"})


def refusal() -> Response | None:
    token = settings().metrics_token
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if hmac.compare_digest(sent.encode(), token.encode()):
            return None
        return Response(
            "Zugriff verweigert: /metrics braucht den Header Authorization: Bearer "
            "mit ERNSTFALL_METRICS_TOKEN\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if request.remote_addr in LOOPBACK:
        return None
    return Response(
        "Zugriff verweigert: /metrics antwortet ohne ERNSTFALL_METRICS_TOKEN nur diesem Rechner\n",
        status=403,
        mimetype="text/plain",
    )


@bp.get("/metrics")
def scrape() -> Response:
    refused = refusal()
    if refused is not None:
        return refused
    return Response(metrics.render(db_session(), settings()), content_type=metrics.CONTENT_TYPE)
