"""The post editor: write, check per channel, upload images with alt text, submit,
approve / comment / send back, and decide on held posts."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.policy import Permission
from content_calendar.calendar.contributions import mark_drafted
from content_calendar.calendar.media import media_path
from content_calendar.calendar.models import Contribution
from content_calendar.calendar.post_editing import (
    EDITABLE,
    add_comment,
    approve,
    check_channels,
    comments_for,
    community_channel_list,
    create_series,
    decide_held,
    preview_message,
    save_post,
    schedule_warnings,
    send_back,
)
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.posts import PostError, transition
from content_calendar.calendar.queue_slots import NoFreeSlot, next_free_slot
from content_calendar.calendar.settings import allow_self_approval, themes
from content_calendar.calendar.timeutil import MOMENT_FORMS, LocalTimeError, parse_date
from content_calendar.catalogues import N_
from content_calendar.web.calendar.editor_form import (
    EditorForm,
    attach_upload,
    check_media,
    form_from_post,
    local_start,
    post_input,
    publish_time,
    read_form,
    recurrence,
    typed_moment,
)
from content_calendar.web.helpers import db_session, permission_required, settings
from content_calendar.web.i18n import gettext, localize, ngettext
from publisher.db import utcnow
from publisher.models import Delivery

bp = Blueprint("post_editor", __name__, template_folder="templates")
P = PostState
HELD_DONE = {
    "publish_now": N_("Wird jetzt veröffentlicht."),
    "reschedule": N_("Neu geplant."),
    "discard": N_("Verworfen."),
}


def _render(form: EditorForm, post: Post | None = None, status: int = 200) -> ResponseReturnValue:
    session = db_session()
    deliveries = []
    comments = []
    if post is not None:
        comments = comments_for(session, post.id)
        deliveries = list(
            session.scalars(
                select(Delivery).where(Delivery.source_kind == "post", Delivery.source_id == post.id)
            )
        )
    can_approve_own = allow_self_approval(session)
    return (
        render_template(
            "post_editor.html",
            form=form,
            post=post,
            channels=community_channel_list(session),
            themes=themes(session),
            comments=comments,
            deliveries=deliveries,
            editable=(post is None or post.state in EDITABLE) and current_user.can(Permission.PLAN_POSTS),
            own_post=post is not None and post.author_id == current_user.id and not can_approve_own,
            P=P,
            MOMENT_FORMS=MOMENT_FORMS,
        ),
        status,
    )


def _load(post_id: int) -> Post:
    post = db_session().get(Post, post_id)
    if post is None:
        abort(404)
    return post


@bp.get("/posts/new")
@permission_required(Permission.PLAN_POSTS)
def new() -> ResponseReturnValue:
    form = EditorForm()
    idea_id = request.args.get("idee", "")
    idea = db_session().get(Contribution, int(idea_id)) if idea_id.isdigit() else None
    if idea is not None:
        form.title, form.text, form.theme, form.link = (
            idea.title,
            idea.text,
            idea.theme or "",
            idea.link or "",
        )
        form.contribution_id = str(idea.id)
        form.when = _day_at(idea.wanted_date, "10:00") if idea.wanted_date else ""
    day = request.args.get("date", "")
    if day:
        form.when = _day_at(day, request.args.get("time", "10:00"))
    return _render(form)


def _day_at(day: str, clock: str) -> str:
    """A day from a link (ISO) and a time as the time field shows them; as given if unreadable."""
    try:
        return f"{parse_date(day):%d.%m.%Y} {clock}".strip()
    except LocalTimeError:
        return f"{day} {clock}".strip()


@bp.get("/posts/<int:post_id>")
@permission_required(Permission.VIEW_CALENDAR)
def show(post_id: int) -> ResponseReturnValue:
    post = _load(post_id)
    return _render(form_from_post(post, community_channel_list(db_session()), settings().timezone), post)


@bp.post("/posts/new")
@permission_required(Permission.PLAN_POSTS)
def create() -> ResponseReturnValue:
    return _save(None)


@bp.post("/posts/<int:post_id>")
@permission_required(Permission.PLAN_POSTS)
def update(post_id: int) -> ResponseReturnValue:
    return _save(_load(post_id))


def _save(post: Post | None) -> ResponseReturnValue:
    session = db_session()
    conf = settings()
    channels = community_channel_list(session)
    form = read_form(request.form, [c.name for c in channels])
    action = request.form.get("action", "save")
    attach_upload(form, request.files.get("image"), request.form.get("image_alt", ""), conf)
    check_media(form, conf)
    when = _queue_time(form, post) if action == "queue" else publish_time(form, conf.timezone)
    series = recurrence(form) if post is None and action != "queue" else None
    if form.errors or when is None:
        return _refuse(form, post)
    submit = action in ("submit", "queue")
    try:
        if series is not None:
            _, posts, warnings = create_series(
                session,
                post_input(form, when),
                local_start(form, conf.timezone),
                series,
                conf,
                current_user.id,
                submit,
                int(form.fold) if form.fold in ("0", "1") else None,
                current_user.roles,
            )
            saved = posts[0]
            flash(ngettext("%(num)d Termin angelegt.", "%(num)d Termine angelegt.", len(posts)), "info")
        else:
            saved, warnings = save_post(
                session, post, post_input(form, when), conf, current_user.id, submit, current_user.roles
            )
        idea = (
            session.get(Contribution, int(form.contribution_id)) if form.contribution_id.isdigit() else None
        )
        if idea is not None and idea.state == Contribution.NEW:
            mark_drafted(session, idea, saved.id, current_user.id)
        session.commit()
    except PostError as exc:
        session.rollback()
        form.errors.update(exc.problems or {"form": exc.message})
        form.errors.setdefault("form", exc.message)
        return _refuse(form, post, exc.status)
    except LocalTimeError as exc:
        session.rollback()
        form.errors["repeat"] = exc.message
        return _refuse(form, post)
    for warning in warnings:
        flash(localize(warning), "warning")
    flash(gettext("Zur Freigabe eingereicht.") if submit else gettext("Entwurf gespeichert."), "info")
    return redirect(url_for("post_editor.show", post_id=saved.id))


def _queue_time(form: EditorForm, post: Post | None) -> datetime | None:
    session = db_session()
    ids = [c.id for c in community_channel_list(session) if c.name in form.channels]
    if not ids:
        form.errors["channels"] = gettext("Mindestens einen Kanal wählen")
        return None
    try:
        return next_free_slot(session, ids, settings().timezone, post_id=post.id if post else None)
    except NoFreeSlot as exc:
        form.errors["publish_at"] = exc.message
        return None


def _refuse(form: EditorForm, post: Post | None, status: int = 422) -> ResponseReturnValue:
    flash(gettext("Bitte die markierten Angaben prüfen — es wurde nichts veröffentlicht."), "error")
    return _render(form, post, status if 400 <= status < 500 else 422)


@bp.post("/posts/check")
@permission_required(Permission.VIEW_CALENDAR)
def check() -> ResponseReturnValue:
    """Live counters and problems per channel, from the adapters themselves (JSON)."""
    session = db_session()
    conf = settings()
    channels = community_channel_list(session)
    form = read_form(request.form, [c.name for c in channels])
    chosen = [c for c in channels if c.name in form.channels] or channels
    message = preview_message(post_input(form, utcnow() + timedelta(days=1)))
    checks = [{**c.to_json(), "unit": localize(c.unit)} for c in check_channels(chosen, message, conf)]
    result: dict[str, object] = {"channels": checks}
    if form.when:
        when = publish_time(form, conf.timezone)
        result["time_problem"] = localize(form.errors.get("publish_at", "")) or None
        result["fold_options"] = [localize(o.label) for o in form.fold_options]
        if when is not None:
            try:
                result["warnings"] = [localize(w) for w in schedule_warnings(session, when, conf)]
            except PostError as exc:
                result["time_problem"] = localize(exc.message)
    return jsonify(result)


@bp.post("/posts/<int:post_id>/review")
@permission_required(Permission.PLAN_POSTS, Permission.APPROVE_POSTS)
def review(post_id: int) -> ResponseReturnValue:
    """Approve, send back, comment, submit, withdraw or cancel — one form, one action."""
    session = db_session()
    post = _load(post_id)
    action = request.form.get("action", "")
    comment = request.form.get("comment", "")
    try:
        if action == "approve":
            approve(session, post, current_user.id, current_user.roles, comment)
            message = gettext("Freigegeben.")
        elif action == "send_back":
            send_back(session, post, current_user.id, current_user.roles, comment)
            message = gettext("Zur Überarbeitung zurückgeschickt.")
        elif action == "comment":
            add_comment(session, post, current_user.id, comment)
            message = gettext("Kommentar gespeichert.")
        elif action == "submit":
            transition(session, post, P.REVIEW, current_user.id, current_user.roles)
            message = gettext("Zur Freigabe eingereicht.")
        elif action == "cancel":
            transition(session, post, P.CANCELLED, current_user.id, current_user.roles, comment)
            message = gettext("Beitrag abgebrochen.")
        else:
            abort(400)
        session.commit()
    except PostError as exc:
        session.rollback()
        flash(localize(exc.message), "error")
        return _render(
            form_from_post(post, community_channel_list(session), settings().timezone), post, exc.status
        )
    flash(message, "info")
    return redirect(url_for("post_editor.show", post_id=post.id))


@bp.post("/posts/<int:post_id>/held")
@permission_required(Permission.DECIDE_HELD_POSTS)
def held(post_id: int) -> ResponseReturnValue:
    """Decide on a held post: jetzt veröffentlichen / neu planen / verwerfen."""
    session = db_session()
    post = _load(post_id)
    decision = request.form.get("decision", "")
    form = form_from_post(post, community_channel_list(session), settings().timezone)
    new_time = None
    if decision == "reschedule":
        form.when = typed_moment(request.form)
        form.fold = request.form.get("fold", "")
        new_time = publish_time(form, settings().timezone)
        if new_time is None:
            flash(localize(form.errors["publish_at"]), "error")
            return _render(form, post, 422)
    try:
        warnings = decide_held(
            session, post, decision, current_user.id, current_user.roles, settings(), new_time
        )
        session.commit()
    except PostError as exc:
        session.rollback()
        flash(localize(exc.message), "error")
        return _render(form, post, exc.status)
    for warning in warnings:
        flash(localize(warning), "warning")
    flash(gettext(HELD_DONE[decision]), "info")
    return redirect(url_for("post_editor.show", post_id=post.id))


@bp.get("/media/<name>")
def media(name: str) -> ResponseReturnValue:
    """Public: platforms such as Instagram fetch images by URL."""
    path = media_path(name, settings())
    if path is None:
        abort(404)
    response = send_file(path, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
