"""Local wall-clock time in, UTC out — with the two DST traps handled explicitly.

Editors think in local time (Europe/Berlin by default). Two local times are special:

* the spring gap (last Sunday of March, 02:00–02:59 does not exist): refused, because
  silently shifting a post by an hour is worse than asking;
* the autumn fold (last Sunday of October, 02:00–02:59 happens twice): the editor
  chooses the first (summer time, +02:00) or the second (winter time, +01:00).

Recurring posts are expanded in local wall-clock time, so "every Tuesday 10:00"
stays 10:00 across both changes; every occurrence is then stored in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday

from content_calendar.catalogues import N_, Msg

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_LABELS = (
    N_("Montag"), N_("Dienstag"), N_("Mittwoch"), N_("Donnerstag"),
    N_("Freitag"), N_("Samstag"), N_("Sonntag"),
)  # fmt: skip
MAX_OCCURRENCES = 104  # two years of a weekly series; more is almost always a typo


class LocalTimeError(ValueError):
    """A local time that cannot be turned into one instant; ``message`` is German."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AmbiguousLocalTime(LocalTimeError):
    """The autumn hour: the caller must ask which of the two instants is meant."""

    def __init__(self, message: str, options: list[FoldOption]) -> None:
        super().__init__(message)
        self.options = options


# (fold, summer time?) -> how the choice reads; "erste" is the earlier instant.
FOLD_LABELS = {
    (0, True): N_("erste (Sommerzeit, %(offset)s)"),
    (0, False): N_("erste (Winterzeit, %(offset)s)"),
    (1, True): N_("zweite (Sommerzeit, %(offset)s)"),
    (1, False): N_("zweite (Winterzeit, %(offset)s)"),
}


@dataclass(frozen=True)
class FoldOption:
    fold: int  # 0 = first occurrence (summer time), 1 = second (winter time)
    label: str
    utc: datetime


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LocalTimeError(Msg("Unbekannte Zeitzone „%(name)s“", name=name)) from exc


