"""Readiness as people and machines read it: one row per channel, with the last post it made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.models import Channel, Delivery
from publisher.readiness.check import checkable
from publisher.readiness.models import ChannelHealth
from publisher.vocabulary import ChannelCategory, DeliveryState, Lane, ReadinessState, channel_category

NOT_CHECKED = "noch nicht geprüft"


@dataclass(frozen=True)
class ChannelReadiness:
    channel: str
    type: str
    category: ChannelCategory
    crisis: bool
    state: ReadinessState
    reason: str
    checked_at: datetime | None
    last_ok_at: datetime | None
    last_post_at: datetime | None
    expires_at: datetime | None
    balance: float | None
    currency: str
    changed_at: datetime | None

    @property
    def label(self) -> str:
        return self.state.label

    @property
    def colour(self) -> str:
        return self.state.colour


def last_posts(session: Session) -> dict[int, datetime]:
    """The time of each channel's last delivery the platform confirmed."""
    query = (
        select(Delivery.channel_id, func.max(Delivery.sent_at))
        .where(Delivery.state == DeliveryState.SENT)
        .group_by(Delivery.channel_id)
    )
    return {channel_id: when for channel_id, when in session.execute(query) if when is not None}


def _row(channel: Channel, health: ChannelHealth | None, last_post: datetime | None) -> ChannelReadiness:
    checked = health is not None and health.checked_at is not None
    return ChannelReadiness(
        channel=channel.name,
        type=channel.type,
        category=channel_category(channel.type),
        crisis=channel.serves(Lane.CRISIS),
        # A channel nobody has checked yet is not known to work: amber, not green.
        state=ReadinessState(health.state) if checked and health else ReadinessState.WARNING,
        reason=health.reason if checked and health else NOT_CHECKED,
        checked_at=health.checked_at if health else None,
        last_ok_at=health.last_ok_at if health else None,
        last_post_at=last_post,
        expires_at=health.expires_at if health else None,
        balance=health.balance if health else None,
        currency=health.currency if health else "",
        changed_at=health.changed_at if checked and health else None,
    )


def readiness(session: Session) -> list[ChannelReadiness]:
    """Every enabled channel that reaches somebody, crisis channels first, then by name."""
    channels = [c for c in session.scalars(select(Channel).order_by(Channel.name)) if checkable(c)]
    health = {h.channel_id: h for h in session.scalars(select(ChannelHealth))}
    posts = last_posts(session)
    rows = [_row(c, health.get(c.id), posts.get(c.id)) for c in channels]
    return sorted(rows, key=lambda r: (not r.crisis, r.channel))


def down_now(rows: list[ChannelReadiness]) -> list[ChannelReadiness]:
    """Crisis channels an alert would not get through right now."""
    return [r for r in rows if r.crisis and r.state == ReadinessState.FAILING]


def plan_b(rows: list[ChannelReadiness]) -> list[ChannelReadiness]:
    """Plan-B outputs (SMS, e-mail, banner, feeds, webhook) that still work for alerts."""
    return [
        r
        for r in rows
        if r.crisis and r.category == ChannelCategory.FALLBACK and r.state != ReadinessState.FAILING
    ]


def open_warnings(rows: list[ChannelReadiness]) -> list[ChannelReadiness]:
    """Channels that are not green: the weekly digest lists them."""
    return [r for r in rows if r.state != ReadinessState.OK]
