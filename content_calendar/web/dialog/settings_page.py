"""Dialog settings for admins: the automatic answer outside the reply hours, on or off."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from content_calendar.accounts.policy import Permission
from content_calendar.dialog import hours, replies
from content_calendar.web.helpers import db_session, permission_required, settings
from content_calendar.web.i18n import gettext
from content_calendar.web.public.reply_hours import hours_text

bp = Blueprint("dialog_settings", __name__, url_prefix="/dialog/einstellungen", template_folder="templates")


def _page(error: str = "", status: int = 200) -> ResponseReturnValue:
    session = db_session()
    return (
        render_template(
            "dialog_settings.html",
            enabled=replies.auto_reply_enabled(session),
            sample=replies.auto_reply_text(session, settings()),
            hours_text=hours_text(hours.reply_hours(session)),
            error=error,
        ),
        status,
    )


@bp.get("/")
@permission_required(Permission.CONFIGURE_CALENDAR)
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/")
@permission_required(Permission.CONFIGURE_CALENDAR)
def save() -> ResponseReturnValue:
    value = request.form.get("automatisch", "")
    if value not in ("", "1"):
        return _page(gettext("Automatische Antwort: nur an (Häkchen) oder aus"), 422)
    session = db_session()
    replies.set_auto_reply(session, value == "1", current_user.id)
    session.commit()
    if value == "1":
        flash(gettext("Automatische Antwort außerhalb der Antwortzeiten ist jetzt an."), "info")
    else:
        flash(gettext("Automatische Antwort außerhalb der Antwortzeiten ist jetzt aus."), "info")
    return redirect(url_for("dialog_settings.index"), code=303)
