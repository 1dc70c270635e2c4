"""Drill plans: which template goes to the internal test audience, on which rule, at what time.

A rule is monthly on a weekday ("1. Mittwoch", "letzter Freitag"), monthly on a day of the
month ("15."), or the national warning day (Bundesweiter Warntag: the second Thursday in
September, 11:00). Times are local (``ERNSTFALL_TIMEZONE``, Europe/Berlin by default), so a
drill at 10:00 stays at 10:00 across summer time. Admins plan drills with
``ernstfall drills plan``; every bad input is refused with a German message.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from content_calendar.catalogues import N_, Msg
from content_calendar.crisis.alerts import AlertError, alert_channels, find_template
from content_calendar.crisis.models import AlertTemplate
from content_calendar.crisis.placeholders import PlaceholderError, validate_values
from publisher.db import Base, UTCDateTime, utcnow
from publisher.models import Channel
from publisher.vocabulary import AlertLevel, ChannelCategory, channel_category

WEEKDAYS = (
    N_("Montag"),
    N_("Dienstag"),
    N_("Mittwoch"),
    N_("Donnerstag"),
    N_("Freitag"),
    N_("Samstag"),
    N_("Sonntag"),
)
LAST = -1  # ordinal of "letzter <Wochentag>"
WARNING_DAY_TIME = "11:00"  # the national warning day's sirens and cell broadcast sound at 11:00
DEFAULT_TIME = "10:00"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")
RULE_HELP = "„warntag“, „monatlich 1. Mittwoch“, „monatlich letzter Freitag“ oder „monatlich 15.“"


class DrillRule(StrEnum):
    MONTHLY_WEEKDAY = "monthly_weekday"
    MONTHLY_DAY = "monthly_day"
    WARNING_DAY = "warning_day"


class DrillError(ValueError):
    """A drill plan or run that cannot be accepted; the message is German and says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Rule:
    kind: DrillRule
    ordinal: int | None = None  # 1..4 or LAST, for MONTHLY_WEEKDAY
    weekday: int | None = None  # 0 = Monday
    day: int | None = None  # 1..28, for MONTHLY_DAY


class DrillPlan(Base):
    """One planned drill; ``active_from`` keeps occurrences before the plan (or its change) out."""

    __tablename__ = "drill_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    template_key: Mapped[str] = mapped_column(String(80))
    variables: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    rule: Mapped[str] = mapped_column(String(20))
    ordinal: Mapped[int | None] = mapped_column(Integer, nullable=True)
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)
    day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at_time: Mapped[str] = mapped_column(String(5))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    active_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def parsed_rule(self) -> Rule:
        return Rule(DrillRule(self.rule), self.ordinal, self.weekday, self.day)

    @property
    def description(self) -> Msg:
        return describe(self.parsed_rule, self.at_time)


class DrillRun(Base):
    """One occurrence of a plan (or a drill started by hand): issued, skipped, failed or missed."""

    __tablename__ = "drill_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("drill_plans.id", ondelete="SET NULL"), nullable=True
    )
    plan_name: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), nullable=True)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# -- dates -------------------------------------------------------------------------------


def nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date:
    """The ``ordinal``-th ``weekday`` (0 = Monday) of a month; ``LAST`` for the last one."""
    if ordinal == LAST:
        last = date(year, month, monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))


def warning_day(year: int) -> date:
    """Bundesweiter Warntag: the second Thursday in September."""
    return nth_weekday(year, 9, 3, 2)


def date_in_month(rule: Rule, year: int, month: int) -> date | None:
    if rule.kind == DrillRule.WARNING_DAY:
        return warning_day(year) if month == 9 else None
    if rule.kind == DrillRule.MONTHLY_DAY:
        return date(year, month, rule.day or 1)
    return nth_weekday(year, month, rule.weekday or 0, rule.ordinal or 1)


