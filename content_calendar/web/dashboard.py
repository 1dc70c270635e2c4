"""The dashboard: upcoming posts, recent alerts, every delivery with its state and error."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import select

from content_calendar.accounts.policy import Permission
from content_calendar.calendar.cadence import cadence_report
from content_calendar.calendar.cadence_chart import cadence_svg
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.settings import friend_type
from content_calendar.crisis.models import Alert
from content_calendar.web.helpers import db_session, local_time, permission_required, settings
from content_calendar.web.i18n import gettext
from publisher.db import utcnow
from publisher.models import Delivery
from publisher.readiness import readiness
from publisher.vocabulary import DeliveryState

bp = Blueprint("dashboard", __name__)

PROBLEM_STATES = (DeliveryState.DEAD, DeliveryState.UNKNOWN, DeliveryState.FAILED)


def state_label(state: str) -> str:
    """The label of a delivery state in the reader's language (the labels live next to the enum)."""
    try:
        return gettext(DeliveryState(state).label)
    except ValueError:
        return state


def post_state_label(state: str) -> str:
    """The label of a post state in the reader's language (the labels live on ``PostState``)."""
    label = PostState.LABELS.get(state)
    return gettext(label) if label else state


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {
        "local_time": local_time,
        "state_label": state_label,
        "post_state_label": post_state_label,
    }


def recent_deliveries(state: str | None = None, limit: int = 100) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.updated_at.desc()).limit(limit)
    if state:
        query = query.where(Delivery.state == state)
    return list(db_session().scalars(query))


@bp.route("/")
@permission_required(Permission.VIEW_OVERVIEW)
def index() -> str:
    session = db_session()
    now = utcnow()
    upcoming = session.scalars(
        select(Post)
        .where(Post.publish_at >= now - timedelta(hours=1), Post.publish_at <= now + timedelta(days=14))
        .order_by(Post.publish_at)
        .limit(50)
    ).all()
    alerts = session.scalars(select(Alert).order_by(Alert.created_at.desc()).limit(10)).all()
    problems = session.scalar(select(Delivery.id).where(Delivery.state.in_(PROBLEM_STATES)).limit(1))
    report = cadence_report(session, friend_type(session), settings().timezone)
    return render_template(
        "dashboard.html",
        cadence=report,
        cadence_charts={c.channel: cadence_svg(c, report.target) for c in report.channels},
        upcoming=upcoming,
        alerts=alerts,
        deliveries=recent_deliveries(),
        has_problems=problems is not None,
        readiness=readiness(session),
    )


@bp.route("/deliveries")
@permission_required(Permission.VIEW_OVERVIEW)
def deliveries() -> str:
    """The delivery table alone; the dashboard reloads it every few seconds."""
    state = request.args.get("state")
    if state and state not in tuple(DeliveryState):
        state = None
    return render_template("_deliveries.html", deliveries=recent_deliveries(state))
