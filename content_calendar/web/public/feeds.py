"""Public Atom and CAP feeds, served from the static files the channels write.

The files under ``public_dir`` are the truth: a reverse proxy can serve the same
folder directly (``/public/feeds/``, ``/public/cap/``) when this app is down.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, send_file

from content_calendar.web.helpers import settings
from publisher.channels.atom import FEED_FILE, feed_folder, feed_settings
from publisher.channels.cap import INDEX_FILE, index_settings
from publisher.outputs import feeds

bp = Blueprint("public_feeds", __name__, url_prefix="/public")
IDENTIFIER = re.compile(r"^[A-Za-z0-9._:@-]{1,200}$")


def _public(response: Response, mimetype: str) -> Response:
    response.mimetype = mimetype
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=30"
    return response


@bp.route("/feeds/alerts.atom")
def alerts_atom() -> Response:
    path = feeds.ensure_feed(feed_folder(settings().public_dir), FEED_FILE, **feed_settings())
    return _public(send_file(path, conditional=True), "application/atom+xml")


@bp.route("/cap/index.atom")
def cap_index() -> Response:
    path = feeds.ensure_feed(settings().public_dir / "cap", INDEX_FILE, **index_settings())
    return _public(send_file(path, conditional=True), "application/atom+xml")


@bp.route("/cap/<identifier>.xml")
def cap_document(identifier: str) -> Response:
    if not IDENTIFIER.match(identifier):
        abort(404, description="Unbekannte CAP-Kennung")
    path = settings().public_dir / "cap" / f"{identifier}.xml"
    if not path.is_file():
        abort(404, description=f"Keine CAP-Meldung {identifier}")
    return _public(send_file(path, conditional=True), "application/cap+xml")
