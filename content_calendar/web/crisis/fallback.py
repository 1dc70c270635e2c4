"""Fallback console (role fallback): failed alert channels, retry, send via SMS fallback.

Also the post-crisis decision page for held community posts (role editor).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.models import audit
from content_calendar.accounts.policy import Permission
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.posts import PostError, transition
from content_calendar.calendar.timeutil import LocalTimeError, local_to_utc, parse_moment
from content_calendar.crisis.mode import crisis_active
from content_calendar.crisis.models import Alert
from content_calendar.crisis.plan_b import plan_b_settings, retry_delivery, send_via_fallback, sms_channels
from content_calendar.web.helpers import db_session, dispatcher, permission_required, settings
from content_calendar.web.i18n import gettext, localize, ngettext
from publisher.db import utcnow
from publisher.models import Delivery
from publisher.vocabulary import ChannelCategory, DeliveryState

bp = Blueprint("fallback", __name__, template_folder="templates")
PROBLEM_STATES = (DeliveryState.DEAD, DeliveryState.UNKNOWN, DeliveryState.FAILED)


@bp.route("/fallback/")
@permission_required(Permission.OPERATE_FALLBACK)
def index() -> str:
    session = db_session()
    failed = session.scalars(
        select(Delivery)
        .where(Delivery.source_kind == "alert", Delivery.state.in_(PROBLEM_STATES))
        .order_by(Delivery.updated_at.desc())
        .limit(200)
    ).all()
    alerts = {
        a.id: a for a in session.scalars(select(Alert).where(Alert.id.in_({d.source_id for d in failed})))
    }
    return render_template(
        "fallback_console.html",
        active=session.scalars(select(Alert).where(Alert.active.is_(True)).order_by(Alert.id.desc())).all(),
        failed=failed,
        alerts=alerts,
        has_sms=bool(sms_channels(session, drill=False)),
        preview=ChannelCategory.PREVIEW,
        config=plan_b_settings(),
    )


@bp.post("/fallback/zustellung/<int:delivery_id>/erneut")
@permission_required(Permission.OPERATE_FALLBACK)
def retry(delivery_id: int) -> ResponseReturnValue:
    session = db_session()
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        abort(404, gettext("Zustellung nicht gefunden"))
    try:
        job = retry_delivery(session, delivery, current_user.id)
    except ValueError as exc:
        flash(localize(exc.args[0]) if exc.args else str(exc), "error")
        return redirect(url_for("fallback.index"))
    session.commit()
    dispatcher().enqueue([job])
    flash(gettext("%(channel)s: wird erneut gesendet.", channel=delivery.channel.name), "info")
    return redirect(url_for("fallback.index"))


@bp.post("/fallback/warnung/<int:alert_id>/sms")
@permission_required(Permission.OPERATE_FALLBACK)
def via_fallback(alert_id: int) -> ResponseReturnValue:
    session = db_session()
    alert = session.get(Alert, alert_id)
    if alert is None:
        abort(404, gettext("Warnung nicht gefunden"))
    created = send_via_fallback(session, alert, settings(), current_user.id)
    session.commit()
    if created:
        dispatcher().enqueue([(d.id, d.lane) for d in created])
        triggered = ngettext(
            "SMS-Fallback für „%(headline)s“ ausgelöst (%(num)d Sendung).",
            "SMS-Fallback für „%(headline)s“ ausgelöst (%(num)d Sendungen).",
            len(created),
            headline=alert.headline,
        )
        flash(triggered, "info")
    else:
        flash(
            gettext("Keine neue SMS: schon per SMS gesendet, kein SMS-Kanal oder keine Empfänger."), "error"
        )
    return redirect(url_for("fallback.index"))


class RescheduleError(ValueError):
    """A new moment for a held post that cannot be used; the text is for the field."""


def reschedule_moment(raw: str) -> datetime:
    """The new moment as an editor types it, in UTC: the one parser of the crisis console.

    Accepted: ``14:30`` or ``14 Uhr`` (today), ``morgen 9 Uhr``, ``24.12. 18:30``,
    ``24.12.2026 18:30`` and the browser's ISO form ``2026-12-24T18:30``. In the autumn
    hour that happens twice, the first one (summer time) is meant.
    """
    timezone = settings().timezone
    if not raw.strip():
        raise RescheduleError(gettext("Bitte einen neuen Zeitpunkt angeben, z. B. morgen 9 Uhr."))
    try:
        local = parse_moment(raw, datetime.now(ZoneInfo(timezone)))
    except LocalTimeError as exc:
        not_understood = gettext(
            "Zeitpunkt „%(value)s“ nicht erkannt — möglich sind z. B. 14:30 (heute), "
            "morgen 9 Uhr, 24.12. 18:30 oder 24.12.2026 18:30",
            value=raw.strip()[:40],
        )
        raise RescheduleError(not_understood) from exc
    try:
        when = local_to_utc(local, timezone, fold=0)
    except LocalTimeError as exc:  # the spring hour that does not exist
        raise RescheduleError(localize(exc.message)) from exc
    if when <= utcnow():
        raise RescheduleError(gettext("Der neue Zeitpunkt liegt in der Vergangenheit."))
    return when


@bp.route("/angehalten/", methods=["GET", "POST"])
@permission_required(Permission.DECIDE_HELD_POSTS)
def held_posts() -> ResponseReturnValue:
    """After the all-clear an editor decides per held post: publish now, reschedule, drop."""
    session = db_session()
    in_crisis = crisis_active(session)
    if request.method == "POST":
        post = session.get(Post, request.form.get("post", type=int) or 0)
        if post is None or post.state != PostState.HELD:
            flash(gettext("Dieser Beitrag ist nicht (mehr) angehalten."), "error")
            return redirect(url_for("fallback.held_posts"))
        action = request.form.get("action")
        try:
            if action == "drop":
                transition(
                    session, post, PostState.CANCELLED, current_user.id, current_user.roles, "verworfen"
                )
            elif action in ("now", "reschedule"):
                if in_crisis:
                    flash(
                        gettext(
                            "Noch Krisenmodus: erst nach der Entwarnung veröffentlichen oder neu planen."
                        ),
                        "error",
                    )
                    return redirect(url_for("fallback.held_posts"))
                when = utcnow()
                if action == "reschedule":
                    raw = request.form.get("when", "")
                    try:
                        when = reschedule_moment(raw)
                    except RescheduleError as exc:
                        flash(str(exc), "error")
                        return held_page(in_crisis, typed={post.id: raw}, problems={post.id: str(exc)}), 422
                post.publish_at = when
                transition(session, post, PostState.APPROVED, current_user.id, current_user.roles, action)
                audit(session, "post.released_after_crisis", current_user.id, post, decision=action)
            else:
                abort(400, gettext("Unbekannte Aktion"))
        except PostError as exc:
            session.rollback()
            flash(localize(exc.message), "error")
            return redirect(url_for("fallback.held_posts"))
        session.commit()
        flash(gettext("Entscheidung gespeichert."), "info")
        return redirect(url_for("fallback.held_posts"))
    return held_page(in_crisis)


def held_page(
    in_crisis: bool, typed: dict[int, str] | None = None, problems: dict[int, str] | None = None
) -> str:
    """The held posts; a refused new moment stays in its field with the reason beside it."""
    held = db_session().scalars(select(Post).where(Post.state == PostState.HELD).order_by(Post.publish_at))
    return render_template(
        "held_posts.html", held=held.all(), in_crisis=in_crisis, typed=typed or {}, problems=problems or {}
    )
