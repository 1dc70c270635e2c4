"""Rumour watch: the watched words and the platform searches each line names, their count in the
last 10 minutes against the usual level, and one click to the crisis console with the correction
template ("richtigstellung") filled in. Every text in the reader's language."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.policy import Permission
from content_calendar.crisis.models import AlertTemplate
from content_calendar.dialog import rumours, searches
from content_calendar.web.helpers import db_session, permission_required
from content_calendar.web.i18n import gettext, localize, ngettext
from publisher.db import utcnow

bp = Blueprint("dialog_rumours", __name__, url_prefix="/dialog/geruechte", template_folder="templates")
RAW_MAX = 10_000


def _correction_ready() -> bool:
    """The correction template exists and is approved, so the console can open it."""
    template = db_session().scalar(
        select(AlertTemplate).where(
            AlertTemplate.key == rumours.CORRECTION_TEMPLATE, AlertTemplate.current.is_(True)
        )
    )
    return template is not None and template.usable


def _page(raw: str | None = None, error: str = "", status: int = 200) -> ResponseReturnValue:
    session = db_session()
    watched = rumours.watch_list(session)
    counts = rumours.counts(session, utcnow())
    return (
        render_template(
            "dialog_rumours.html",
            counts=counts,
            usual={c.keyword: format_decimal(c.usual, "0.##") for c in counts},
            searches={w.keyword: w.searches for w in watched},
            search_channels=searches.channels_for_searches(session),
            raw="\n".join(w.line for w in watched) if raw is None else raw,
            error=error,
            correction_ready=_correction_ready(),
            correction_key=rumours.CORRECTION_TEMPLATE,
            factor=rumours.JUMP_FACTOR,
            minimum=rumours.MIN_JUMP,
        ),
        status,
    )


@bp.get("/")
@permission_required(Permission.VIEW_INBOX)
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/")
@permission_required(Permission.ANSWER_CITIZENS)
def save() -> ResponseReturnValue:
    raw = request.form.get("suchwoerter", "")
    if len(raw) > RAW_MAX:
        return _page(
            raw, gettext("Zu viel Text: %(n)s von höchstens %(max)s Zeichen", n=len(raw), max=RAW_MAX), 422
        )
    session = db_session()
    try:
        words = rumours.set_keywords(session, raw, current_user.id)
    except ValueError as exc:
        session.rollback()
        return _page(raw, localize(exc.args[0] if exc.args else str(exc)), 422)
    session.commit()
    flash(ngettext("%(num)d Suchwort gespeichert.", "%(num)d Suchwörter gespeichert.", len(words)), "info")
    return redirect(url_for("dialog_rumours.index"), code=303)
