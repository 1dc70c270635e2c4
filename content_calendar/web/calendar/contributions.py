"""Contributions: other departments submit ideas; editors turn them into drafts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from content_calendar.accounts.policy import Permission
from content_calendar.calendar.contributions import ContributionError, decline, open_ideas, submit_idea
from content_calendar.calendar.models import Contribution
from content_calendar.calendar.settings import themes
from content_calendar.web.helpers import db_session, permission_required
from content_calendar.web.i18n import gettext

bp = Blueprint("contributions", __name__, url_prefix="/ideen", template_folder="templates")
FIELDS = ("title", "text", "department", "theme", "wanted_date", "link")


@bp.get("/")
@permission_required(Permission.SUBMIT_IDEAS)
def index() -> ResponseReturnValue:
    return _page({}, {})


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    session = db_session()
    ideas = open_ideas(session) if current_user.can(Permission.PLAN_POSTS) else []
    return (
        render_template(
            "contributions.html", ideas=ideas, values=values, errors=errors, themes=themes(session)
        ),
        status,
    )


@bp.post("/")
@permission_required(Permission.SUBMIT_IDEAS)
def submit() -> ResponseReturnValue:
    values = {name: request.form.get(name, "") for name in FIELDS}
    session = db_session()
    try:
        submit_idea(session, current_user.id, **values)
    except ContributionError as exc:
        session.rollback()
        return _page(values, exc.problems, 422)
    session.commit()
    flash(gettext("Danke! Die Redaktion hat Ihre Idee erhalten."), "info")
    return redirect(url_for("contributions.index"))


@bp.post("/<int:idea_id>/ablehnen")
@permission_required(Permission.PLAN_POSTS)
def reject(idea_id: int) -> ResponseReturnValue:
    session = db_session()
    idea = session.get(Contribution, idea_id)
    if idea is None:
        abort(404)
    decline(session, idea, current_user.id)
    session.commit()
    flash(gettext("Idee abgelehnt."), "info")
    return redirect(url_for("contributions.index"))
