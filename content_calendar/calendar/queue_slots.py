"""Queue slots: standard posting times per channel; "in die Warteschlange" = next free slot.

Slots are local wall-clock times (Tue 10:00 stays 10:00 across DST). A slot is free
when no live post on any of the post's channels is already planned at that instant.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.calendar.models import QueueSlot
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.timeutil import LocalTimeError, local_to_utc, parse_clock, to_local
from content_calendar.catalogues import Msg
from publisher.db import utcnow

P = PostState
DEAD_STATES = (P.CANCELLED, P.EXPIRED)
SEARCH_WEEKS = 12


class NoFreeSlot(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def slots_for(session: Session, channel_ids: list[int]) -> list[QueueSlot]:
    if not channel_ids:
        return []
    return list(
        session.scalars(
            select(QueueSlot)
            .where(QueueSlot.channel_id.in_(channel_ids))
            .order_by(QueueSlot.weekday, QueueSlot.time)
        )
    )


def _occupied(
    session: Session, channel_ids: list[int], start: datetime, end: datetime, skip: int | None
) -> set[datetime]:
    """Instants (to the minute) already taken by a live post on one of these channels."""
    taken: set[datetime] = set()
    rows = session.execute(
        select(Post.id, Post.publish_at, Post.channel_ids).where(
            Post.publish_at >= start, Post.publish_at <= end, Post.state.not_in(DEAD_STATES)
        )
    )
    wanted = set(channel_ids)
    for post_id, when, post_channels in rows:
        if post_id != skip and wanted.intersection(post_channels or []):
            taken.add(when.replace(second=0, microsecond=0))
    return taken


def candidate_instants(slots: list[QueueSlot], start_day: date, tz_name: str, weeks: int) -> list[datetime]:
    """Every slot instant (UTC) from ``start_day`` on, in order; gap times are skipped."""
    found: set[datetime] = set()
    for offset in range(weeks * 7):
        day = start_day + timedelta(days=offset)
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            try:
                found.add(local_to_utc(datetime.combine(day, parse_clock(slot.time)), tz_name, fold=0))
            except LocalTimeError:
                continue  # 02:30 on the spring-change night does not exist
    return sorted(found)


def next_free_slot(
    session: Session,
    channel_ids: list[int],
    tz_name: str,
    now: datetime | None = None,
    post_id: int | None = None,
) -> datetime:
    """The earliest future slot of the chosen channels not already taken on any of them."""
    now = now or utcnow()
    slots = slots_for(session, channel_ids)
    if not slots:
        raise NoFreeSlot(
            Msg(
                "Für die gewählten Kanäle sind keine Sendezeiten (Warteschlange) eingerichtet — "
                "bitte unter „Planung“ anlegen oder eine Zeit eingeben"
            )
        )
    instants = [
        i for i in candidate_instants(slots, to_local(now, tz_name).date(), tz_name, SEARCH_WEEKS) if i > now
    ]
    if not instants:
        raise NoFreeSlot(Msg("Keine Sendezeit in den nächsten Wochen gefunden"))
    taken = _occupied(session, channel_ids, instants[0], instants[-1], post_id)
    for instant in instants:
        if instant not in taken:
            return instant
    raise NoFreeSlot(Msg("Alle Sendezeiten der nächsten %(weeks)d Wochen sind belegt", weeks=SEARCH_WEEKS))


def add_slot(session: Session, channel_id: int, weekday: int, time_text: str) -> QueueSlot:
    if weekday not in range(7):
        raise NoFreeSlot(Msg("Wochentag ungültig"))
    try:
        clock = parse_clock(time_text)
    except LocalTimeError as exc:
        raise NoFreeSlot(exc.message) from exc
    text = clock.strftime("%H:%M")
    existing = session.scalar(
        select(QueueSlot).where(
            QueueSlot.channel_id == channel_id, QueueSlot.weekday == weekday, QueueSlot.time == text
        )
    )
    if existing:
        return existing
    slot = QueueSlot(channel_id=channel_id, weekday=weekday, time=text)
    session.add(slot)
    session.flush()
    return slot
