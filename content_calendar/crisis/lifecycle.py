"""The alert lifecycle: every transition in one place.

    draft (a filled template in the console) ──issue──▶ active
    active ──update──▶ replaced   (the update is the new active message of the thread)
    active ──all-clear──▶ all_clear   (public message, CAP Cancel)
    active ──close──▶ closed      (no public message; e.g. sent by mistake)
    active ──expiry──▶ expired    (its time ran out; the scheduler tick ends it)

Only the newest message of a thread is active. Every transition is audited with who, how
(web, API, CLI, scheduler) and why; when the last pausing alert ends, crisis mode ends and that
is audited too. The console, the API and the CLI call these functions and nothing else.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from content_calendar import busy
from content_calendar.accounts.models import audit
from content_calendar.catalogues import Msg
from content_calendar.crisis.alerts import (
    AlertError,
    AlertResult,
    alert_channels,
    earlier_in_thread,
    find_template,
    message_for_alert,
)
from content_calendar.crisis.compose import PRIMARY_LANGUAGE, approval_hash, fill_texts, render_for
from content_calendar.crisis.mode import crisis_active
from content_calendar.crisis.models import Alert, AlertTemplate
from content_calendar.crisis.placeholders import PlaceholderError, validate_values
from content_calendar.crisis.plan_b import sms_on_issue
from publisher.db import Database, utcnow
from publisher.models import Delivery
from publisher.outbox import NewDelivery, add_deliveries, crisis_busy
from publisher.outbox.dispatch import Dispatcher
from publisher.outputs.banner import read_banner, write_banner
from publisher.settings import Settings
from publisher.vocabulary import (
    ACTIVE_DELIVERY_STATES,
    AlertLevel,
    AlertState,
    CapMsgType,
    CapStatus,
    DeliveryState,
    Lane,
)

TRANSITIONS: dict[AlertState, frozenset[AlertState]] = {
    AlertState.ACTIVE: frozenset(
        {AlertState.REPLACED, AlertState.ALL_CLEAR, AlertState.CLOSED, AlertState.EXPIRED}
    ),
}
STATE_LABELS: dict[str, str] = {
    AlertState.ACTIVE: "aktiv",
    AlertState.REPLACED: "aktualisiert (ersetzt)",
    AlertState.ALL_CLEAR: "entwarnt",
    AlertState.CLOSED: "still beendet",
    AlertState.EXPIRED: "abgelaufen",
}
MAX_REASON = 500
ALLCLEAR_HOURS = 6  # how long an all-clear stays on the banner
P = ParamSpec("P")
R = TypeVar("R")


class DatabaseBusy(AlertError):
    """The database stayed locked past its busy timeout: nothing was stored, try again soon."""

    def __init__(self) -> None:
        super().__init__(busy.MESSAGE, status=503)
        self.retry_after = busy.RETRY_AFTER_SECONDS


def refused_when_busy(transition: Callable[P, R]) -> Callable[P, R]:
    """A lock timeout inside a transition becomes :class:`DatabaseBusy`, never a bare 500.

    The transition's transaction was rolled back (``Database.session``), so the caller can
    repeat it with the same idempotency key: it is either stored once or not at all.
    """

    @functools.wraps(transition)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return transition(*args, **kwargs)
        except OperationalError as exc:
            if busy.is_database_busy(exc):
                raise DatabaseBusy() from exc
            raise

    return guarded


def active_alert(session: Session, alert_id: int) -> Alert:
    """The alert a follow-up refers to; refused with a German reason if it cannot take one."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertError(Msg("Warnung %(id)s nicht gefunden", id=alert_id), status=404)
    if not alert.active:
        label = STATE_LABELS.get(alert.state, alert.state)
        raise AlertError(
            Msg("Warnung %(id)s ist nicht mehr aktiv (%(state)s)", id=alert_id, state=Msg(label)), status=409
        )
    return alert


def end(
    session: Session,
    alert: Alert,
    state: AlertState,
    *,
    user_id: int | None,
    via: str,
    reason: str | None = None,
    settings: Settings | None = None,
) -> None:
    """Move ``alert`` from active to ``state``; audit it, and the end of crisis mode if it ended."""
    allowed = TRANSITIONS.get(AlertState(alert.state), frozenset())
    if state not in allowed:
        raise AlertError(
            Msg(
                "Warnung %(id)s: von „%(before)s“ nach „%(after)s“ ist nicht möglich",
                id=alert.id,
                before=Msg(STATE_LABELS.get(alert.state, alert.state)),
                after=Msg(STATE_LABELS[state]),
            ),
            status=409,
        )
    was_crisis = crisis_active(session, settings)
    alert.state = state
    alert.active = False
    alert.end_reason = reason
    if state != AlertState.REPLACED:
        alert.cleared_at = utcnow()
    audit(session, f"alert.{state}", user_id, alert, via=via, reason=reason)
    if was_crisis and not crisis_active(session, settings):
        audit(session, "crisis.ended", user_id, alert, how=str(state), via=via)


