"""Planning settings: themes, friend type, office hours, four-eyes exception,
queue slots per channel, and the emergency stop."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.models import audit
from content_calendar.accounts.policy import Permission
from content_calendar.calendar.emergency_stop import StopError, active_stop, resume, suspend
from content_calendar.calendar.models import QueueSlot
from content_calendar.calendar.post_editing import community_channel_list
from content_calendar.calendar.queue_slots import NoFreeSlot, add_slot
from content_calendar.calendar.settings import (
    FRIEND_TYPES,
    STATES,
    OfficeHours,
    allow_self_approval,
    friend_type,
    office_hours,
    set_value,
    themes,
)
from content_calendar.calendar.timeutil import CLOCK_FORMS, LocalTimeError, parse_clock
from content_calendar.web.helpers import db_session, permission_required
from content_calendar.web.i18n import gettext, localize, weekday_names

bp = Blueprint("calendar_admin", __name__, url_prefix="/planung", template_folder="templates")


@bp.get("/")
@permission_required(Permission.VIEW_CALENDAR)
def index() -> ResponseReturnValue:
    session = db_session()
    channels = community_channel_list(session)
    slots = session.scalars(
        select(QueueSlot).order_by(QueueSlot.channel_id, QueueSlot.weekday, QueueSlot.time)
    )
    return render_template(
        "calendar_admin.html",
        themes=themes(session),
        friend_type=friend_type(session),
        FRIEND_TYPES=FRIEND_TYPES,
        STATES=STATES,
        hours=office_hours(session),
        self_approval=allow_self_approval(session),
        channels=channels,
        channel_names={c.id: c.name for c in channels},
        slots=list(slots),
        WEEKDAYS=weekday_names(),
        CLOCK_FORMS=CLOCK_FORMS,
        stop=active_stop(session),
    )


def _done(message: str) -> ResponseReturnValue:
    db_session().commit()
    flash(localize(message), "info")
    return redirect(url_for("calendar_admin.index"))


def _refuse(message: str, status: int = 422) -> ResponseReturnValue:
    db_session().rollback()
    flash(localize(message), "error")
    return index(), status  # type: ignore[return-value]


@bp.post("/themen")
@permission_required(Permission.CONFIGURE_CALENDAR)
def save_themes() -> ResponseReturnValue:
    lines = [line.strip() for line in request.form.get("themes", "").splitlines()]
    values = list(dict.fromkeys(line for line in lines if line))
    if not values:
        return _refuse(gettext("Mindestens ein Thema angeben"))
    if any(len(v) > 100 for v in values):
        return _refuse(gettext("Ein Thema darf höchstens %(max)d Zeichen haben", max=100))
    set_value(db_session(), "themes", values)
    audit(db_session(), "settings.themes", current_user.id, None, count=len(values))
    return _done(gettext("Themenliste gespeichert."))


@bp.post("/takt")
@permission_required(Permission.CONFIGURE_CALENDAR)
def save_friend_type() -> ResponseReturnValue:
    value = request.form.get("friend_type", "")
    if value not in FRIEND_TYPES:
        return _refuse(gettext("Unbekannter Freundestyp"))
    set_value(db_session(), "friend_type", value)
    audit(db_session(), "settings.friend_type", current_user.id, None, value=value)
    return _done(gettext("Ziel-Takt gespeichert."))


@bp.post("/antwortzeiten")
@permission_required(Permission.CONFIGURE_CALENDAR)
def save_office_hours() -> ResponseReturnValue:
    days = sorted({int(d) for d in request.form.getlist("weekdays") if d.isdigit() and int(d) in range(7)})
    try:
        start = parse_clock(request.form.get("start", "")).strftime("%H:%M")
        end = parse_clock(request.form.get("end", "")).strftime("%H:%M")
    except LocalTimeError as exc:
        return _refuse(exc.message)
    if start >= end:
        return _refuse(gettext("Ende der Antwortzeit muss nach dem Beginn liegen"))
    state = request.form.get("state", "")
    if state not in STATES:
        return _refuse(gettext("Unbekanntes Bundesland"))
    hours = OfficeHours(tuple(days), start, end, state, request.form.get("block") == "1")
    set_value(db_session(), "office_hours", hours.to_json())
    audit(db_session(), "settings.office_hours", current_user.id, None, **hours.to_json())
    return _done(gettext("Antwortzeiten gespeichert."))


@bp.post("/vier-augen")
@permission_required(Permission.CONFIGURE_CALENDAR)
def save_four_eyes() -> ResponseReturnValue:
    allowed = request.form.get("allow_self_approval") == "1"
    set_value(db_session(), "allow_self_approval", allowed)
    audit(db_session(), "settings.allow_self_approval", current_user.id, None, value=allowed)
    return _done(
        gettext("Eigenfreigabe erlaubt (kleines Team).") if allowed else gettext("Vier-Augen-Prinzip gilt.")
    )


@bp.post("/sendezeiten")
@permission_required(Permission.MANAGE_SLOTS)
def add_queue_slot() -> ResponseReturnValue:
    session = db_session()
    names = {c.name: c.id for c in community_channel_list(session)}
    channel = request.form.get("channel", "")
    weekday = request.form.get("weekday", "")
    if channel not in names:
        return _refuse(gettext("Unbekannter Kanal"))
    if not weekday.isdigit():
        return _refuse(gettext("Wochentag fehlt"))
    try:
        slot = add_slot(session, names[channel], int(weekday), request.form.get("time", ""))
    except NoFreeSlot as exc:
        return _refuse(exc.message)
    audit(session, "slot.added", current_user.id, slot, channel=channel, weekday=slot.weekday, time=slot.time)
    return _done(gettext("Sendezeit angelegt."))


@bp.post("/sendezeiten/<int:slot_id>/loeschen")
@permission_required(Permission.MANAGE_SLOTS)
def delete_queue_slot(slot_id: int) -> ResponseReturnValue:
    slot = db_session().get(QueueSlot, slot_id)
    if slot is None:
        abort(404)
    audit(db_session(), "slot.deleted", current_user.id, slot, weekday=slot.weekday, time=slot.time)
    db_session().delete(slot)
    return _done(gettext("Sendezeit gelöscht."))


@bp.post("/notstopp")
@permission_required(Permission.EMERGENCY_STOP)
def emergency_stop() -> ResponseReturnValue:
    session = db_session()
    try:
        if request.form.get("action") == "resume":
            resume(session, current_user.id)
            message = gettext(
                "Community-Beiträge laufen wieder. Angehaltene Beiträge bitte einzeln entscheiden."
            )
        else:
            suspend(session, request.form.get("reason", ""), current_user.id, current_user.display_name)
            message = gettext("Notstopp aktiv: fällige Community-Beiträge werden angehalten.")
    except StopError as exc:
        return _refuse(exc.message, exc.status)
    return _done(message)
