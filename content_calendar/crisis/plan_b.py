"""Plan B: SMS to subscribers, and the automatic fallback when social platforms fail.

Social media reached 4.6 % of people on the 2022 warning day; SMS must not depend on
them. SMS goes out

* at once, for alerts at or above ``ERNSTFALL_SMS_MIN_LEVEL`` (default ``severe``)
  and for updates / all-clears of a thread that already went out by SMS;
* as fallback, from the scheduler tick, when any social delivery of an alert failed
  permanently, ended unknown, or is not confirmed ``ERNSTFALL_FALLBACK_SECONDS``
  (default 60) after the alert.

Each (alert, SMS channel, language) has a fixed idempotency key, so two schedulers,
a retry and a person pressing "über Fallback senden" still send one SMS.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from content_calendar.accounts.models import audit
from content_calendar.catalogues import Msg
from content_calendar.crisis.alerts import earlier_in_thread, effective_type, message_for_alert
from content_calendar.crisis.models import Alert
from content_calendar.subscribers.audience import audience_filter, count_query
from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.channels.sms_audience import COUNT_KEY, EXTRAS_KEY, Audience
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery, DeliveryLog
from publisher.outbox import create_delivery
from publisher.settings import Settings, load_settings
from publisher.vocabulary import (
    LEVEL_RANK,
    AlertLevel,
    CapMsgType,
    CapStatus,
    DeliveryState,
    Lane,
)

SOCIAL_TYPES = {"mastodon", "facebook", "instagram", "x", "bluesky", "telegram"}
S = DeliveryState


@dataclass(frozen=True)
class PlanBSettings:
    min_level: str
    fallback_seconds: float
    window_hours: int


def plan_b_settings() -> PlanBSettings:
    settings = load_settings()  # read per call, so the fallback page shows the current rules
    return PlanBSettings(
        min_level=settings.sms_min_level,
        fallback_seconds=settings.fallback_seconds,
        window_hours=settings.fallback_window_hours,
    )


def sms_channels(session: Session, drill: bool) -> list[Channel]:
    found = [
        c
        for c in session.scalars(select(Channel).where(Channel.enabled.is_(True)).order_by(Channel.name))
        if effective_type(c) == "sms" and c.serves(Lane.CRISIS)
    ]
    return [c for c in found if c.drill] if drill else found


@dataclass(frozen=True)
class SmsGroup:
    """One language's subscribers for an alert: the definition and how many it had then."""

    audience: Audience
    count: int


def reached_areas(session: Session, alert: Alert) -> tuple[str, ...]:
    """The stored area values an alert reaches, or () for "every area".

    An alert that names none of the subscribers' districts is treated as city-wide:
    everybody gets it. Leaving someone out because the crisis staff wrote "Stadtgebiet"
    instead of a district name would be a missing warning. One DISTINCT query, however
    many subscribers there are.
    """
    haystack = " ".join(str(v) for v in (alert.variables or {}).values()).lower()
    stored = session.scalars(
        select(SmsSubscriber.area).where(SmsSubscriber.status == SubscriberStatus.ACTIVE).distinct()
    ).all()
    everywhere = {area for area in stored if area.strip().lower() in ("", "alle")}
    named = {area for area in stored if area not in everywhere and area.strip().lower() in haystack}
    return tuple(sorted(named | everywhere)) if named else ()


def audiences_by_language(session: Session, alert: Alert) -> dict[str, SmsGroup]:
    """Active subscribers for this alert's area, grouped by the language they get.

    A subscriber whose language the alert has no text in gets German. Only definitions
    and ``count(*)`` queries: no subscriber row is loaded (100,000 of them took 3.8 s).
    """
    areas = reached_areas(session, alert)
    languages = set(
        session.scalars(
            select(SmsSubscriber.language).where(SmsSubscriber.status == SubscriberStatus.ACTIVE).distinct()
        )
    )
    own = tuple(sorted(lang for lang in languages if lang in alert.texts and lang != "de"))
    candidates = {"de": Audience(except_languages=own, areas=areas)}
    candidates.update({lang: Audience(languages=(lang,), areas=areas) for lang in own})
    groups: dict[str, SmsGroup] = {}
    for language, audience in candidates.items():
        count = int(session.scalar(count_query(audience)) or 0)
        if count:
            groups[language] = SmsGroup(audience, count)
    return groups


