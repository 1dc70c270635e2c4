"""Reply hours: when the city answers (the calendar's office hours, holidays of the state excluded).

Age and "overdue" count only time *inside* the reply hours: a question sent on Friday evening
is not overdue on Monday at 08:05. The public page states the hours openly, as the study advised.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from content_calendar.calendar.office_hours import holiday_name, outside_reason
from content_calendar.calendar.settings import OfficeHours, office_hours
from content_calendar.calendar.timeutil import parse_clock, zone
from content_calendar.catalogues import Msg

SHORT_DAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


def reply_hours(session: Session) -> OfficeHours:
    """The reply hours, read once per session: a list of 100 entries asks for each one's age."""
    cached = session.info.get(_CACHE_KEY)
    if not isinstance(cached, OfficeHours):
        cached = session.info[_CACHE_KEY] = office_hours(session)
    return cached


_CACHE_KEY = "dialog.reply_hours"


def is_open(when: datetime, hours: OfficeHours, tz_name: str) -> bool:
    return outside_reason(when, hours, tz_name) is None


def hours_text(hours: OfficeHours) -> str:
    """``Mo–Fr 08:00–18:00 Uhr, nicht an Feiertagen`` for the public page and the automatic answer."""
    days = sorted(hours.weekdays)
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        day_text = f"{SHORT_DAYS[days[0]]}–{SHORT_DAYS[days[-1]]}"
    else:
        day_text = ", ".join(SHORT_DAYS[d] for d in days) or "—"
    return f"{day_text} {hours.start}–{hours.end} Uhr, nicht an Feiertagen"


def open_seconds(
    start: datetime, end: datetime, hours: OfficeHours, tz_name: str, enough: float | None = None
) -> float:
    """Seconds between ``start`` and ``end`` that fall inside the reply hours.

    ``enough``: stop counting once the total passes it (whether an entry is overdue does not
    need the open time of the 90 days it may be old).
    """
    if end <= start:
        return 0.0
    tz = zone(tz_name)
    opens, closes = parse_clock(hours.start), parse_clock(hours.end)
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    total = 0.0
    while day <= last:
        if day.weekday() in hours.weekdays and not holiday_name(day, hours.state):
            window_start = datetime.combine(day, opens, tz)
            window_end = datetime.combine(day, closes, tz)
            overlap = min(end, window_end) - max(start, window_start)
            total += max(0.0, overlap.total_seconds())
            if enough is not None and total > enough:
                return total
        day += timedelta(days=1)
    return total


def is_overdue(received: datetime, now: datetime, hours: OfficeHours, tz_name: str, within: float) -> bool:
    limit = within * 3600
    if (now - received).total_seconds() <= limit:  # open time is never more than the time passed
        return False
    return open_seconds(received, now, hours, tz_name, enough=limit) > limit


def age_text(received: datetime, now: datetime | None = None) -> str:
    """``vor 5 Min.``, ``vor 3 Std.``, ``vor 2 Tagen``: age since arrival, in plain time."""
    seconds = ((now or datetime.now(UTC)) - received).total_seconds()
    if seconds < 3600:
        return Msg("vor %(n)d Min.", n=max(0, int(seconds // 60)))
    if seconds < 86400 * 2:
        return Msg("vor %(n)d Std.", n=int(seconds // 3600))
    return Msg("vor %(n)d Tagen", n=int(seconds // 86400))


def next_opening(now: datetime, hours: OfficeHours, tz_name: str) -> datetime | None:
    """When the reply hours open next (now if open); None if no weekday is configured."""
    tz = zone(tz_name)
    local = now.astimezone(tz)
    opens = parse_clock(hours.start)
    for offset in range(0, 15):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in hours.weekdays or holiday_name(day, hours.state):
            continue
        candidate = datetime.combine(day, max(opens, local.time()) if offset == 0 else opens, tz)
        if is_open(candidate, hours, tz_name):
            return candidate
    return None
