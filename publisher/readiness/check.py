"""Run each channel's own credential check and turn what it says into ok / warning / failing.

The check is a network call, so it runs outside any transaction: the channel's
configuration is read and the session closed first, the platform is asked, and the
outcome is written in a new short transaction. Which channels are due is decided in
SQL (``next_check_at``), claimed with one conditional UPDATE so two schedulers never
check the same channel twice in one interval.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from publisher.channels.base import ChannelConfig, CheckResult
from publisher.channels.registry import make_adapter
from publisher.db import Database, utcnow
from publisher.models import Channel
from publisher.outbox import channel_config
from publisher.readiness import drills
from publisher.readiness.models import ChannelHealth
from publisher.settings import Settings
from publisher.vocabulary import ChannelCategory, Lane, ReadinessState, channel_category

log = logging.getLogger(__name__)
R = ReadinessState
CHECK_THREADS = 4


@dataclass(frozen=True)
class Audience:
    """Who an alert reaches, as far as readiness needs it: active SMS subscribers."""

    sms_subscribers: int = 0


@dataclass(frozen=True)
class Target:
    channel_id: int
    name: str
    crisis: bool
    config: ChannelConfig


@dataclass(frozen=True)
class Verdict:
    state: ReadinessState
    reason: str


def checkable(channel: Channel) -> bool:
    """Enabled channels that reach somebody; a preview channel sends nothing, so it cannot fail."""
    return channel.enabled and channel_category(channel.type) != ChannelCategory.PREVIEW


def interval(settings: Settings, crisis: bool) -> timedelta:
    seconds = settings.health_interval if crisis else settings.health_interval_community
    return timedelta(seconds=seconds)


def target_for(channel: Channel, settings: Settings) -> Target:
    return Target(channel.id, channel.name, channel.serves(Lane.CRISIS), channel_config(channel, settings))


def claim_due(db: Database, settings: Settings, now: datetime | None = None) -> list[int]:
    """Ids of channels whose check is due, each moved on by its interval (claimed).

    Runs on every scheduler tick, so it only reads unless something is due: a write
    transaction every second would compete with the crisis lane on SQLite.
    """
    now = now or utcnow()
    with db.session() as session:
        channels = [c for c in session.scalars(select(Channel)) if checkable(c)]
        pairs = session.execute(select(ChannelHealth.channel_id, ChannelHealth.next_check_at))
        due_at = {channel_id: when for channel_id, when in pairs}
        due = [c for c in channels if c.id not in due_at or due_at[c.id] <= now]
        if not due:
            return []
        for channel in due:
            if channel.id not in due_at:
                session.add(ChannelHealth(channel_id=channel.id, next_check_at=now, changed_at=now))
        session.flush()
        claimed = []
        for channel in due:
            hit = session.execute(
                update(ChannelHealth)
                .where(ChannelHealth.channel_id == channel.id, ChannelHealth.next_check_at <= now)
                .values(next_check_at=now + interval(settings, channel.serves(Lane.CRISIS)))
                .execution_options(synchronize_session=False)
            )
            if hit.rowcount:  # type: ignore[attr-defined]
                claimed.append(channel.id)
    return claimed


def load_targets(session: Session, settings: Settings, ids: Iterable[int] | None = None) -> list[Target]:
    query = select(Channel).order_by(Channel.name)
    if ids is not None:
        query = query.where(Channel.id.in_(list(ids)))
    return [target_for(c, settings) for c in session.scalars(query) if checkable(c)]


def ask_platform(target: Target) -> CheckResult:
    """The adapter's check; an adapter bug is a failing channel with a reason, never a crash."""
    try:
        return make_adapter(target.config).check()
    except Exception as exc:  # noqa: BLE001 (any adapter error must become a verdict)
        log.exception("readiness check of %s raised", target.name)
        return CheckResult(False, f"{target.name}: interner Fehler bei der Prüfung ({type(exc).__name__})")


