"""Run-time settings of the content calendar, kept in the ``settings`` table.

Admins change these in the web app; every reader gets a typed value with a sensible
default, so a fresh installation works without any setup.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from content_calendar.calendar.post_model import Setting
from content_calendar.catalogues import N_
from publisher.db import utcnow

# The topic groups that worked in the vhw/Fraunhofer IAO study (editable by admins).
DEFAULT_THEMES = [
    "Aktuelles und Feste",
    "Kultur und Tourismus",
    "Alltägliches und Lustiges (Tiere)",
    "Gesundheit, Ernährung und Sport",
    "Digitalisierung und Breitband",
    "Nachhaltigkeit und Umwelt",
    "Lokale Wirtschaft",
    "Soziales (Integration, Ehrenamt)",
    "Stellenangebote",
]

FRIEND_TYPES = {
    "gespraechig": N_("gesprächiger Freund (täglich oder öfter, drei Kanäle)"),
    "verlaesslich": N_("verlässlicher Freund (alle 3–5 Tage bis täglich)"),
    "ruhig": N_("ruhiger Freund (höchstens wöchentlich, höchstens zwei Kanäle)"),
}

# German federal states as the ``holidays`` package names them.
STATES = {
    "": N_("nur bundesweite Feiertage"),
    "BW": N_("Baden-Württemberg"),
    "BY": N_("Bayern"),
    "BE": N_("Berlin"),
    "BB": N_("Brandenburg"),
    "HB": N_("Bremen"),
    "HH": N_("Hamburg"),
    "HE": N_("Hessen"),
    "MV": N_("Mecklenburg-Vorpommern"),
    "NI": N_("Niedersachsen"),
    "NW": N_("Nordrhein-Westfalen"),
    "RP": N_("Rheinland-Pfalz"),
    "SL": N_("Saarland"),
    "SN": N_("Sachsen"),
    "ST": N_("Sachsen-Anhalt"),
    "SH": N_("Schleswig-Holstein"),
    "TH": N_("Thüringen"),
}


def get_value(session: Session, key: str, default: Any) -> Any:
    row = session.get(Setting, key)
    return default if row is None or row.value is None else row.value


def set_value(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
        row.updated_at = utcnow()


def themes(session: Session) -> list[str]:
    value = get_value(session, "themes", DEFAULT_THEMES)
    return [str(v) for v in value] if isinstance(value, list) else list(DEFAULT_THEMES)


def friend_type(session: Session) -> str:
    value = get_value(session, "friend_type", "verlaesslich")
    return value if value in FRIEND_TYPES else "verlaesslich"


@dataclass(frozen=True)
class OfficeHours:
    """When somebody answers comments. Scheduling outside warns (or blocks)."""

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday..Friday
    start: str = "08:00"
    end: str = "18:00"
    state: str = ""  # federal state for public holidays; "" = national only
    block: bool = False  # True: refuse posts outside office hours instead of warning

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["weekdays"] = list(self.weekdays)
        return data


def office_hours(session: Session) -> OfficeHours:
    raw = get_value(session, "office_hours", {})
    if not isinstance(raw, dict):
        return OfficeHours()
    defaults = OfficeHours()
    return OfficeHours(
        weekdays=tuple(int(d) for d in raw.get("weekdays", defaults.weekdays)),
        start=str(raw.get("start", defaults.start)),
        end=str(raw.get("end", defaults.end)),
        state=str(raw.get("state", defaults.state)),
        block=bool(raw.get("block", defaults.block)),
    )


def allow_self_approval(session: Session) -> bool:
    return bool(get_value(session, "allow_self_approval", False))
