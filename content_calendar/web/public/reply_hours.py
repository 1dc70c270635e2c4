"""The public reply hours: when the city answers, stated openly, with the coming holidays.

``/antwortzeiten`` is a page for citizens; ``/public/antwortzeiten.json`` is for the city's CMS
(like the banner). Any public page can show the same snippet with
``{% include "dialog_hours_snippet.html" %}`` (the template global ``public_reply_hours``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, jsonify, render_template

from content_calendar.calendar.office_hours import holiday_name
from content_calendar.calendar.settings import OfficeHours
from content_calendar.calendar.timeutil import to_local
from content_calendar.dialog import hours
from content_calendar.web.helpers import db_session, local_time, settings
from content_calendar.web.i18n import current_language, gettext, short_date, weekday_short
from publisher.db import utcnow

bp = Blueprint("public_reply_hours", __name__, template_folder="templates")
HOLIDAYS_AHEAD = 90  # days of holidays listed
HOLIDAYS_SHOWN = 6


@dataclass(frozen=True)
class PublicHours:
    text: str  # "Mo–Fr 08:00–18:00 Uhr, nicht an Feiertagen"
    open_now: bool
    next_opening: str | None  # "Mo, 07.12.2026, 08:00 Uhr"
    holidays: list[tuple[str, str]]  # ("25.12.2026", "Erster Weihnachtstag")


# The holidays package's language codes for ours; its German names otherwise.
HOLIDAY_LANGUAGES = {"de": "de", "en": "en_US"}


def _holidays(start: date, state: str) -> list[tuple[str, str]]:
    found = []
    language = HOLIDAY_LANGUAGES.get(current_language(), "de")
    for offset in range(HOLIDAYS_AHEAD):
        day = start + timedelta(days=offset)
        name = holiday_name(day, state, language)
        if name:
            found.append((short_date(day), name))
    return found[:HOLIDAYS_SHOWN]


def _day_range(days: list[int]) -> str:
    """Mon–Fri, or a list, with the reader's short weekday names (2026-12-07 is a Monday)."""
    names = [weekday_short(date(2026, 12, 7 + day)) for day in days]
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names) or "—"


def hours_text(office: OfficeHours) -> str:
    """``Mo–Fr 08:00–18:00 Uhr, nicht an Feiertagen`` in the reader's language."""
    return gettext(
        "%(days)s %(start)s–%(end)s Uhr, nicht an Feiertagen",
        days=_day_range(sorted(office.weekdays)),
        start=office.start,
        end=office.end,
    )


def _next_opening(opening: datetime) -> str:
    """``Mo, 07.12.2026, 08:00 Uhr`` / ``Mon, 12/7/2026, 08:00``."""
    when = local_time(opening)
    return gettext("%(day)s, %(when)s Uhr", day=weekday_short(opening), when=when)


def public_reply_hours() -> PublicHours:
    office = hours.reply_hours(db_session())
    tz_name = settings().timezone
    now = utcnow()
    opening = hours.next_opening(now, office, tz_name)
    is_open = hours.is_open(now, office, tz_name)
    return PublicHours(
        text=hours_text(office),
        open_now=is_open,
        next_opening=None if opening is None or is_open else _next_opening(opening),
        holidays=_holidays(to_local(now, tz_name).date(), office.state),
    )


@bp.app_context_processor
def _hours_global() -> dict[str, object]:
    return {"public_reply_hours": public_reply_hours}


@bp.get("/antwortzeiten")
def page() -> str:
    return render_template("dialog_public_hours.html")


@bp.get("/public/antwortzeiten.json")
def as_json() -> Response:
    response = jsonify(asdict(public_reply_hours()))
    # The city's CMS fetches this from another origin; there is nothing private in it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
