"""Planned test alerts: issue each drill once when due, and read what each channel made of it.

The scheduler tick calls :func:`tick`. An occurrence is claimed by inserting its
``drill_runs`` row, whose unique key is the plan and the date, so it happens once however
many schedulers tick and across restarts; a claim whose process died before the alert was
issued is issued again with the same key (``lifecycle.issue`` returns the alert it made).
A drill never goes out while a real alert is active: it is recorded as skipped, with the
reason. Results come from the drill's deliveries; each channel's outcome is handed to
readiness (``publisher.readiness.drills``), which turns a failed drill amber or red and
tells the staff through the usual notifier.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.catalogues import N_, Msg
from content_calendar.crisis.alerts import AlertError, alert_deliveries, find_template
from content_calendar.crisis.drill_plan import (
    DrillError,
    DrillPlan,
    DrillRun,
    drill_targets,
    filled,
    find_plan,
    last_occurrence,
    next_occurrence,
    no_drill_channel,
    plan_problem,
)
from content_calendar.crisis.lifecycle import DatabaseBusy, close, issue
from content_calendar.crisis.models import Alert
from publisher.db import Database, utcnow
from publisher.models import Delivery
from publisher.outbox.dispatch import Dispatcher
from publisher.readiness.check import checkable
from publisher.readiness.drills import record_outcome
from publisher.settings import Settings
from publisher.vocabulary import CapStatus, DeliveryState, ReadinessState

log = logging.getLogger(__name__)
S = DeliveryState
STALLED_AFTER = timedelta(seconds=60)  # a claim not issued by then is issued again (same key)
VIA = "drill-plan"
SETTLED_REASON = "Probewarnung abgeschlossen: jeder Kanal hat geantwortet"


class RunState(StrEnum):
    ISSUING = "issuing"  # claimed; the alert is being issued
    ISSUED = "issued"
    SKIPPED = "skipped"  # a real alert was active
    FAILED = "failed"  # could not be issued (template, no drill channel)
    MISSED = "missed"  # the scheduler was not running in time

    @property
    def label(self) -> str:
        return RUN_LABELS[self]


RUN_LABELS = {
    RunState.ISSUING: N_("wird ausgelöst"),
    RunState.ISSUED: N_("ausgelöst"),
    RunState.SKIPPED: N_("übersprungen"),
    RunState.FAILED: N_("nicht ausgelöst"),
    RunState.MISSED: N_("verpasst"),
}


class Outcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"
    PREVIEW = "preview"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.DELIVERED: N_("zugestellt"),
    Outcome.FAILED: N_("fehlgeschlagen"),
    Outcome.PENDING: N_("ausstehend"),
    Outcome.PREVIEW: N_("nur Vorschau"),
}


@dataclass(frozen=True)
class ChannelResult:
    channel: str
    type: str
    outcome: Outcome
    reason: str  # the platform's own reason for a failure
    seconds: float | None  # from issue to the platform's confirmation


@dataclass(frozen=True)
class RunView:
    id: int
    plan: str
    due_at: datetime
    state: RunState
    reason: str
    manual: bool
    alert_id: int | None
    channels: list[ChannelResult]

    @property
    def failed(self) -> list[ChannelResult]:
        return [c for c in self.channels if c.outcome == Outcome.FAILED]


def run_key(plan: DrillPlan, day: str) -> str:
    return f"drill-{plan.id}-{day}"


# -- issuing -----------------------------------------------------------------------------


def claim_due(db: Database, settings: Settings, now: datetime) -> list[int]:
    """Insert the run of every occurrence that is due and not yet claimed; their ids.

    Only reads unless something is due (this runs on every tick)."""
    grace = timedelta(minutes=settings.drill_grace_minutes)
    with db.session() as session:
        due: list[tuple[int, str, str, datetime]] = []
        for plan in session.scalars(select(DrillPlan).where(DrillPlan.enabled.is_(True))):
            found = last_occurrence(plan, now, settings.timezone)
            if found is not None and found[1] >= plan.active_from:
                due.append((plan.id, plan.name, run_key(plan, found[0].isoformat()), found[1]))
        if not due:
            return []
        seen = set(
            session.scalars(
                select(DrillRun.idempotency_key).where(
                    DrillRun.idempotency_key.in_([key for _, _, key, _ in due])
                )
            )
        )
    claimed = []
    for plan_id, name, key, at in due:
        if key in seen:
            continue
        late = now - at > grace
        run_id = _insert_run(db, plan_id, name, key, at, late, settings)
        if run_id is not None and not late:
            claimed.append(run_id)
    return claimed


def _insert_run(
    db: Database, plan_id: int, name: str, key: str, at: datetime, late: bool, settings: Settings
) -> int | None:
    state, reason = RunState.ISSUING, ""
    if late:
        local = at.astimezone(ZoneInfo(settings.timezone)).strftime("%d.%m.%Y %H:%M")
        state, reason = RunState.MISSED, f"verpasst: der Scheduler lief um {local} nicht (nicht nachgeholt)"
    try:
        with db.session() as session:
            run = DrillRun(
                plan_id=plan_id, plan_name=name, idempotency_key=key, due_at=at, state=state, reason=reason
            )
            session.add(run)
            session.flush()
            if late:
                audit(session, "drill.missed", None, run, plan=name, reason=reason)
            return run.id
    except IntegrityError:  # another scheduler claimed this occurrence a moment earlier
        return None


def stalled(db: Database, now: datetime) -> list[int]:
    """Claims whose process died before the alert was issued."""
    with db.session() as session:
        return list(
            session.scalars(
                select(DrillRun.id).where(
                    DrillRun.state == RunState.ISSUING, DrillRun.created_at <= now - STALLED_AFTER
                )
            )
        )


def real_alerts(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Alert.id)
            .where(Alert.active.is_(True), Alert.status == CapStatus.ACTUAL)
            .order_by(Alert.id)
        )
    )


def _prepare(db: Database, settings: Settings, run_id: int) -> tuple[str, dict[str, str], str] | None:
    """Decide in one short transaction whether the run may go out; template, values and key."""
    with db.session() as session:
        run = session.get(DrillRun, run_id)
        plan = session.get(DrillPlan, run.plan_id) if run and run.plan_id else None
        if run is None or run.state != RunState.ISSUING:
            return None
        if plan is None:
            _end(session, run, RunState.FAILED, "Plan wurde gelöscht")
            return None
        real = real_alerts(session)
        if real:
            named = ", ".join(f"#{i}" for i in real)
            _end(session, run, RunState.SKIPPED, f"übersprungen: echte Warnung {named} ist aktiv")
            return None
        try:
            if not drill_targets(session, find_template(session, plan.template_key)):
                _end(session, run, RunState.FAILED, no_drill_channel(plan.template_key))
                return None
        except AlertError as exc:
            _end(session, run, RunState.FAILED, exc.message)
            return None
        local = run.due_at.astimezone(ZoneInfo(settings.timezone)).replace(tzinfo=None)
        return plan.template_key, filled(plan.variables or {}, local), run.idempotency_key


def _end(session: Session, run: DrillRun, state: RunState, reason: str) -> None:
    run.state, run.reason, run.settled_at = state, reason, utcnow()
    audit(session, f"drill.{state}", None, run, plan=run.plan_name, reason=reason)
    log.warning("drill %s %s: %s", run.plan_name, state, reason)


def issue_run(db: Database, settings: Settings, dispatcher: Dispatcher, run_id: int) -> None:
    """Issue a claimed run as a drill (``lifecycle.issue(drill=True)``), outside any transaction."""
    prepared = _prepare(db, settings, run_id)
    if prepared is None:
        return
    template_key, values, key = prepared
    try:
        result = issue(
            db,
            settings,
            dispatcher,
            template_key=template_key,
            variables=values,
            idempotency_key=key,
            user_id=None,
            drill=True,
            via=VIA,
            confirm_parallel=True,
        )
    except DatabaseBusy:
        return  # still claimed: issued again with the same key once the claim counts as stalled
    except AlertError as exc:
        problems = "; ".join(f"{k}: {v}" for k, v in exc.problems.items())
        with db.session() as session:
            run = session.get(DrillRun, run_id)
            if run is not None:
                _end(session, run, RunState.FAILED, f"{exc.message} {problems}".strip())
        return
    with db.session() as session:
        run = session.get(DrillRun, run_id)
        if run is not None:
            run.state, run.alert_id = RunState.ISSUED, result.alert_id


def run_now(db: Database, settings: Settings, dispatcher: Dispatcher, name: str, key: str) -> int:
    """A plan's drill now, by hand (``ernstfall drills run-now``); the same key gives one drill."""
    with db.session() as session:
        plan = find_plan(session, name)
        existing = session.scalar(
            select(DrillRun.id).where(DrillRun.idempotency_key == f"drill-{plan.id}-{key}")
        )
        if existing is not None:
            return existing
        run = DrillRun(
            plan_id=plan.id,
            plan_name=plan.name,
            idempotency_key=f"drill-{plan.id}-{key}",
            due_at=utcnow(),
            state=RunState.ISSUING,
            manual=True,
        )
        session.add(run)
        session.flush()
        run_id = run.id
    issue_run(db, settings, dispatcher, run_id)
    with db.session() as session:
        done = session.get(DrillRun, run_id)
        if done is not None and done.state in (RunState.FAILED, RunState.SKIPPED):
            raise DrillError(done.reason)
    return run_id


