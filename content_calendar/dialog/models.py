"""Dialog tables: inbox entries, replies, reply blocks (four eyes), fetch cursors, automatic answers,
rumour search hits and the jump state per watched word."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content_calendar.accounts.models import User
from publisher.db import Base, UTCDateTime, utcnow
from publisher.models import Channel
from publisher.vocabulary import InboxState, ReplyState


class InboxItem(Base):
    """One comment, mention, reply or direct message, fetched once (unique per channel and remote id)."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        UniqueConstraint("channel_id", "remote_id", name="uq_inbox_items_channel_remote"),
        Index("ix_inbox_items_state_received", "state", "received_at"),
        Index("ix_inbox_items_author", "channel_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    platform: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    remote_id: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    author_id: Mapped[str] = mapped_column(String(200))
    author_handle: Mapped[str] = mapped_column(String(200))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    # The post it answers (ours, if we know it) and its text, to show the thread.
    thread_remote_id: Mapped[str | None] = mapped_column(String(300), nullable=True, index=True)
    thread_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What a reply needs on this platform (status id, comment id, Bluesky root/parent, chat id).
    reply_ref: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default=InboxState.NEW)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    about_alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    channel: Mapped[Channel] = relationship(lazy="joined")
    assigned_to: Mapped[User | None] = relationship()
    replies: Mapped[list[InboxReply]] = relationship(back_populates="item", order_by="InboxReply.id")


class ReplyBlock(Base):
    """A pre-approved answer (Antwortbaustein); usable only once a second person approved this version."""

    __tablename__ = "reply_blocks"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_reply_blocks_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    # {"ort": {"type": "place", "label": "Ort", "required": true}} as in alert templates
    placeholders: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    # Suggested first while an alert from this template is active (crisis mode).
    alert_template_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    current: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def usable(self) -> bool:
        return self.approved_at is not None and self.current


class InboxReply(Base):
    """A reply to an inbox entry; its delivery (source_kind "reply") carries it to the platform."""

    __tablename__ = "inbox_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inbox_items.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    block_id: Mapped[int | None] = mapped_column(ForeignKey("reply_blocks.id"), nullable=True)
    variables: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default=ReplyState.AWAITING_APPROVAL)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[InboxItem] = relationship(back_populates="replies")
    block: Mapped[ReplyBlock | None] = relationship()


class InboxCursor(Base):
    """Per channel: where the last fetch stopped, and when the platform lets us ask again."""

    __tablename__ = "inbox_cursors"

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(300), nullable=True)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class AutoReply(Base):
    """An automatic out-of-hours answer: at most one per person, channel and local day."""

    __tablename__ = "inbox_auto_replies"
    __table_args__ = (UniqueConstraint("channel_id", "author_id", "day", name="uq_inbox_auto_replies_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    author_id: Mapped[str] = mapped_column(String(200))
    day: Mapped[str] = mapped_column(String(10))  # local date, YYYY-MM-DD
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_items.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RumourHit(Base):
    """A post a platform search found for a watched word (Mastodon hashtag or search, Bluesky search).

    Only what counting needs: which word, where, the post's id and time (and its public link for
    the staff). Hits older than the counting period are deleted on the next search round.
    """

    __tablename__ = "rumour_hits"
    __table_args__ = (
        UniqueConstraint("keyword", "channel_id", "remote_id", name="uq_rumour_hits_keyword_post"),
        Index("ix_rumour_hits_posted", "posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(80))
    search: Mapped[str] = mapped_column(String(120))  # what found it: "#tag", "mastodon", "bluesky"
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RumourJump(Base):
    """Per watched word: is it in a jump now, and were the staff told (once per jump)."""

    __tablename__ = "rumour_jumps"

    keyword: Mapped[str] = mapped_column(String(80), primary_key=True)
    jumping: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
