"""Calendar out and in: the secret iCalendar feed, CSV export and all-or-nothing import."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from content_calendar.accounts.models import audit
from content_calendar.accounts.policy import Permission
from content_calendar.calendar import csv_io
from content_calendar.calendar.csv_io import COLUMNS, import_csv
from content_calendar.calendar.ical_feed import calendar_bytes, feed_token, rotate, user_for_feed_token
from content_calendar.calendar.timeutil import CLOCK_FORMS
from content_calendar.web.helpers import db_session, permission_required, settings
from content_calendar.web.i18n import gettext, ngettext

bp = Blueprint("calendar_io", __name__, template_folder="templates")


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


@bp.get("/kalender/abo")
@permission_required(Permission.VIEW_CALENDAR)
def feed_info() -> ResponseReturnValue:
    session = db_session()
    token = feed_token(session, current_user.id, _secret())
    session.commit()
    url = settings().public_base_url + url_for("calendar_io.feed", token=token)
    return render_template("calendar_feed.html", url=url)


@bp.post("/kalender/abo/neu")
@permission_required(Permission.VIEW_CALENDAR)
def feed_rotate() -> ResponseReturnValue:
    rotate(db_session(), current_user.id)
    audit(db_session(), "feed_token.rotated", current_user.id, None)
    db_session().commit()
    flash(gettext("Neue Abo-Adresse erzeugt; die alte funktioniert nicht mehr."), "info")
    return redirect(url_for("calendar_io.feed_info"))


@bp.get("/kalender/feed/<token>.ics")
def feed(token: str) -> ResponseReturnValue:
    """No login: calendar programs cannot log in. The secret URL is the credential."""
    session = db_session()
    if user_for_feed_token(session, token, _secret()) is None:
        abort(404)
    body = calendar_bytes(session, settings().public_base_url)
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/kalender/export.csv")
@permission_required(Permission.VIEW_CALENDAR)
def export_csv() -> ResponseReturnValue:
    body = "\ufeff" + csv_io.export_csv(db_session(), settings())  # BOM: Excel opens UTF-8 correctly
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="redaktionsplan.csv"'
    return response


@bp.get("/kalender/import")
@permission_required(Permission.PLAN_POSTS)
def import_form() -> ResponseReturnValue:
    return _import_page(None)


def _import_page(report: csv_io.ImportReport | None, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "calendar_import.html", columns=COLUMNS, report=report, CLOCK_FORMS=CLOCK_FORMS
    ), status


@bp.post("/kalender/import")
@permission_required(Permission.PLAN_POSTS)
def import_upload() -> ResponseReturnValue:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(gettext("Bitte eine CSV-Datei auswählen."), "error")
        return _import_page(None, 422)
    session = db_session()
    report = import_csv(
        session,
        upload.read(),
        settings(),
        current_user.id,
        current_user.roles,
        submit=request.form.get("submit") == "1",
    )
    if not report.ok:
        session.rollback()
        flash(gettext("Nichts importiert: bitte die markierten Zeilen korrigieren."), "error")
        return _import_page(report, 422)
    session.commit()
    flash(ngettext("%(num)d Beitrag importiert.", "%(num)d Beiträge importiert.", report.imported), "info")
    return _import_page(report)
