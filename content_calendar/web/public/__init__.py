"""Public, unauthenticated outputs: the banner as JSON and as an embeddable script."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, jsonify

from content_calendar.web.helpers import settings
from publisher.outputs.banner import read_banner, script_for

bp = Blueprint("public", __name__, url_prefix="/public")


def _cors(response: Response) -> Response:
    # The city's CMS fetches this from another origin; there is nothing private in it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=15"
    return response


@bp.route("/banner.json")
def banner_json() -> Response:
    banner = read_banner(settings().public_dir)
    return _cors(jsonify(banner=asdict(banner) if banner else None))


@bp.route("/banner.js")
def banner_js() -> Response:
    banner = read_banner(settings().public_dir)
    response = Response(script_for(banner), mimetype="application/javascript")
    return _cors(response)
