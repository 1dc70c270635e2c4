"""Office hours: when the municipality answers comments (default Mon–Fri 8–18).

A community post published when nobody can answer draws unanswered questions, so
scheduling outside office hours warns — or, if the admin chose so, is refused.
Public holidays of the configured federal state count as outside.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import holidays

from content_calendar.calendar.settings import OfficeHours
from content_calendar.calendar.timeutil import WEEKDAY_LABELS, parse_clock, to_local
from content_calendar.catalogues import Msg


@lru_cache(maxsize=64)
def _holidays(state: str, year: int, language: str = "de") -> dict[date, str]:
    calendar = holidays.country_holidays("DE", subdiv=state or None, years=year, language=language)
    return dict(calendar.items())


def holiday_name(day: date, state: str, language: str = "de") -> str | None:
    """The holiday's name in ``language`` (the holidays package's codes: "de", "en_US")."""
    return _holidays(state, day.year, language).get(day)


def outside_reason(when_utc: datetime, hours: OfficeHours, tz_name: str) -> str | None:
    """Why ``when_utc`` is outside office hours (German), or None if inside."""
    local = to_local(when_utc, tz_name)
    holiday = holiday_name(local.date(), hours.state)
    if holiday:
        return Msg("%(day)s ist ein Feiertag (%(holiday)s)", day=local.strftime("%d.%m.%Y"), holiday=holiday)
    if local.weekday() not in hours.weekdays:
        return Msg(
            "%(weekday)s ist kein Arbeitstag der Redaktion", weekday=Msg(WEEKDAY_LABELS[local.weekday()])
        )
    start, end = parse_clock(hours.start), parse_clock(hours.end)
    if not start <= local.time() < end:
        return Msg(
            "%(time)s Uhr liegt außerhalb der Antwortzeiten (%(start)s–%(end)s Uhr)",
            time=local.strftime("%H:%M"),
            start=hours.start,
            end=hours.end,
        )
    return None


def office_hours_warning(when_utc: datetime, hours: OfficeHours, tz_name: str) -> str | None:
    """The full warning an editor sees, or None."""
    reason = outside_reason(when_utc, hours, tz_name)
    if reason is None:
        return None
    return Msg(
        "Außerhalb der Antwortzeiten: %(reason)s — niemand kann auf Kommentare antworten.", reason=reason
    )