def alert_cost(target: Target, settings: Settings, audience: Audience) -> float | None:
    """What one alert to every SMS subscriber costs on this channel, if its price is known."""
    price = target.config.options.get("cost_per_segment")
    if price is None or target.config.type != "sms":
        return None
    return float(price) * settings.sms_alert_segments * max(audience.sms_subscribers, 1)


def money(amount: float, currency: str) -> str:
    """German number format: 12,50 EUR."""
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") + f" {currency or 'EUR'}"


def decide(
    result: CheckResult, *, now: datetime, warn_days: int, cost: float | None, subscribers: int = 0
) -> Verdict:
    """The state a check result means. Facts from the platform turn an ok into a warning."""
    if not result.ok:
        return Verdict(R.FAILING, result.text)
    if result.expires_at is not None:
        day = result.expires_at.strftime("%d.%m.%Y")
        if result.expires_at <= now:
            return Verdict(R.FAILING, f"Zugangstoken ist am {day} abgelaufen – bitte neu ausstellen")
        left = result.expires_at - now
        if left <= timedelta(days=warn_days):
            return Verdict(
                R.WARNING,
                f"Zugangstoken läuft am {day} ab (in {max(left.days, 0)} Tagen) – rechtzeitig erneuern",
            )
    if result.balance is not None:
        if result.balance <= 0:
            return Verdict(R.FAILING, "SMS-Guthaben aufgebraucht – keine SMS mehr möglich")
        if cost is not None and result.balance < cost:
            return Verdict(
                R.WARNING,
                f"SMS-Guthaben {money(result.balance, result.currency)} reicht nicht für eine "
                f"Warnung an alle {subscribers} Abonnent:innen "
                f"(etwa {money(cost, result.currency)}) – bitte aufladen",
            )
    return Verdict(R.OK, result.text)


def record(db: Database, target: Target, result: CheckResult, verdict: Verdict, now: datetime) -> None:
    """Write the outcome in its own short transaction."""
    with db.session() as session:
        row = session.get(ChannelHealth, target.channel_id)
        if row is None:
            row = ChannelHealth(channel_id=target.channel_id, next_check_at=now, changed_at=now)
            session.add(row)
        if row.state != verdict.state:
            row.changed_at = now
            log.warning("channel %s: %s -> %s (%s)", target.name, row.state, verdict.state, verdict.reason)
        row.state = verdict.state
        row.reason = verdict.reason
        row.checked_at = now
        if verdict.state != R.FAILING:
            row.last_ok_at = now
        row.expires_at = result.expires_at
        row.balance = result.balance
        row.currency = result.currency
        channel = session.get(Channel, target.channel_id)
        if result.platform_limits is not None and channel is not None:
            channel.platform_limits = result.platform_limits


def check_one(db: Database, settings: Settings, target: Target, audience: Audience) -> Verdict:
    result = ask_platform(target)  # no session is open here
    now = utcnow()
    verdict = decide(
        result,
        now=now,
        warn_days=settings.health_warn_days,
        cost=alert_cost(target, settings, audience),
        subscribers=audience.sms_subscribers,
    )
    verdict = drills.overlay(verdict, drills.latest(db, target.channel_id))  # a failed drill stays visible
    record(db, target, result, verdict, now)
    return verdict


def check_channels(
    db: Database, settings: Settings, ids: Iterable[int] | None = None, audience: Audience | None = None
) -> dict[str, Verdict]:
    """Check these channels (all checkable ones if ``ids`` is None) in parallel; verdict per name."""
    with db.session() as session:
        targets = load_targets(session, settings, ids)
    if not targets:
        return {}
    who = audience or Audience()
    with ThreadPoolExecutor(max_workers=min(CHECK_THREADS, len(targets))) as pool:
        verdicts = list(pool.map(lambda t: check_one(db, settings, t, who), targets))
    return {t.name: v for t, v in zip(targets, verdicts, strict=True)}
