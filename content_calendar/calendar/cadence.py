"""Cadence health: are we the friend type we want to be, per channel, week by week?

The study's friend types, as posts per week per channel:
* gesprächig — daily or more (>= 7), on three channels;
* verlässlich — every 3–5 days to daily (2–7);
* ruhig — at most weekly (<= 1), on at most two channels.

"Planned" counts live posts by their publish time; "published" counts deliveries
the platforms confirmed (sent), by the time they were sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.query import day_start_utc
from content_calendar.calendar.timeutil import to_local
from content_calendar.catalogues import N_, Msg
from publisher.db import utcnow
from publisher.models import Channel, Delivery
from publisher.vocabulary import DeliveryState, Lane

P = PostState
NOT_PLANNED = (P.CANCELLED, P.EXPIRED)
FAILED_STATES = (DeliveryState.DEAD, DeliveryState.UNKNOWN)


@dataclass(frozen=True)
class Target:
    min_per_week: float
    max_per_week: float | None
    gap_days: int  # warn when nothing is planned for this many days ahead
    max_channels: int | None = None
    min_channels: int | None = None
    label: str = ""


TARGETS = {
    "gespraechig": Target(7, None, 2, min_channels=3, label=N_("täglich oder öfter")),
    "verlaesslich": Target(2, 7, 5, label=N_("alle 3–5 Tage bis täglich")),
    "ruhig": Target(0, 1, 14, max_channels=2, label=N_("höchstens wöchentlich")),
}


@dataclass
class WeekFigure:
    monday: date
    planned: int = 0
    published: int = 0


@dataclass
class ChannelCadence:
    channel: str
    weeks: list[WeekFigure]
    themes: Counter[str] = field(default_factory=Counter)
    next_post: datetime | None = None
    gap_message: str | None = None
    verdicts: list[str] = field(default_factory=list)


@dataclass
class CadenceReport:
    friend_type: str
    target: Target
    channels: list[ChannelCadence]
    notes: list[str]

    @property
    def gaps(self) -> list[str]:
        return [c.gap_message for c in self.channels if c.gap_message]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def cadence_report(
    session: Session,
    friend_type: str,
    tz_name: str,
    now: datetime | None = None,
    weeks_back: int = 4,
    weeks_ahead: int = 2,
) -> CadenceReport:
    now = now or utcnow()
    target = TARGETS[friend_type]
    this_monday = _monday(to_local(now, tz_name).date())
    mondays = [this_monday + timedelta(weeks=i) for i in range(-weeks_back, weeks_ahead + 1)]
    start = day_start_utc(mondays[0], tz_name)
    end = day_start_utc(mondays[-1] + timedelta(days=7), tz_name)
    horizon = now + timedelta(days=max(target.gap_days, 1) * 4)
    channels = [
        c
        for c in session.scalars(select(Channel).order_by(Channel.name))
        if c.enabled and c.serves(Lane.COMMUNITY)
    ]
    result = {c.id: ChannelCadence(c.name, [WeekFigure(m) for m in mondays]) for c in channels}
    index = {m: i for i, m in enumerate(mondays)}

    posts = session.execute(
        select(Post.publish_at, Post.channel_ids, Post.theme).where(
            Post.publish_at >= start, Post.publish_at < max(end, horizon), Post.state.not_in(NOT_PLANNED)
        )
    ).all()
    for publish_at, channel_ids, theme in posts:
        week = index.get(_monday(to_local(publish_at, tz_name).date()))
        for channel_id in channel_ids or ():
            figures = result.get(channel_id)
            if figures is None:
                continue
            if week is not None and publish_at < end:
                figures.weeks[week].planned += 1
                figures.themes[theme or N_("ohne Thema")] += 1
            if publish_at >= now and (figures.next_post is None or publish_at < figures.next_post):
                figures.next_post = publish_at

    sent = session.execute(
        select(Delivery.channel_id, Delivery.sent_at).where(
            Delivery.source_kind == "post",
            Delivery.state == DeliveryState.SENT,
            Delivery.sent_at >= start,
            Delivery.sent_at < end,
        )
    ).all()
    for channel_id, sent_at in sent:
        if sent_at is None:
            continue
        figures = result.get(channel_id)
        week = index.get(_monday(to_local(sent_at, tz_name).date()))
        if figures is not None and week is not None:
            figures.weeks[week].published += 1

    for figures in result.values():
        _judge(figures, target, now, this_monday, weeks_back)
    return CadenceReport(friend_type, target, list(result.values()), _channel_notes(target, len(channels)))


def _judge(
    figures: ChannelCadence, target: Target, now: datetime, this_monday: date, weeks_back: int
) -> None:
    days_free = (figures.next_post - now).days if figures.next_post else None
    if days_free is None or days_free >= target.gap_days:
        span = target.gap_days if days_free is None else days_free
        figures.gap_message = Msg(
            "%(channel)s: für die nächsten %(days)d Tage ist nichts geplant",
            channel=figures.channel,
            days=span,
        )
    current = figures.weeks[weeks_back]
    assert current.monday == this_monday
    if current.planned < target.min_per_week:
        figures.verdicts.append(
            Msg(
                "diese Woche %(planned)d geplant, Ziel mindestens %(goal)s (%(label)s)",
                planned=current.planned,
                goal=format(target.min_per_week, "g"),
                label=Msg(target.label),
            )
        )
    if target.max_per_week is not None and current.planned > target.max_per_week:
        figures.verdicts.append(
            Msg(
                "diese Woche %(planned)d geplant, Ziel höchstens %(goal)s (%(label)s)",
                planned=current.planned,
                goal=format(target.max_per_week, "g"),
                label=Msg(target.label),
            )
        )


def _channel_notes(target: Target, count: int) -> list[str]:
    notes: list[str] = []
    if target.min_channels and count < target.min_channels:
        notes.append(
            Msg(
                "Gesprächige Freunde sind auf mindestens %(min)d Kanälen aktiv (jetzt %(count)d).",
                min=target.min_channels,
                count=count,
            )
        )
    if target.max_channels and count > target.max_channels:
        notes.append(
            Msg(
                "Ruhige Freunde nutzen höchstens %(max)d Kanäle (jetzt %(count)d).",
                max=target.max_channels,
                count=count,
            )
        )
    return notes


def failed_posts(session: Session, since: datetime) -> list[tuple[Post, list[Delivery]]]:
    """Posts that did not (fully) go out since ``since``, with their failed deliveries."""
    rows = session.scalars(
        select(Delivery)
        .where(
            Delivery.lane == Lane.COMMUNITY,
            Delivery.source_kind == "post",
            Delivery.state.in_(FAILED_STATES),
            Delivery.updated_at >= since,
        )
        .order_by(Delivery.updated_at)
    ).all()
    grouped: dict[int, list[Delivery]] = {}
    for delivery in rows:
        if delivery.source_id is not None:
            grouped.setdefault(delivery.source_id, []).append(delivery)
    posts = []
    for post_id, deliveries in grouped.items():
        post = session.get(Post, post_id)
        if post is not None:
            posts.append((post, deliveries))
    expired = session.scalars(select(Post).where(Post.state == P.EXPIRED, Post.publish_at >= since)).all()
    posts.extend((p, []) for p in expired)
    return posts
