"""The crisis console: pick a template, fill the blanks, see every channel, send once.

The idempotency key is made when the form is rendered and travels in a signed token
with the moment the console was opened, so a double click or a resubmitted form
sends one alert, and the board can show how long "open console → sent" took.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from content_calendar.accounts.policy import Permission
from content_calendar.crisis.alerts import (
    AlertError,
    alert_channels,
    alert_deliveries,
    cap_sender,
    earlier_in_thread,
    thread_head,
)
from content_calendar.crisis.compose import alert_message, approval_hash, fill_texts, render_for
from content_calendar.crisis.lifecycle import STATE_LABELS, DatabaseBusy, close, issue, parallel_alerts
from content_calendar.crisis.mode import crisis_active
from content_calendar.crisis.models import Alert, AlertTemplate
from content_calendar.crisis.placeholders import TYPE_LABELS, PlaceholderError, validate_values
from content_calendar.crisis.plan_b import sms_channels
from content_calendar.crisis.templates import LANGUAGE_LABELS, LEVELS
from content_calendar.web.errors import BUSY_MESSAGE
from content_calendar.web.helpers import database, db_session, dispatcher, permission_required, settings
from content_calendar.web.i18n import gettext, localize, translated_labels
from publisher.db import utcnow
from publisher.outbox.live import DeliveryFeed, confirmation, delivery_event
from publisher.readiness import down_now, plan_b, readiness
from publisher.vocabulary import (
    ALLCLEAR_MARK,
    DELIVERY_STATE_LABELS,
    UPDATE_MARK,
    CapMsgType,
    CapStatus,
    channel_category,
)

bp = Blueprint("crisis", __name__, url_prefix="/krise", template_folder="templates")
FOLLOW_UPS = {CapMsgType.UPDATE: UPDATE_MARK, CapMsgType.CANCEL: ALLCLEAR_MARK}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="ernstfall-console")


def new_console_token() -> str:
    return _serializer().dumps({"k": uuid.uuid4().hex, "t": time.time()})


def read_console_token(token: str) -> tuple[str, datetime]:
    try:
        data = _serializer().loads(token, max_age=24 * 3600)
    except BadSignature:
        abort(400, gettext("Formular abgelaufen oder verändert — bitte die Konsole neu öffnen"))
    return f"console-{data['k']}", datetime.fromtimestamp(float(data["t"]), UTC)


def feed() -> DeliveryFeed:
    existing = current_app.extensions.get("ernstfall_feed")
    if existing is None:
        existing = current_app.extensions["ernstfall_feed"] = DeliveryFeed(database())
    return existing.start()


def usable_templates() -> list[AlertTemplate]:
    return list(
        db_session().scalars(
            select(AlertTemplate).where(AlertTemplate.current.is_(True)).order_by(AlertTemplate.name)
        )
    )


def active_alerts() -> list[Alert]:
    return list(db_session().scalars(select(Alert).where(Alert.active.is_(True)).order_by(Alert.id.desc())))


@bp.route("/")
@permission_required(Permission.SEND_ALERTS)
def index() -> str:
    return render_template(
        "crisis_index.html",
        templates=[t for t in usable_templates() if t.usable],
        active=active_alerts(),
        crisis=crisis_active(db_session()),
        levels=LEVELS,
        opened=new_console_token(),
        readiness=readiness(db_session()),
    )


def _preview(
    template: AlertTemplate, values: dict[str, str], drill: bool, ref: Alert | None, msg_type: str
) -> tuple[list[dict[str, Any]], str]:
    """Every channel's rendering from the composer (what will be sent), and its approval hash."""
    session = db_session()
    texts = fill_texts(template.texts, values)
    draft = Alert(
        id=0,
        identifier="vorschau",
        msg_type=msg_type,
        status=CapStatus.EXERCISE if drill else CapStatus.ACTUAL,
        level=template.level,
        headline=texts["de"]["headline"],
        texts=texts,
        variables=values,
        link=template.link,
        created_at=utcnow(),
    )
    draft.template = template
    message = alert_message(draft, sender=cap_sender())
    renderings = render_for(alert_channels(session, template, drill), message, settings())
    sms = render_for(sms_channels(session, drill), message, settings())
    rows = [
        {
            "channel": r.channel.name,
            "type": r.channel.type,
            "category": channel_category(r.channel.type),
            "text": r.text,
            "rendered": r.rendered,
            "headline": r.rendered.get("headline") or r.rendered.get("title") or r.rendered.get("subject"),
            "problems": list(r.problems),
        }
        for r in renderings + sms
    ]
    return rows, approval_hash(renderings)