# -- results -----------------------------------------------------------------------------


def outcome_of(delivery: Delivery) -> Outcome:
    if delivery.state == S.SENT:
        return Outcome.DELIVERED
    if delivery.state == S.PREVIEWED:
        return Outcome.PREVIEW
    if delivery.state in (S.DEAD, S.UNKNOWN, S.CANCELLED):
        return Outcome.FAILED
    return Outcome.PENDING


def channel_results(session: Session, alert: Alert) -> list[ChannelResult]:
    """Per channel: delivered / failed (the platform's reason) / pending, and seconds to delivery."""
    results = []
    for delivery in alert_deliveries(session, alert.id):
        seconds = None
        if delivery.sent_at is not None:
            seconds = max((delivery.sent_at - alert.created_at).total_seconds(), 0.0)
        reason = delivery.platform_message or delivery.last_error or ""
        outcome = outcome_of(delivery)
        results.append(
            ChannelResult(
                delivery.channel.name,
                delivery.channel.type,
                outcome,
                reason if outcome != Outcome.DELIVERED else "",
                seconds,
            )
        )
    return sorted(results, key=lambda r: r.channel)


def verdict_for(delivery: Delivery, when: str, overdue: bool) -> tuple[ReadinessState, str] | None:
    """What one drill delivery means for its channel's readiness (None: nothing yet)."""
    reason = delivery.platform_message or delivery.last_error or delivery.state
    if delivery.state == S.SENT:
        return ReadinessState.OK, f"Probewarnung vom {when} zugestellt"
    if delivery.state in (S.DEAD, S.UNKNOWN, S.CANCELLED):
        return ReadinessState.FAILING, f"Probewarnung vom {when} nicht zugestellt: {reason}"
    if delivery.state == S.FAILED:
        return (
            ReadinessState.WARNING,
            f"Probewarnung vom {when} noch nicht zugestellt (neuer Versuch): {reason}",
        )
    if overdue:
        return ReadinessState.WARNING, f"Probewarnung vom {when} nach Frist noch nicht zugestellt"
    return None