def on_issue(session: Session, alert: Alert, earlier: Alert | None, user_id: int | None, via: str) -> None:
    """Called by create_alert inside its transaction: the new message takes over its thread."""
    if alert.msg_type == CapMsgType.CANCEL:
        alert.state = AlertState.ALL_CLEAR
        alert.active = False
        alert.cleared_at = utcnow()
    else:
        alert.state = AlertState.ACTIVE
        alert.active = True
    if earlier is None:
        return
    how = AlertState.ALL_CLEAR if alert.msg_type == CapMsgType.CANCEL else AlertState.REPLACED
    end(session, earlier, how, user_id=user_id, via=via, reason=f"durch Meldung {alert.identifier}")


def _referenced(session: Session, msg_type: str, references_id: int | None) -> Alert | None:
    if msg_type == CapMsgType.ALERT:
        return None
    if references_id is None:
        raise AlertError(
            Msg("Bezug fehlt: Aktualisierung und Entwarnung gehören zu einer Warnung"), status=400
        )
    return active_alert(session, references_id)


def parallel_alerts(session: Session, template_key: str) -> list[Alert]:
    """Active alerts from the same template: a second one is probably meant as an update."""
    return list(
        session.scalars(
            select(Alert)
            .join(AlertTemplate, Alert.template_id == AlertTemplate.id)
            .where(Alert.active.is_(True), AlertTemplate.key == template_key)
            .order_by(Alert.id)
        )
    )


def _expiry(template: AlertTemplate, msg_type: str, now: datetime, settings: Settings) -> datetime | None:
    if msg_type == CapMsgType.CANCEL or template.level == AlertLevel.ALLCLEAR:
        return now + timedelta(hours=ALLCLEAR_HOURS)  # how long the all-clear banner stays
    hours = (template.cap or {}).get("expires_hours", settings.alert_expiry_hours)
    return now + timedelta(hours=float(hours)) if hours else None