def due_at(day: date, at_time: str, timezone: str) -> datetime:
    hour, minute = (int(part) for part in at_time.split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def _months(year: int, month: int, step: int) -> list[tuple[int, int]]:
    """13 months from (year, month) onwards (step 1) or backwards (step -1), that month first."""
    index = year * 12 + month - 1
    return [divmod(index + step * n, 12) for n in range(13)]


def occurrences(plan: DrillPlan, around: datetime, timezone: str, step: int) -> list[tuple[date, datetime]]:
    """The plan's dates and due times in the 13 months from ``around`` in direction ``step``."""
    local = around.astimezone(ZoneInfo(timezone))
    found = []
    for year, month0 in _months(local.year, local.month, step):
        day = date_in_month(plan.parsed_rule, year, month0 + 1)
        if day is not None:
            found.append((day, due_at(day, plan.at_time, timezone)))
    return found


def last_occurrence(plan: DrillPlan, now: datetime, timezone: str) -> tuple[date, datetime] | None:
    """The newest occurrence that is due at ``now``."""
    return next(((d, at) for d, at in occurrences(plan, now, timezone, -1) if at <= now), None)


def next_occurrence(plan: DrillPlan, now: datetime, timezone: str) -> tuple[date, datetime] | None:
    return next(((d, at) for d, at in occurrences(plan, now, timezone, 1) if at > now), None)


# -- reading what an admin typed ---------------------------------------------------------


def parse_rule(text: str) -> Rule:
    """``warntag`` | ``monatlich 1. Mittwoch`` | ``monatlich letzter Freitag`` | ``monatlich 15.``"""
    words = " ".join((text or "").lower().replace("bundesweiter", "").split())
    if words in ("warntag", "monatlich warntag"):
        return Rule(DrillRule.WARNING_DAY)
    words = words.removeprefix("monatlich").strip()
    if found := re.fullmatch(r"(\d+)\.?\s*([a-zäöü]+)", words):
        ordinal = int(found.group(1))
        if not 1 <= ordinal <= 4:
            raise DrillError(
                f"Regel „{text}“: nur der 1. bis 4. oder der letzte Wochentag kommt in jedem Monat vor"
            )
        return Rule(DrillRule.MONTHLY_WEEKDAY, ordinal=ordinal, weekday=_weekday(found.group(2), text))
    if found := re.fullmatch(r"letzte[rn]?\s+([a-zäöü]+)", words):
        return Rule(DrillRule.MONTHLY_WEEKDAY, ordinal=LAST, weekday=_weekday(found.group(1), text))
    if found := re.fullmatch(r"(?:tag\s+)?(\d+)\.?", words):
        day = int(found.group(1))
        if not 1 <= day <= 28:
            raise DrillError(
                f"Regel „{text}“: Tag {day} gibt es nicht in jedem Monat – bitte 1 bis 28 "
                "oder „monatlich letzter <Wochentag>“"
            )
        return Rule(DrillRule.MONTHLY_DAY, day=day)
    raise DrillError(f"Regel „{text}“ nicht verstanden. Möglich sind: {RULE_HELP}")


def _weekday(word: str, text: str) -> int:
    names = [name.lower() for name in WEEKDAYS]
    if word not in names:
        raise DrillError(f"Regel „{text}“: „{word}“ ist kein Wochentag (Montag … Sonntag)")
    return names.index(word)


def parse_time(text: str | None, rule: Rule) -> str:
    if not text:
        return WARNING_DAY_TIME if rule.kind == DrillRule.WARNING_DAY else DEFAULT_TIME
    found = re.fullmatch(r"([01]?\d|2[0-3])[:.]([0-5]\d)", text.strip())
    if not found:
        raise DrillError(f"Uhrzeit „{text}“ ungültig: bitte SS:MM, z. B. 10:00")
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def describe(rule: Rule, at_time: str) -> Msg:
    """The rule as a person reads it, e.g. "jeden 1. Mittwoch im Monat um 10:00 Uhr"."""
    if rule.kind == DrillRule.WARNING_DAY:
        return Msg("am Bundesweiten Warntag (2. Donnerstag im September) um %(time)s Uhr", time=at_time)
    if rule.kind == DrillRule.MONTHLY_DAY:
        return Msg("monatlich am %(day)s. um %(time)s Uhr", day=rule.day, time=at_time)
    weekday = Msg(WEEKDAYS[rule.weekday or 0])
    if rule.ordinal == LAST:
        return Msg("jeden letzten %(weekday)s im Monat um %(time)s Uhr", weekday=weekday, time=at_time)
    return Msg(
        "jeden %(ordinal)s. %(weekday)s im Monat um %(time)s Uhr",
        ordinal=rule.ordinal,
        weekday=weekday,
        time=at_time,
    )


def filled(variables: dict[str, str], local: datetime) -> dict[str, str]:
    """``{datum}`` and ``{uhrzeit}`` in a value become the occurrence's local date and time."""
    date_text, time_text = local.strftime("%d.%m.%Y"), local.strftime("%H:%M")
    return {k: v.replace("{datum}", date_text).replace("{uhrzeit}", time_text) for k, v in variables.items()}


# -- who a drill reaches -----------------------------------------------------------------


def drill_targets(session: Session, template: AlertTemplate) -> list[Channel]:
    """The drill channels (internal test audience) this template reaches; previews reach nobody."""
    return [
        c
        for c in alert_channels(session, template, drill=True)
        if channel_category(c.type) != ChannelCategory.PREVIEW
    ]


def plan_problem(session: Session, plan: DrillPlan) -> str | None:
    """Why this plan's next drill would not reach anybody, or None."""
    try:
        template = find_template(session, plan.template_key)
    except AlertError as exc:
        return exc.message
    if not drill_targets(session, template):
        return no_drill_channel(plan.template_key)
    return None


def no_drill_channel(template_key: str) -> str:
    return (
        f"Vorlage „{template_key}“ erreicht keinen Übungskanal – die Probewarnung ginge ins Leere. "
        "In channels.toml bei mindestens einem Krisenkanal drill = true setzen."
    )


# -- saving a plan -----------------------------------------------------------------------


def _checked_template(session: Session, key: str, variables: dict[str, str], timezone: str) -> None:
    try:
        template = find_template(session, key)
    except AlertError as exc:
        raise DrillError(exc.message) from exc
    if template.level == AlertLevel.ALLCLEAR:
        raise DrillError(f"Vorlage „{key}“ ist eine Entwarnung; für Probewarnungen bitte eine Warnvorlage")
    sample = datetime.now(ZoneInfo(timezone)).replace(tzinfo=None)
    try:
        validate_values(template.placeholders, filled(variables, sample), now=sample)
    except PlaceholderError as exc:
        raise DrillError(f"Angaben für „{key}“ unvollständig oder ungültig: {exc}") from exc
    if not drill_targets(session, template):
        raise DrillError(no_drill_channel(key))


def save_plan(
    session: Session,
    *,
    name: str,
    template_key: str,
    rule_text: str,
    at_time: str | None,
    variables: dict[str, str],
    timezone: str,
    enabled: bool = True,
    by: str | None = None,
) -> DrillPlan:
    """Create or replace the plan ``name``; refused with a German reason when it cannot work."""
    if not NAME.fullmatch(name or ""):
        raise DrillError(
            f"Name „{name}“ ungültig: Kleinbuchstaben, Ziffern, - und _ (höchstens 80 Zeichen), "
            "z. B. monatlich oder warntag"
        )
    rule = parse_rule(rule_text)
    clock = parse_time(at_time, rule)
    _checked_template(session, template_key, variables, timezone)
    plan = session.scalar(select(DrillPlan).where(DrillPlan.name == name)) or DrillPlan(name=name)
    now = utcnow()
    plan.template_key, plan.variables, plan.at_time, plan.enabled = template_key, variables, clock, enabled
    plan.rule, plan.ordinal, plan.weekday, plan.day = rule.kind, rule.ordinal, rule.weekday, rule.day
    plan.active_from, plan.updated_at, plan.updated_by = now, now, by
    session.add(plan)
    session.flush()
    return plan


def find_plan(session: Session, name: str) -> DrillPlan:
    plan = session.scalar(select(DrillPlan).where(DrillPlan.name == name))
    if plan is None:
        known = ", ".join(session.scalars(select(DrillPlan.name).order_by(DrillPlan.name))) or "keine"
        raise DrillError(f"Probewarnungsplan „{name}“ unbekannt (vorhanden: {known})")
    return plan


def plan_variables(items: list[str] | None) -> dict[str, Any]:
    """``name=wert`` pairs from the command line."""
    values: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DrillError(f"--var „{item}“: Format ist name=wert, z. B. zeit={{uhrzeit}}")
        values[key.strip()] = value
    return values