def evaluate(db: Database, settings: Settings, now: datetime) -> int:
    """Hand each open drill's channel outcomes to readiness; a run whose deliveries are all final
    is settled, and its drill alert ends quietly (it would otherwise stay on the board and the
    banner until it expires). Returns how many channel outcomes changed."""
    changed = 0
    settled: list[int] = []
    with db.session() as session:
        runs = session.scalars(
            select(DrillRun).where(DrillRun.state == RunState.ISSUED, DrillRun.settled_at.is_(None))
        ).all()
        for run in runs:
            alert = session.get(Alert, run.alert_id) if run.alert_id else None
            if alert is None:
                run.settled_at = now
                continue
            changed += _evaluate_run(session, settings, run, alert, now)
            if run.settled_at is not None and alert.active:
                settled.append(alert.id)
    for alert_id in settled:  # each in its own transaction, after the one above
        _end_drill_alert(db, settings, alert_id)
    return changed


def _end_drill_alert(db: Database, settings: Settings, alert_id: int) -> None:
    try:
        close(db, settings, alert_id=alert_id, reason=SETTLED_REASON, user_id=None, via=VIA)
    except AlertError as exc:  # ended meanwhile by hand, or the database is busy: next tick
        log.info("drill alert %s not closed: %s", alert_id, exc)