@refused_when_busy
def issue(
    db: Database,
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    template_key: str,
    variables: dict[str, Any],
    idempotency_key: str,
    user_id: int | None,
    drill: bool = False,
    msg_type: str = CapMsgType.ALERT,
    references_id: int | None = None,
    console_opened_at: datetime | None = None,
    via: str = "web",
    approved_hash: str | None = None,
    confirm_parallel: bool = False,
) -> AlertResult:
    """Issue an alert (or an update / all-clear): one transaction, then enqueue after commit.

    The same idempotency key yields one alert, however often the form is submitted. With
    ``approved_hash`` (what the person saw in the preview), a text that differs is refused.
    """
    if not idempotency_key or len(idempotency_key) > 200:
        raise AlertError(Msg("Idempotenzschlüssel fehlt oder ist länger als 200 Zeichen"), status=400)
    if msg_type not in tuple(CapMsgType):
        raise AlertError(Msg("Unbekannte Meldungsart %(kind)r", kind=msg_type), status=400)
    crisis_busy.raise_flag(settings.redis_url)  # community writes pause until it is recorded (issue 16)
    with db.session() as session:
        seen = _seen(session, idempotency_key)
        if seen is not None:
            return seen
        template = find_template(session, template_key)
        earlier = _referenced(session, msg_type, references_id)
        if earlier is not None:
            drill = earlier.status == CapStatus.EXERCISE  # a drill's follow-ups are drills too
        if msg_type == CapMsgType.CANCEL and template.level != AlertLevel.ALLCLEAR:
            raise AlertError(Msg("Für die Entwarnung bitte eine Entwarnungs-Vorlage wählen"), status=422)
        try:
            values = validate_values(template.placeholders, variables)
        except PlaceholderError as exc:
            raise AlertError(Msg("Angaben unvollständig oder ungültig"), exc.problems) from exc
        if msg_type == CapMsgType.ALERT and not confirm_parallel:
            running = parallel_alerts(session, template.key)
            if running:
                named = ", ".join(f"#{a.id}" for a in running)
                raise AlertError(
                    Msg(
                        "Aus dieser Vorlage ist schon eine Warnung aktiv (%(named)s). Meinen Sie eine "
                        "Aktualisierung? Sonst bitte bestätigen, dass eine zweite Warnung gewollt ist.",
                        named=named,
                    ),
                    {
                        "confirm_parallel": Msg(
                            "Bestätigung nötig: Warnung %(named)s ist noch aktiv", named=named
                        )
                    },
                    status=409,
                )
        texts = fill_texts(template.texts, values)
        now = utcnow()
        alert = Alert(
            identifier=f"ernstfall-{uuid.uuid4().hex}",
            idempotency_key=idempotency_key,
            template=template,
            msg_type=msg_type,
            status=CapStatus.EXERCISE if drill else CapStatus.ACTUAL,
            references_id=earlier.id if earlier else None,
            level=template.level,
            headline=texts.get(PRIMARY_LANGUAGE, {}).get("headline", template.name)[:300],
            texts=texts,
            variables=values,
            link=template.link,
            created_by_id=user_id,
            created_at=now,
            expires_at=_expiry(template, msg_type, now, settings),
            console_opened_at=console_opened_at,
        )
        on_issue(session, alert, earlier, user_id, via)
        session.add(alert)
        try:
            session.flush()
        except IntegrityError:  # the same key, sent at the same moment by a double click
            session.rollback()
            again = _seen(session, idempotency_key)
            if again is None:
                raise
            return again
        channels = alert_channels(session, template, drill)
        if not channels:
            raise AlertError(Msg("Kein aktiver Kanal für diese Vorlage konfiguriert"), status=409)
        message = message_for_alert(session, alert)
        renderings = render_for(channels, message, settings)
        signed = approval_hash(renderings)
        if approved_hash is not None and approved_hash != signed:
            raise AlertError(
                Msg(
                    "Der Text hat sich seit der Vorschau geändert (Vorlage oder Kanäle). "
                    "Bitte die Vorschau erneut prüfen und dann senden."
                ),
                status=409,
            )
        problems = {
            r.channel.name: "; ".join((*r.problems, *r.config_problems))
            for r in renderings
            if r.problems or r.config_problems
        }
        if len(problems) == len(channels):
            raise AlertError(Msg("Text passt in keinen Kanal"), problems)
        # One misconfigured or too-short channel must not stop the alert everywhere else:
        # it is recorded as not sent, with its reason, and plan B takes over for it.
        # One multi-row insert for the deliveries and one for their log rows (add_deliveries).
        social = add_deliveries(
            session,
            [
                NewDelivery(
                    r.channel, f"alert-{alert.id}-{r.channel.id}", r.rendered, problems.get(r.channel.name)
                )
                for r in renderings
            ],
            lane=Lane.CRISIS,
            message=message,
            settings=settings,
            source_kind="alert",
            source_id=alert.id,
        )
        sms = sms_on_issue(session, alert, settings)
        audit(
            session,
            f"alert.{msg_type.lower()}",
            user_id,
            alert,
            template=template.key,
            version=template.version,
            channels=[r.channel.name for r in renderings] + [d.channel.name for d in sms],
            texts={r.channel.name: r.text for r in renderings},
            approval_hash=signed,
            drill=drill,
            via=via,
            references=earlier.id if earlier else None,
        )
        session.flush()
        alert_id = alert.id
        ids = [(delivery_id, str(Lane.CRISIS)) for delivery_id in social] + [(d.id, d.lane) for d in sms]
    dispatcher.enqueue(ids)  # after commit, never before
    return AlertResult(alert_id, created=True)


@refused_when_busy
def update(
    db: Database,
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    alert_id: int,
    variables: dict[str, Any],
    idempotency_key: str,
    user_id: int | None,
    via: str,
    approved_hash: str | None = None,
) -> AlertResult:
    """An update of an active alert: same template, its values as the starting point."""
    with db.session() as session:
        seen = _seen(session, idempotency_key)
        if seen is not None:
            return seen
        alert = active_alert(session, alert_id)
        if alert.template is None:
            raise AlertError(
                Msg("Warnung %(id)s hat keine Vorlage; bitte neu auslösen", id=alert_id), status=409
            )
        template_key = alert.template.key
        values = {**(alert.variables or {}), **variables}
    return issue(
        db,
        settings,
        dispatcher,
        template_key=template_key,
        variables=values,
        idempotency_key=idempotency_key,
        user_id=user_id,
        msg_type=CapMsgType.UPDATE,
        references_id=alert_id,
        via=via,
        approved_hash=approved_hash,
    )


def allclear_template(session: Session, key: str | None) -> AlertTemplate:
    """The approved all-clear template to use: the one named, else the library's."""
    query = select(AlertTemplate).where(
        AlertTemplate.current.is_(True),
        AlertTemplate.level == AlertLevel.ALLCLEAR,
        AlertTemplate.approved_at.is_not(None),
    )
    if key:
        query = query.where(AlertTemplate.key == key)
    found = session.scalars(query.order_by(AlertTemplate.key)).all()
    if not found:
        missing = (
            Msg("Keine freigegebene Entwarnungs-Vorlage „%(key)s“ vorhanden", key=key)
            if key
            else Msg("Keine freigegebene Entwarnungs-Vorlage vorhanden")
        )
        raise AlertError(missing, status=409)
    return next((t for t in found if t.key == "entwarnung"), found[0])