def recipients_by_language(session: Session, alert: Alert) -> dict[str, list[str]]:
    """The numbers behind :func:`audiences_by_language` (for people and tests, not for sending)."""
    return {
        language: list(
            session.scalars(
                select(SmsSubscriber.phone).where(audience_filter(group.audience)).order_by(SmsSubscriber.id)
            )
        )
        for language, group in audiences_by_language(session, alert).items()
    }


def has_sms(session: Session, alert_id: int) -> bool:
    return any(
        effective_type(d.channel) == "sms"
        for d in session.scalars(
            select(Delivery).where(Delivery.source_kind == "alert", Delivery.source_id == alert_id)
        )
    )


def sms_deliveries(session: Session, alert: Alert, settings: Settings, reason: str) -> list[Delivery]:
    """SMS deliveries for ``alert``: one per SMS channel and language (never twice).

    Each delivery carries its audience as a definition plus a count; the crisis worker
    reads the numbers while it sends (``publisher.channels.sms``).
    """
    created: list[Delivery] = []
    groups: dict[str, SmsGroup | None] = dict(audiences_by_language(session, alert))
    for channel in sms_channels(session, alert.status == CapStatus.EXERCISE):
        # No subscribers yet: a channel with its own fixed recipients (e.g. the crisis
        # staff's phones, in the channel options) still gets the German text.
        batches = groups or ({"de": None} if channel.options.get("recipients") else {})
        for language, group in batches.items():
            key = f"alert-{alert.id}-{channel.id}-sms-{language}"
            if session.scalar(select(Delivery.id).where(Delivery.idempotency_key == key)):
                continue
            message = message_for_alert(session, alert, language)
            if group is not None:
                extras = {EXTRAS_KEY: group.audience.to_dict(), COUNT_KEY: group.count}
                message = replace(message, extras={**message.extras, **extras})
            delivery = create_delivery(
                session,
                channel=channel,
                lane=Lane.CRISIS,
                message=message,
                settings=settings,
                source_kind="alert",
                source_id=alert.id,
                idempotency_key=key,
            )
            count = group.count if group else 0
            delivery.log.append(
                DeliveryLog(event="plan_b", detail=f"{reason}; {count} Empfänger ({language})")
            )
            created.append(delivery)
    session.flush()
    return created


def sms_on_issue(session: Session, alert: Alert, settings: Settings) -> list[Delivery]:
    """SMS at the moment an alert is issued, when its level or its thread asks for it."""
    config = plan_b_settings()
    if LEVEL_RANK.get(AlertLevel(alert.level), 0) >= LEVEL_RANK[AlertLevel(config.min_level)]:
        return sms_deliveries(session, alert, settings, f"Warnstufe ab {config.min_level}")
    follow_up = alert.msg_type != CapMsgType.ALERT
    if follow_up and any(has_sms(session, a.id) for a in earlier_in_thread(session, alert)):
        return sms_deliveries(session, alert, settings, "Folgemeldung einer SMS-Warnung")
    return []


def fallback_reason(deliveries: list[Delivery], now_age: float, limit: float) -> str | None:
    """Why a social channel needs SMS as fallback, or None."""
    for delivery in deliveries:
        if effective_type(delivery.channel) not in SOCIAL_TYPES:
            continue
        if delivery.state in (S.DEAD, S.UNKNOWN):
            return f"{delivery.channel.name}: {delivery.last_error or delivery.state}"
        if delivery.state not in (S.SENT, S.PREVIEWED) and now_age >= limit:
            return f"{delivery.channel.name}: nach {int(limit)} s nicht bestätigt"
    return None