def _evaluate_run(session: Session, settings: Settings, run: DrillRun, alert: Alert, now: datetime) -> int:
    when = alert.created_at.astimezone(ZoneInfo(settings.timezone)).strftime("%d.%m.%Y %H:%M")
    overdue = now - alert.created_at > timedelta(minutes=settings.drill_delivery_minutes)
    changed, final = 0, True
    for delivery in alert_deliveries(session, alert.id):
        if delivery.state in (S.PENDING, S.SENDING, S.FAILED):
            final = False
        verdict = verdict_for(delivery, when, overdue)
        if verdict is None or not checkable(delivery.channel):
            continue
        changed += record_outcome(
            session, delivery.channel_id, verdict[0], verdict[1], run.idempotency_key, now
        )
    if final:
        run.settled_at = now
    return changed


def recent(session: Session, limit: int = 5) -> list[RunView]:
    """The newest drill runs with each channel's result, for the readiness view, API and CLI."""
    runs = session.scalars(select(DrillRun).order_by(DrillRun.due_at.desc(), DrillRun.id.desc()).limit(limit))
    views = []
    for run in runs:
        alert = session.get(Alert, run.alert_id) if run.alert_id else None
        views.append(
            RunView(
                run.id,
                run.plan_name,
                run.due_at,
                RunState(run.state),
                run.reason,
                run.manual,
                run.alert_id,
                channel_results(session, alert) if alert else [],
            )
        )
    return views


def tick(db: Database, settings: Settings, dispatcher: Dispatcher, now: datetime | None = None) -> list[int]:
    """Called by every scheduler tick: issue what is due (once), then read the results."""
    now = now or utcnow()
    runs = claim_due(db, settings, now) + stalled(db, now)
    for run_id in runs:
        issue_run(db, settings, dispatcher, run_id)
    evaluate(db, settings, now)
    return runs


@dataclass(frozen=True)
class PlanView:
    name: str
    template_key: str
    description: Msg
    enabled: bool
    next_at: datetime | None
    problem: str | None  # why its drill would reach nobody (flagged in readiness)


def plans(session: Session, settings: Settings, now: datetime | None = None) -> list[PlanView]:
    """Every plan with its next date, and a problem when its drill would go nowhere."""
    now = now or utcnow()
    views = []
    for plan in session.scalars(select(DrillPlan).order_by(DrillPlan.name)):
        found = next_occurrence(plan, now, settings.timezone) if plan.enabled else None
        views.append(
            PlanView(
                plan.name,
                plan.template_key,
                plan.description,
                plan.enabled,
                found[1] if found else None,
                plan_problem(session, plan),
            )
        )
    return views