@refused_when_busy
def all_clear(
    db: Database,
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    alert_id: int,
    idempotency_key: str,
    user_id: int | None,
    via: str,
    note: str | None = None,
    template_key: str | None = None,
    variables: dict[str, Any] | None = None,
    approved_hash: str | None = None,
) -> AlertResult:
    """The public all-clear (CAP Cancel) for an active alert's thread.

    The all-clear template's blanks are filled from the alert's own values where the names match
    (e.g. the area), then from ``variables``; ``note`` fills its free-text hint.
    """
    with db.session() as session:
        seen = _seen(session, idempotency_key)
        if seen is not None:
            return seen
        alert = active_alert(session, alert_id)
        template = allclear_template(session, template_key)
        spec = template.placeholders
        values = {k: v for k, v in (alert.variables or {}).items() if k in spec}
        values.update(variables or {})
        if note is not None:
            hint = next((name for name, meta in spec.items() if not meta.get("required", True)), None)
            if hint is None:
                no_hint = Msg("Die Vorlage „%(key)s“ hat kein Feld für einen Hinweis", key=template.key)
                raise AlertError(no_hint, status=422)
            values[hint] = note
        key = template.key
    return issue(
        db,
        settings,
        dispatcher,
        template_key=key,
        variables=values,
        idempotency_key=idempotency_key,
        user_id=user_id,
        msg_type=CapMsgType.CANCEL,
        references_id=alert_id,
        via=via,
        approved_hash=approved_hash,
    )


@refused_when_busy
def close(
    db: Database, settings: Settings, *, alert_id: int, reason: str, user_id: int | None, via: str
) -> Alert:
    """End an alert quietly: no public message; pending deliveries are withdrawn, the banner cleared."""
    reason = (reason or "").strip()
    if not reason:
        no_reason = Msg("Bitte einen Grund angeben (wird protokolliert)")
        raise AlertError(no_reason, {"reason": Msg("Angabe fehlt")}, 400)
    if len(reason) > MAX_REASON:
        raise AlertError(
            Msg(
                "Grund: %(length)d von höchstens %(limit)d Zeichen — bitte kürzer",
                length=len(reason),
                limit=MAX_REASON,
            ),
            {"reason": Msg("zu lang")},
            422,
        )
    with db.session() as session:
        alert = active_alert(session, alert_id)
        end(session, alert, AlertState.CLOSED, user_id=user_id, via=via, reason=reason, settings=settings)
        _withdraw_pending(session, [a.id for a in [*earlier_in_thread(session, alert), alert]], reason)
        session.flush()
        session.expunge(alert)
    clear_banner_if_ended(db, settings)
    return alert


def expire_due(db: Database, settings: Settings, now: datetime | None = None) -> list[int]:
    """Called by the scheduler tick: alerts whose time ran out end as expired."""
    now = now or utcnow()
    with db.session() as session:
        due = session.scalars(
            select(Alert).where(
                Alert.active.is_(True), Alert.expires_at.is_not(None), Alert.expires_at <= now
            )
        ).all()
        for alert in due:
            end(
                session,
                alert,
                AlertState.EXPIRED,
                user_id=None,
                via="scheduler",
                reason="Gültigkeit abgelaufen",
                settings=settings,
            )
        ids = [a.id for a in due]
    if ids:
        clear_banner_if_ended(db, settings)
    return ids


def clear_banner_if_ended(db: Database, settings: Settings) -> None:
    """Our website banner must not keep showing an alert that ended without an all-clear."""
    with db.session() as session:
        live = session.scalar(select(Alert.id).where(Alert.active.is_(True)).limit(1))
    banner = read_banner(settings.public_dir)
    if live is None and banner is not None and banner.level != AlertLevel.ALLCLEAR:
        write_banner(settings.public_dir, None, cleared_at=datetime.now(UTC).isoformat())


def _withdraw_pending(session: Session, alert_ids: list[int], reason: str) -> None:
    for delivery in session.scalars(
        select(Delivery).where(
            Delivery.source_kind == "alert",
            Delivery.source_id.in_(alert_ids),
            Delivery.state.in_(ACTIVE_DELIVERY_STATES),
            Delivery.state != DeliveryState.SENDING,
        )
    ):
        delivery.state = DeliveryState.CANCELLED
        delivery.last_error = f"Warnung still beendet: {reason}"


def _seen(session: Session, idempotency_key: str) -> AlertResult | None:
    existing = session.scalar(select(Alert.id).where(Alert.idempotency_key == idempotency_key))
    return AlertResult(existing, created=False) if existing is not None else None