def escalate(db: Database, settings: Settings) -> list[tuple[int, str]]:
    """Called by every scheduler tick: SMS fallback for alerts whose social channels fail.

    Only alerts with a social delivery that failed or is overdue, and no SMS yet, are
    loaded (one indexed query, ``ix_deliveries_kind_state``): an alert whose channels all
    confirmed costs nothing per tick, however many alerts the window holds.
    """
    config = plan_b_settings()
    now = utcnow()
    queued: list[tuple[int, str]] = []
    with db.session() as session:
        for alert in escalation_candidates(session, config, now):
            deliveries = list(
                session.scalars(
                    select(Delivery).where(Delivery.source_kind == "alert", Delivery.source_id == alert.id)
                )
            )
            if any(effective_type(d.channel) == "sms" for d in deliveries):
                continue
            age = (now - alert.created_at).total_seconds()
            reason = fallback_reason(deliveries, age, config.fallback_seconds)
            if reason is None:
                continue
            created = sms_deliveries(session, alert, settings, f"Fallback: {reason}")
            if created:
                audit(session, "alert.fallback_sms", None, alert, reason=reason, automatic=True)
                queued += [(d.id, d.lane) for d in created]
    return queued


def escalation_candidates(session: Session, config: PlanBSettings, now: datetime) -> list[Alert]:
    """Alerts of the window with a social delivery dead, unknown or unconfirmed too long, no SMS yet."""
    kinds = {c.id: effective_type(c) for c in session.scalars(select(Channel))}
    social = [i for i, kind in kinds.items() if kind in SOCIAL_TYPES]
    if not social:
        return []
    since = now - timedelta(hours=config.window_hours)
    overdue = now - timedelta(seconds=config.fallback_seconds)
    unconfirmed = [state for state in S if state not in (S.SENT, S.PREVIEWED)]
    troubled = or_(
        Delivery.state.in_([S.DEAD, S.UNKNOWN]),
        and_(Delivery.state.in_(unconfirmed), Delivery.created_at <= overdue),
    )
    query = select(Delivery.source_id).where(
        Delivery.source_kind == "alert",
        Delivery.state.in_(unconfirmed),
        Delivery.created_at >= since,
        Delivery.channel_id.in_(social),
        troubled,
    )
    sms = [i for i, kind in kinds.items() if kind == "sms"]
    if sms:
        other = aliased(Delivery)
        has_sms = select(other.id).where(
            other.source_kind == "alert", other.source_id == Delivery.source_id, other.channel_id.in_(sms)
        )
        query = query.where(~has_sms.exists())
    ids = query.distinct().scalar_subquery()
    return list(
        session.scalars(select(Alert).where(Alert.id.in_(ids), Alert.created_at >= since).order_by(Alert.id))
    )


def send_via_fallback(session: Session, alert: Alert, settings: Settings, user_id: int) -> list[Delivery]:
    """A fallback operator's "über Fallback senden"."""
    created = sms_deliveries(session, alert, settings, "manuell über Fallback-Konsole")
    if created:
        audit(session, "alert.fallback_sms", user_id, alert, reason="manuell", automatic=False)
    return created


def retry_delivery(session: Session, delivery: Delivery, user_id: int) -> tuple[int, str]:
    """A person's "erneut senden": back to pending now, with one more attempt allowed."""
    if delivery.state not in (S.DEAD, S.UNKNOWN, S.FAILED):
        not_now = Msg(
            "Zustellung im Zustand %(state)r kann nicht erneut gesendet werden", state=delivery.state
        )
        raise ValueError(not_now)
    now = utcnow()
    delivery.state = S.PENDING
    delivery.next_attempt_at = now
    delivery.last_enqueued_at = now
    delivery.max_attempts = max(delivery.max_attempts, delivery.attempts + 1)
    delivery.log.append(DeliveryLog(event="manual_retry", detail=f"erneut senden (Benutzer {user_id})"))
    audit(session, "delivery.retry", user_id, delivery, channel=delivery.channel.name)
    return delivery.id, delivery.lane
