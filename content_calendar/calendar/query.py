"""What the calendar views show: posts in a local-time range, grouped by local day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.timeutil import to_local, zone
from publisher.models import Channel

P = PostState


@dataclass(frozen=True)
class CalendarEntry:
    """One post as a calendar cell shows it (no lazy loading while rendering)."""

    id: int
    local: datetime
    title: str
    state: str
    state_label: str
    theme: str | None
    channels: tuple[str, ...]
    held_reason: str | None

    @property
    def held(self) -> bool:
        return self.state == P.HELD

    @property
    def expired(self) -> bool:
        return self.state == P.EXPIRED


def day_start_utc(day: date, tz_name: str) -> datetime:
    """Local midnight in UTC (midnight always exists in Europe/Berlin; fold 0 otherwise)."""
    return datetime.combine(day, time(0, 0)).replace(tzinfo=zone(tz_name), fold=0).astimezone(UTC)


def entries_between(session: Session, first: date, last: date, tz_name: str) -> list[CalendarEntry]:
    """Posts whose local day is within [first, last], in time order."""
    start = day_start_utc(first, tz_name)
    end = day_start_utc(last + timedelta(days=1), tz_name)
    names = {row[0]: row[1] for row in session.execute(select(Channel.id, Channel.name))}
    rows = session.execute(
        select(
            Post.id,
            Post.publish_at,
            Post.title,
            Post.text,
            Post.state,
            Post.theme,
            Post.channel_ids,
            Post.held_reason,
        )
        .where(Post.publish_at >= start, Post.publish_at < end, Post.state != P.CANCELLED)
        .order_by(Post.publish_at)
    ).all()
    return [
        CalendarEntry(
            id=row.id,
            local=to_local(row.publish_at, tz_name),
            title=row.title or row.text[:60],
            state=row.state,
            state_label=P.LABELS.get(row.state, row.state),
            theme=row.theme,
            channels=tuple(names.get(i, f"#{i}") for i in row.channel_ids or ()),
            held_reason=row.held_reason,
        )
        for row in rows
    ]


def by_day(entries: list[CalendarEntry]) -> dict[date, list[CalendarEntry]]:
    days: dict[date, list[CalendarEntry]] = defaultdict(list)
    for entry in entries:
        days[entry.local.date()].append(entry)
    return days


def week_days(anchor: date) -> list[date]:
    monday = anchor - timedelta(days=anchor.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


def month_weeks(year: int, month: int) -> list[list[date]]:
    """The Monday-first weeks covering a month (leading/trailing days of neighbours)."""
    first = date(year, month, 1)
    start = first - timedelta(days=first.weekday())
    weeks = []
    current = start
    while True:
        weeks.append([current + timedelta(days=i) for i in range(7)])
        current += timedelta(days=7)
        if current.month != month and current > first:
            break
    return weeks
