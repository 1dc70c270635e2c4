"""Cadence health on the dashboard: per channel, planned and published per week vs. target."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from content_calendar.accounts.policy import Permission
from content_calendar.calendar.cadence import cadence_report
from content_calendar.calendar.cadence_chart import cadence_svg
from content_calendar.calendar.settings import FRIEND_TYPES, friend_type
from content_calendar.web.helpers import db_session, permission_required, settings

bp = Blueprint("cadence_views", __name__, template_folder="templates")


@bp.get("/takt")
@permission_required(Permission.VIEW_CALENDAR)
def cadence() -> ResponseReturnValue:
    session = db_session()
    report = cadence_report(session, friend_type(session), settings().timezone)
    charts = {c.channel: cadence_svg(c, report.target) for c in report.channels}
    return render_template(
        "cadence.html", report=report, charts=charts, friend_label=FRIEND_TYPES[report.friend_type]
    )