def _offset_label(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def fold_options(naive: datetime, tz: ZoneInfo) -> list[FoldOption]:
    """Both readings of an ambiguous local time, earlier instant first."""
    options = []
    for fold in (0, 1):
        local = naive.replace(tzinfo=tz, fold=fold)
        label = Msg(FOLD_LABELS[fold, bool(local.dst())], offset=_offset_label(local))
        options.append(FoldOption(fold, label, local.astimezone(UTC)))
    return options


def is_gap(naive: datetime, tz: ZoneInfo) -> bool:
    """True if this wall-clock time never happens (the clocks jump over it)."""
    local = naive.replace(tzinfo=tz)
    return local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive


def is_fold(naive: datetime, tz: ZoneInfo) -> bool:
    return naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset()


def local_to_utc(naive: datetime, tz_name: str, fold: int | None = None) -> datetime:
    """Convert an editor's local wall-clock time to UTC.

    Raises :class:`LocalTimeError` for the spring gap and :class:`AmbiguousLocalTime`
    for the autumn fold unless ``fold`` (0 or 1) says which one is meant.
    """
    if naive.tzinfo is not None:
        raise LocalTimeError(Msg("Interner Fehler: Ortszeit darf keine Zeitzone tragen"))
    tz = zone(tz_name)
    when = naive.strftime("%d.%m.%Y %H:%M")
    if is_gap(naive, tz):
        raise LocalTimeError(
            Msg(
                "%(when)s Uhr gibt es nicht: In dieser Nacht wird die Uhr auf Sommerzeit vorgestellt "
                "(von 2:00 direkt auf 3:00). Bitte eine andere Uhrzeit wählen, z. B. 3:00 Uhr.",
                when=when,
            )
        )
    if is_fold(naive, tz):
        if fold not in (0, 1):
            raise AmbiguousLocalTime(
                Msg(
                    "%(when)s Uhr gibt es zweimal: In dieser Nacht wird die Uhr von 3:00 auf 2:00 "
                    "zurückgestellt. Bitte wählen: erste (Sommerzeit, +02:00) oder zweite "
                    "(Winterzeit, +01:00).",
                    when=when,
                ),
                fold_options(naive, tz),
            )
        return naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def parse_local(date_text: str, time_text: str, tz_name: str, fold: int | None = None) -> datetime:
    """Parse form fields (``2026-03-29`` and ``10:00``, German forms accepted) to UTC."""
    day = parse_date(date_text)
    clock = parse_clock(time_text)
    return local_to_utc(datetime.combine(day, clock), tz_name, fold)


def parse_date(text: str) -> date:
    raw = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise LocalTimeError(
        Msg("Datum „%(raw)s“ nicht erkannt — bitte als TT.MM.JJJJ angeben (z. B. 24.12.2026)", raw=raw)
    )


# What a time field accepts, said the same way wherever a time is refused.
# The refusals below repeat these texts literally (one msgid each for the translation);
# tests/calendar/test_time_words.py checks that they agree.
CLOCK_FORMS = N_("HH:MM (z. B. 14:30, 14.30 oder 14 Uhr)")
MOMENT_FORMS = N_(
    "sofort, 14 Uhr, 14:30 (HH:MM), heute/morgen/übermorgen 9 Uhr, 24.12. 18:30 oder 24.12.2026 18:30"
)
NOW_WORDS = frozenset({"sofort", "ab sofort", "jetzt", "umgehend"})
DAY_WORDS = {"heute": 0, "morgen": 1, "übermorgen": 2}
_CLOCK = re.compile(r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?::(?P<s>\d{2}))?(?:\s*(?:uhr|h))?")
_DATED = re.compile(r"(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{2}|\d{4})?\s+(?P<clock>.+)")
_ISO = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def _words(text: str) -> str:
    """Lower case, one space between words, no commas or leading "um"/"gegen"."""
    raw = " ".join((text or "").lower().replace(",", " ").split())
    for prefix in ("um ", "gegen ", "ca. "):
        raw = raw.removeprefix(prefix)
    return raw


def _clock_or_none(raw: str) -> time | None:
    found = _CLOCK.fullmatch(raw)
    if found is None:
        return None
    hour, minute, second = int(found["h"]), int(found["m"] or 0), int(found["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def parse_clock(text: str) -> time:
    """A wall-clock time as people type it: ``14:30``, ``14.30``, ``14 Uhr``, ``9h``."""
    clock = _clock_or_none(_words(text))
    if clock is None:
        shown = (text or "").strip()
        raise LocalTimeError(
            Msg(
                "Uhrzeit „%(shown)s“ nicht erkannt — bitte als HH:MM (z. B. 14:30, 14.30 oder 14 Uhr) "
                "angeben",
                shown=shown,
            )
        )
    return clock


def _dated(raw: str, today: date) -> datetime | None:
    found = _DATED.fullmatch(raw)
    if found is None:
        return None
    clock = _clock_or_none(_words(found["clock"]))
    year = int(found["y"]) if found["y"] else today.year
    year = year + 2000 if year < 100 else year
    try:
        day = date(year, int(found["mo"]), int(found["d"]))
    except ValueError:
        return None
    return datetime.combine(day, clock) if clock else None


def parse_moment(text: str, now: datetime) -> datetime:
    """A moment as crisis staff type it ("sofort", "14 Uhr", "morgen 9 Uhr" …), naive local time.

    ``now`` is the local wall-clock time the words are relative to. Anything else is refused
    with the list of accepted forms, so nobody has to guess.
    """
    raw = _words(text)
    if raw in NOW_WORDS:
        return now.replace(second=0, microsecond=0, tzinfo=None)
    first, _, rest = raw.partition(" ")
    if first in DAY_WORDS and rest:
        clock = _clock_or_none(_words(rest))
        if clock is not None:
            return datetime.combine(now.date() + timedelta(days=DAY_WORDS[first]), clock)
    for fmt in _ISO:
        try:
            return datetime.strptime(raw.upper(), fmt)
        except ValueError:
            continue
    dated = _dated(raw, now.date())
    if dated is not None:
        return dated
    clock = _clock_or_none(raw)
    if clock is not None:
        return datetime.combine(now.date(), clock)
    raise LocalTimeError(
        Msg(
            "Zeit „%(shown)s“ nicht erkannt — möglich sind sofort, 14 Uhr, 14:30 (HH:MM), "
            "heute/morgen/übermorgen 9 Uhr, 24.12. 18:30 oder 24.12.2026 18:30",
            shown=(text or "").strip(),
        )
    )


def format_moment(moment: datetime, now: datetime) -> str:
    """How a moment reads in an alert: ``14:30`` today, ``03.12. 09:00`` another day this year."""
    if moment.date() == now.date():
        return moment.strftime("%H:%M")
    if moment.year == now.year:
        return moment.strftime("%d.%m. %H:%M")
    return moment.strftime("%d.%m.%Y %H:%M")


def to_local(value: datetime, tz_name: str) -> datetime:
    return value.astimezone(zone(tz_name))


@dataclass(frozen=True)
class Recurrence:
    """A weekly or monthly series in wall-clock time."""

    freq: str  # "weekly" | "monthly"
    count: int | None = None
    until: date | None = None
    interval: int = 1
    byweekday: tuple[str, ...] = ()  # weekly only, e.g. ("TU", "TH"); default: start's weekday

    def rrule_text(self, start: datetime) -> str:
        parts = [f"FREQ={self.freq.upper()}", f"INTERVAL={self.interval}"]
        if self.byweekday:
            parts.append("BYDAY=" + ",".join(self.byweekday))
        if self.count:
            parts.append(f"COUNT={self.count}")
        if self.until:
            parts.append("UNTIL=" + self.until.strftime("%Y%m%d") + "T235959")
        return "DTSTART:" + start.strftime("%Y%m%dT%H%M%S") + "\nRRULE:" + ";".join(parts)


def expand(
    start_local: datetime, recurrence: Recurrence, tz_name: str, fold: int | None = None
) -> list[datetime]:
    """Occurrences of a series, in UTC, each at the same local wall-clock time.

    An occurrence that falls into the spring gap is refused like a single post would
    be; one in the autumn fold takes ``fold`` (default: the first, summer time).
    """
    if recurrence.freq not in ("weekly", "monthly"):
        raise LocalTimeError(Msg("Wiederholung: nur wöchentlich oder monatlich möglich"))
    if not recurrence.count and not recurrence.until:
        raise LocalTimeError(Msg("Wiederholung: bitte Anzahl oder Enddatum angeben"))
    if recurrence.interval < 1:
        raise LocalTimeError(Msg("Wiederholung: Abstand muss mindestens 1 sein"))
    unknown = [d for d in recurrence.byweekday if d not in WEEKDAYS]
    if unknown:
        raise LocalTimeError(Msg("Wiederholung: unbekannter Wochentag %(days)s", days=", ".join(unknown)))
    weekdays = [weekday(WEEKDAYS.index(d)) for d in recurrence.byweekday] or None
    rule = rrule(
        WEEKLY if recurrence.freq == "weekly" else MONTHLY,
        dtstart=start_local,
        interval=recurrence.interval,
        count=recurrence.count,
        until=datetime.combine(recurrence.until, time(23, 59, 59)) if recurrence.until else None,
        byweekday=weekdays if recurrence.freq == "weekly" else None,
    )
    # Naive datetimes: dateutil steps in wall-clock time, which is what editors mean.
    occurrences = []
    for index, naive in enumerate(rule):
        if index >= MAX_OCCURRENCES:
            raise LocalTimeError(Msg("Wiederholung: höchstens %(n)d Termine auf einmal", n=MAX_OCCURRENCES))
        occurrences.append(local_to_utc(naive, tz_name, 0 if fold is None else fold))
    return occurrences