def _start_values(template: AlertTemplate, ref: Alert | None) -> dict[str, str]:
    """An update starts from the values of the alert it updates (same names, any template)."""
    values = {name: "" for name in template.placeholders}
    if ref is not None:
        values.update({k: str(v) for k, v in (ref.variables or {}).items() if k in values})
    return values


@bp.route("/senden/<key>", methods=["GET", "POST"])
@permission_required(Permission.SEND_ALERTS)
def send(key: str) -> ResponseReturnValue:
    session = db_session()
    template = session.scalar(
        select(AlertTemplate).where(AlertTemplate.key == key, AlertTemplate.current.is_(True))
    )
    if template is None or not template.usable:
        abort(404, gettext("Vorlage nicht gefunden oder nicht freigegeben"))
    msg_type = request.values.get("art", "Alert")
    if msg_type not in (CapMsgType.ALERT, *FOLLOW_UPS):
        abort(400, gettext("Unbekannte Meldungsart"))
    ref = None
    if msg_type != CapMsgType.ALERT:
        ref = session.get(Alert, request.values.get("bezug", type=int) or 0)
        if ref is None or not ref.active:
            flash(gettext("Die Warnung, auf die Sie sich beziehen, ist nicht mehr aktiv."), "error")
            return redirect(url_for("crisis.index"))
    token = request.form.get("console_token") or request.args.get("t") or new_console_token()
    drill = bool(request.values.get("uebung")) if ref is None else ref.status == CapStatus.EXERCISE
    values = _start_values(template, ref)
    values.update({n: request.args[f"v_{n}"] for n in values if request.args.get(f"v_{n}")})  # prefill links
    if request.method == "POST":
        values = {name: request.form.get(f"v_{name}", "") for name in template.placeholders}
    errors: dict[str, str] = {}
    previews: list[dict[str, Any]] = []
    preview_hash = ""
    running = parallel_alerts(session, template.key) if ref is None else []
    status = 200
    headers: dict[str, str] = {}
    if request.method == "POST":
        try:
            clean = validate_values(template.placeholders, values)
        except PlaceholderError as exc:
            errors, status = shown_problems(exc.problems), 422
        else:
            values = clean  # shown normalised ("sofort" -> "14:32"), so send repeats the preview
            previews, preview_hash = _preview(template, clean, drill, ref, msg_type)
            if request.form.get("action") == "send":
                key_, opened = read_console_token(token)
                try:
                    result = issue(
                        database(),
                        settings(),
                        dispatcher(),
                        template_key=template.key,
                        variables=values,
                        idempotency_key=key_,
                        user_id=current_user.id,
                        drill=drill,
                        msg_type=msg_type,
                        references_id=ref.id if ref else None,
                        console_opened_at=opened,
                        approved_hash=request.form.get("approved_hash") or None,
                        confirm_parallel=bool(request.form.get("confirm_parallel")),
                    )
                except AlertError as exc:
                    errors = shown_problems(exc.problems) or {"alert": alert_error_text(exc)}
                    flash(alert_error_text(exc), "error")
                    status = exc.status
                    if isinstance(exc, DatabaseBusy):  # the form keeps every input; send again
                        headers["Retry-After"] = str(exc.retry_after)
                else:
                    if not result.created:
                        flash(gettext("Diese Meldung wurde bereits gesendet — hier ist sie."), "info")
                    return redirect(url_for("crisis.board", alert_id=result.alert_id), code=303)
    return (
        render_template(
            "crisis_send.html",
            template=template,
            values=values,
            errors=errors,
            previews=previews,
            preview_hash=preview_hash,
            running=running,
            token=token,
            drill=drill,
            msg_type=msg_type,
            follow_ups=FOLLOW_UPS,
            ref=ref,
            type_labels=translated_labels(TYPE_LABELS),
            levels=LEVELS,
            languages=LANGUAGE_LABELS,
            **readiness_now(),
        ),
        status,
        headers,
    )


def shown_problems(problems: dict[str, str]) -> dict[str, str]:
    """Each field's problem (a domain ``Msg``) in the reader's language."""
    return {field: localize(text) for field, text in problems.items()}


def alert_error_text(exc: AlertError) -> str:
    """Why an alert request was refused, in the reader's language."""
    if isinstance(exc, DatabaseBusy):
        return gettext(BUSY_MESSAGE, seconds=exc.retry_after)
    return localize(exc.message)


def readiness_now() -> dict[str, Any]:
    """For the alert form: crisis channels down now, and the plan-B outputs that take over."""
    rows = readiness(db_session())
    return {"readiness_down": down_now(rows), "readiness_plan_b": plan_b(rows)}


