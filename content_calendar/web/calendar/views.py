"""Calendar views (week, month, list) in local time, the review queue, and quick moves."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.policy import Permission
from content_calendar.calendar.emergency_stop import active_stop
from content_calendar.calendar.post_editing import move_post
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.posts import PostError
from content_calendar.calendar.query import by_day, entries_between, month_weeks, week_days
from content_calendar.calendar.timeutil import (
    MOMENT_FORMS,
    AmbiguousLocalTime,
    LocalTimeError,
    local_to_utc,
    parse_clock,
    parse_date,
    to_local,
)
from content_calendar.web.calendar.editor_form import typed_local_time, typed_moment
from content_calendar.web.helpers import db_session, local_time, permission_required, settings
from content_calendar.web.i18n import gettext, localize
from publisher.db import utcnow

bp = Blueprint("calendar_views", __name__, url_prefix="/kalender", template_folder="templates")
P = PostState


def _today() -> date:
    return to_local(utcnow(), settings().timezone).date()


def _anchor() -> date:
    raw = request.args.get("datum", "")
    if not raw:
        return _today()
    try:
        return parse_date(raw)
    except LocalTimeError:
        abort(400)


def _common() -> dict[str, object]:
    # One url_for, not one per post: the month view may show hundreds of posts.
    post_base = url_for("post_editor.show", post_id=0)[:-1]
    return {"stop": active_stop(db_session()), "today": _today(), "post_base": post_base}


@bp.get("/")
@bp.get("/woche")
@permission_required(Permission.VIEW_CALENDAR)
def week() -> ResponseReturnValue:
    days = week_days(_anchor())
    entries = by_day(entries_between(db_session(), days[0], days[-1], settings().timezone))
    return render_template(
        "calendar_week.html",
        days=days,
        entries=entries,
        prev=days[0] - timedelta(days=7),
        next=days[0] + timedelta(days=7),
        **_common(),
    )


@bp.get("/monat")
@permission_required(Permission.VIEW_CALENDAR)
def month() -> ResponseReturnValue:
    anchor = _anchor()
    weeks = month_weeks(anchor.year, anchor.month)
    entries = by_day(entries_between(db_session(), weeks[0][0], weeks[-1][-1], settings().timezone))
    first = anchor.replace(day=1)
    return render_template(
        "calendar_month.html",
        weeks=weeks,
        entries=entries,
        first=first,
        prev=(first - timedelta(days=1)).replace(day=1),
        next=(first + timedelta(days=32)).replace(day=1),
        **_common(),
    )


@bp.get("/liste")
@permission_required(Permission.VIEW_CALENDAR)
def listing() -> ResponseReturnValue:
    start = _anchor()
    days = min(max(int(request.args.get("tage", "30") or 30), 1), 366)
    state = request.args.get("zustand", "")
    entries = entries_between(db_session(), start, start + timedelta(days=days - 1), settings().timezone)
    if state in P.LABELS:
        entries = [e for e in entries if e.state == state]
    return render_template(
        "calendar_list.html",
        entries=entries,
        start=start,
        days=days,
        state=state,
        P=P,
        MOMENT_FORMS=MOMENT_FORMS,
        **_common(),
    )


@bp.get("/freigaben")
@permission_required(Permission.VIEW_CALENDAR)
def review_queue() -> ResponseReturnValue:
    """Posts waiting for a second person, and posts that need a decision."""
    session = db_session()
    waiting = session.scalars(select(Post).where(Post.state == P.REVIEW).order_by(Post.publish_at)).all()
    decide = session.scalars(
        select(Post).where(Post.state.in_([P.HELD, P.EXPIRED])).order_by(Post.publish_at)
    ).all()
    return render_template("review_queue.html", waiting=waiting, decide=decide, P=P, **_common())


@bp.post("/verschieben/<int:post_id>")
@permission_required(Permission.PLAN_POSTS)
def move(post_id: int) -> ResponseReturnValue:
    """Quick move: a new day (keeping the time) or a new day and time, in local time."""
    session = db_session()
    wants_json = request.accept_mimetypes.best == "application/json"
    post = session.get(Post, post_id)
    if post is None:
        abort(404)
    tz_name = settings().timezone
    fold_raw = request.form.get("fold", "")
    try:
        when = local_to_utc(
            _moved_to(post, tz_name), tz_name, int(fold_raw) if fold_raw in ("0", "1") else None
        )
        warnings = move_post(session, post, when, current_user.id, settings())
        session.commit()
    except AmbiguousLocalTime as exc:
        return _move_error(exc.message, 422, wants_json, [localize(o.label) for o in exc.options])
    except LocalTimeError as exc:
        return _move_error(exc.message, 422, wants_json)
    except PostError as exc:
        session.rollback()
        return _move_error(exc.message, exc.status, wants_json)
    new_local = to_local(when, tz_name)
    message = gettext("Verschoben auf %(when)s.", when=local_time(when))
    warnings = [localize(w) for w in warnings]
    if wants_json:
        return jsonify(ok=True, message=message, warnings=warnings, local=new_local.isoformat())
    for warning in warnings:
        flash(warning, "warning")
    flash(message, "info")
    return redirect(
        request.form.get("next") or url_for("calendar_views.week", datum=new_local.date().isoformat())
    )


def _moved_to(post: Post, tz_name: str) -> datetime:
    """The new local time: typed in one field (the list), or a new day keeping the time (dragging).

    The typed time is read by the one parser of the crisis console: "morgen 9 Uhr", "14:30" …
    """
    if "when" not in request.form:
        day = request.form.get("date", "").strip()
        clock = request.form.get("time", "").strip() or to_local(post.publish_at, tz_name).strftime("%H:%M")
        return datetime.combine(parse_date(day), parse_clock(clock))
    return typed_local_time(typed_moment(request.form), tz_name)


def _move_error(
    message: str, status: int, wants_json: bool, options: list[str] | None = None
) -> ResponseReturnValue:
    if wants_json:
        return jsonify(ok=False, error=localize(message), fold_options=options or []), status
    flash(localize(message), "error")
    return redirect(_back() or url_for("calendar_views.week")), 303


def _back() -> str | None:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None
