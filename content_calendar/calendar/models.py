"""Tables of the content calendar beyond the post itself.

Comments on posts (the approver's "send back" reason lives here), recurring series,
queue slots per channel, ideas from other departments, and the per-user secret of
the iCalendar feed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content_calendar.accounts.models import User
from publisher.db import Base, UTCDateTime, utcnow


class PostComment(Base):
    """An approver's comment or send-back reason; the editor sees it in the editor."""

    __tablename__ = "post_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default="comment")  # comment | returned | approved
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")


class PostSeries(Base):
    """A recurring post: the RRULE it was expanded from, and the posts it produced."""

    __tablename__ = "post_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    rrule: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(60))
    post_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueSlot(Base):
    """A standard posting time of a channel, in local wall-clock time (e.g. Tue 10:00)."""

    __tablename__ = "queue_slots"
    __table_args__ = (UniqueConstraint("channel_id", "weekday", "time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    time: Mapped[str] = mapped_column(String(5))  # "HH:MM", local time


class Contribution(Base):
    """A post idea from another department; an editor turns it into a draft."""

    __tablename__ = "contributions"

    NEW = "new"
    DRAFTED = "drafted"
    DECLINED = "declined"
    LABELS = {NEW: "Neu", DRAFTED: "Als Entwurf übernommen", DECLINED: "Abgelehnt"}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    department: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    theme: Mapped[str | None] = mapped_column(String(100), nullable=True)
    wanted_date: Mapped[str | None] = mapped_column(String(10), nullable=True)  # ISO date
    link: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    state: Mapped[str] = mapped_column(String(20), default=NEW, index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")


class CalendarFeed(Base):
    """Per-user nonce of the secret iCalendar URL; the URL's token is an HMAC of it.

    No clear-text secret is stored: the token is recomputed from the app's secret key,
    and rotating the nonce invalidates every old URL of that user.
    """

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
