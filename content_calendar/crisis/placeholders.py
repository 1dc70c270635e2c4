"""Typed placeholders in alert templates, validated when an alert is filled in."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from content_calendar.calendar.timeutil import MOMENT_FORMS, LocalTimeError, format_moment, parse_moment
from content_calendar.catalogues import Msg

TYPES = ("text", "area", "place", "place_list", "time", "phone", "url")
MAX_VALUE = 300


class PlaceholderError(ValueError):
    """Every problem with the filled-in values, each naming its field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def fields_in(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _text(value: str) -> str:
    if "\n" in value.strip() and len(value) > 120:
        raise ValueError(Msg("bitte ohne Zeilenumbrüche"))
    return value.strip()


def _time(value: str, now: datetime) -> str:
    """A moment as typed ("sofort", "14 Uhr", "morgen 9 Uhr" …), written the same way every time.

    Templates say "bis {bis} Uhr", so the value is a clock time (``14:30``), with the date in
    front when it is another day (``03.12. 09:00``); "sofort" becomes the minute it was entered.
    """
    try:
        moment = parse_moment(value, now)
    except LocalTimeError as exc:
        raise ValueError(exc.message) from exc
    return format_moment(moment, now)


def local_now() -> datetime:
    """Wall-clock time in the configured zone: what "sofort" and "morgen" mean."""
    from publisher.settings import load_settings

    return datetime.now(ZoneInfo(load_settings().timezone))


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "DE")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(Msg("keine gültige Telefonnummer")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(Msg("keine gültige Telefonnummer"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _url(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", value):
        raise ValueError(Msg("Link muss mit https:// beginnen und darf keine Leerzeichen enthalten"))
    return value


def _place_list(value: str) -> str:
    items = [item.strip() for item in re.split(r"[;\n]", value) if item.strip()]
    if not items:
        raise ValueError(Msg("mindestens einen Ort angeben (mehrere mit ; trennen)"))
    return ", ".join(items)


CHECKS: dict[str, Callable[[str], str]] = {
    "text": _text,
    "area": _text,
    "place": _text,
    "place_list": _place_list,
    "phone": _phone,
    "url": _url,
}


def validate_values(
    spec: dict[str, dict[str, Any]], values: dict[str, Any], now: datetime | None = None
) -> dict[str, str]:
    """Check and normalise values for the template's placeholders; raise with every problem.

    ``now`` (local wall-clock time) is what "sofort" and "morgen" in a time field refer to;
    by default the current time in the configured zone. Normalising is idempotent, so the
    values shown after a preview validate to themselves when the alert is sent.
    """
    problems: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name, meta in spec.items():
        label = meta.get("label", name)
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if meta.get("required", True):
                problems[name] = Msg("%(label)s: Angabe fehlt", label=label)
            else:
                clean[name] = ""
            continue
        if not isinstance(raw, str | int | float):
            problems[name] = Msg("%(label)s: Text erwartet", label=label)
            continue
        raw = str(raw)
        limit = int(meta.get("max_length", MAX_VALUE))
        if len(raw.strip()) > limit:
            problems[name] = Msg(
                "%(label)s: %(length)d von höchstens %(limit)d Zeichen — bitte kürzer",
                label=label,
                length=len(raw.strip()),
                limit=limit,
            )
            continue
        try:
            kind = meta.get("type", "text")
            if kind == "time":
                now = now or local_now()
                clean[name] = _time(raw, now)
            else:
                clean[name] = CHECKS[kind](raw)
        except ValueError as exc:
            problems[name] = Msg(
                "%(label)s: %(problem)s", label=label, problem=exc.args[0] if exc.args else str(exc)
            )
    unknown = sorted(set(values) - set(spec))
    for name in unknown:
        problems[name] = Msg("%(name)s: unbekanntes Feld in dieser Vorlage", name=name)
    if problems:
        raise PlaceholderError(problems)
    return clean


TYPE_LABELS = {
    "text": "Text",
    "area": "Gebiet",
    "place": "Ort",
    "place_list": "Ortsliste (mit ; trennen)",
    "time": f"Uhrzeit / Zeitpunkt, z. B. {MOMENT_FORMS}",
    "phone": "Telefonnummer",
    "url": "Link",
}
# Realistic values used to check a template's renderings before approval. Padded up to
# a placeholder's ``max_length`` so the check covers the longest allowed input.
SAMPLES = {
    "text": "Feuerwehr vor Ort",
    "area": "Innenstadt-Nord",
    "place": "Rathausplatz",
    "place_list": "Rathaus, Feuerwache Mitte, Grundschule am Park",
    "time": "24.12.2026 18:30",
    "phone": "+49 6221 123456",
    "url": "https://www.example-stadt.de/warnung",
}


def sample_values(spec: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The longest values a crisis user may enter, for checking renderings in advance."""
    values = {}
    for name, meta in spec.items():
        kind = meta.get("type", "text")
        sample = SAMPLES.get(kind, "Beispiel")
        limit = meta.get("max_length")
        if limit and kind in ("text", "area", "place", "place_list") and len(sample) < int(limit):
            sample = (sample + " " + "x" * int(limit))[: int(limit)]
        values[name] = sample
    return values


def fill(text: str, values: dict[str, str]) -> str:
    return text.format_map(values)
