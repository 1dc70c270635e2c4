"""Downloads of the blackout pack and the CAP hand-over, per alert."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from content_calendar.accounts.policy import Permission
from content_calendar.crisis.blackout import (
    announcement_audio,
    announcement_text,
    cap_for_alert,
    current_alerts,
    darksite_html,
    notice_facts,
    notice_pdf,
)
from content_calendar.crisis.models import Alert
from content_calendar.web.helpers import db_session, permission_required, settings
from content_calendar.web.i18n import gettext
from publisher.db import utcnow
from publisher.outputs.cap import CapError

bp = Blueprint("blackout", __name__, url_prefix="/krise", template_folder="templates")


def _alert(alert_id: int) -> Alert:
    alert = db_session().get(Alert, alert_id)
    if alert is None:
        abort(404, gettext("Warnung %(id)s nicht gefunden", id=alert_id))
    return alert


def _download(data: bytes | str, mimetype: str, name: str) -> Response:
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/warnung/<int:alert_id>/aushang.pdf")
@permission_required(Permission.USE_BLACKOUT_PACK)
def notice_pdf_view(alert_id: int) -> Response:
    alert = _alert(alert_id)
    pdf = notice_pdf(alert, notice_facts(alert, settings()))
    return _download(pdf, "application/pdf", f"aushang-warnung-{alert_id}.pdf")


@bp.route("/warnung/<int:alert_id>/durchsage.txt")
@permission_required(Permission.USE_BLACKOUT_PACK)
def announcement_text_view(alert_id: int) -> Response:
    text = announcement_text(_alert(alert_id), settings().city_name)
    return _download(text, "text/plain; charset=utf-8", f"durchsage-{alert_id}.txt")


@bp.route("/warnung/<int:alert_id>/durchsage.wav")
@permission_required(Permission.USE_BLACKOUT_PACK)
def announcement_audio_view(alert_id: int) -> Response:
    audio = announcement_audio(_alert(alert_id), settings().city_name)
    if audio is None:
        abort(404, gettext("Sprachausgabe nicht verfügbar: espeak-ng ist auf dem Server nicht installiert"))
    return _download(audio, "audio/wav", f"durchsage-{alert_id}.wav")


@bp.route("/darksite.html")
@permission_required(Permission.USE_BLACKOUT_PACK)
def darksite_view() -> Response:
    config = settings()
    page = darksite_html(current_alerts(db_session()), config.timezone, utcnow(), config.city_name)
    return _download(page, "text/html; charset=utf-8", "darksite.html")


@bp.route("/warnung/<int:alert_id>/cap.xml")
@permission_required(Permission.USE_BLACKOUT_PACK)
def cap_xml_view(alert_id: int) -> Response:
    try:
        data = cap_for_alert(db_session(), _alert(alert_id))
    except CapError as exc:  # e.g. an ARS that is not 12 digits: say what to fix
        message = gettext("CAP-Datei für MoWaS nicht erstellt: %(reason)s", reason=str(exc))
        return Response(render_template("error.html", code=422, message=message), status=422)
    return _download(data, "application/cap+xml", f"warnung-{alert_id}.cap.xml")