@bp.post("/warnung/<int:alert_id>/beenden")
@permission_required(Permission.SEND_ALERTS)
def close_quietly(alert_id: int) -> ResponseReturnValue:
    """End an alert without a public message (sent by mistake, superseded elsewhere)."""
    try:
        close(
            database(),
            settings(),
            alert_id=alert_id,
            reason=request.form.get("grund", ""),
            user_id=current_user.id,
            via="web",
        )
    except AlertError as exc:
        flash(alert_error_text(exc), "error")
    else:
        closed = gettext(
            "Warnung still beendet: keine öffentliche Meldung, offene Zustellungen zurückgezogen."
        )
        flash(closed, "info")
    return redirect(url_for("crisis.board", alert_id=alert_id), code=303)


@bp.route("/warnung/<int:alert_id>")
@permission_required(Permission.VIEW_ALERTS)
def board(alert_id: int) -> str:
    session = db_session()
    alert = session.get(Alert, alert_id)
    if alert is None:
        abort(404)
    version = feed().version  # before reading the database: no change can fall between
    deliveries = [delivery_event(d) for d in alert_deliveries(session, alert_id)]
    sent_times = [d["sent_at"] for d in deliveries if d["sent_at"]]
    confirmed = confirmation(deliveries)
    return render_template(
        "crisis_board.html",
        alert=alert,
        deliveries=deliveries,
        version=version,
        thread=earlier_in_thread(session, alert),
        head=thread_head(session, alert),
        levels=LEVELS,
        follow_ups=FOLLOW_UPS,
        templates=[t for t in usable_templates() if t.usable],
        elapsed=_elapsed(alert),
        confirmed=confirmed,
        last_sent=max(sent_times) if sent_times else None,
        inline=any(d["inline"] for d in deliveries),
        state_labels=translated_labels(DELIVERY_STATE_LABELS),
        alert_state=STATE_LABELS.get(alert.state, alert.state),
    )


def _elapsed(alert: Alert) -> float | None:
    if alert.console_opened_at is None:
        return None
    return max(0.0, (alert.created_at - alert.console_opened_at).total_seconds())


@bp.route("/warnung/<int:alert_id>/stand.json")
@permission_required(Permission.VIEW_ALERTS)
def board_state(alert_id: int) -> Response:
    """For browsers that get no stream slot: the feed's memory, not the database."""
    version, rows = feed().snapshot("alert", alert_id)
    return jsonify(version=version, deliveries=rows)


class StreamSlots:
    """Waitress serves each request on a pool thread; a stream holds one for minutes.

    At most ``ERNSTFALL_SSE_MAX_STREAMS`` streams (default: half the web threads) run
    at once; further boards get HTTP 503 and poll ``stand.json`` (served from the
    feed's memory) instead, so streams can never starve normal pages.
    """

    def __init__(self, limit: int) -> None:
        import threading

        self.limit = limit
        self._sem = threading.BoundedSemaphore(limit)

    def take(self) -> bool:
        return self._sem.acquire(blocking=False)

    def give(self) -> None:
        self._sem.release()


def slots() -> StreamSlots:
    existing = current_app.extensions.get("ernstfall_stream_slots")
    if existing is None:
        limit = int(current_app.config.get("SSE_MAX_STREAMS") or 8)
        existing = current_app.extensions["ernstfall_stream_slots"] = StreamSlots(limit)
    return existing


@bp.route("/live")
@permission_required(Permission.VIEW_ALERTS)
def live() -> Response:
    wanted = {int(x) for x in request.args.getlist("warnung") if x.isdigit()}
    since = request.headers.get("Last-Event-ID") or request.args.get("seit") or "0"
    after = int(since) if since.isdigit() else 0
    pool = slots()
    if not pool.take():
        return Response(gettext("Zu viele offene Live-Ansichten"), status=503, headers={"Retry-After": "5"})
    source = feed()
    lifetime = float(current_app.config.get("SSE_MAX_SECONDS", 300))
    keepalive = float(current_app.config.get("SSE_KEEPALIVE_SECONDS", 15))

    def stream() -> Any:
        nonlocal after
        try:
            yield "retry: 2000\n\n"
            deadline = time.monotonic() + lifetime
            while time.monotonic() < deadline:
                after, rows = source.wait(after, timeout=keepalive)
                mine = [
                    r
                    for r in rows
                    if r["source_kind"] == "alert" and (not wanted or r["source_id"] in wanted)
                ]
                for row in mine:
                    yield f"id: {after}\nevent: delivery\ndata: {json.dumps(row, ensure_ascii=False)}\n\n"
                if not mine:
                    yield f"id: {after}\n: keepalive\n\n"
        finally:
            pool.give()

    return Response(
        stream(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
