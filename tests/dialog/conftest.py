"""Dialog fixtures: every platform configured against its fake (the crisis suite's ``every_channel``),
an approved reply-block library, and helpers to post as the city and to write as a citizen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from content_calendar.accounts.models import User
from content_calendar.dialog import blocks
from publisher.channels.base import Media, Message
from publisher.db import Database
from publisher.models import Channel
from publisher.outbox import create_delivery, process_delivery
from publisher.settings import Settings
from publisher.vocabulary import Lane
from tests.crisis.conftest import EveryChannel, every_channel, mastodon, seven  # noqa: F401

PLATFORMS = ("mastodon", "x", "facebook", "instagram", "bluesky", "telegram")


def user_id(db: Database, username: str) -> int:
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user.id


@pytest.fixture
def approved_blocks(every_channel: EveryChannel, instance: Settings) -> Database:  # noqa: F811
    """The shipped reply blocks, written by an editor and approved by a second person."""
    db = every_channel.db
    editor, approver = user_id(db, "redaktion"), user_id(db, "freigabe")
    with db.session() as session:
        for block in blocks.load_shipped(session, editor):
            blocks.approve(session, block, approver)
    return db


def post_as_city(db: Database, settings: Settings, channel_name: str, text: str) -> str:
    """Publish a community post through the real outbox; returns its remote id."""
    media: tuple[Media, ...] = ()
    if channel_name == "instagram":
        media = (Media("bild.jpg", "Rathaus im Schnee", public_url="https://stadt.example/bild.jpg"),)
    with db.session() as session:
        channel = session.scalar(select(Channel).where(Channel.name == channel_name))
        assert channel is not None
        delivery = create_delivery(
            session,
            channel=channel,
            lane=Lane.COMMUNITY,
            message=Message(text=text, media=media),
            settings=settings,
            source_kind="post",
            source_id=None,
        )
        session.flush()
        delivery_id = delivery.id
    assert process_delivery(db, delivery_id, settings) == "sent"
    with db.session() as session:
        remote_id = session.get(type(delivery), delivery_id).remote_id  # type: ignore[union-attr]
    assert remote_id
    return str(remote_id)


@dataclass(frozen=True)
class CitizenMessage:
    """What a citizen wrote, and how to find our reply to it on the fake."""

    remote_id: str  # the id the inbox stores
    expected: Any  # the id a reply must point at on the platform
    replied: Any  # callable() -> the target id our last reply points at, or None


def citizen_writes(every: EveryChannel, platform: str, post_id: str, text: str) -> CitizenMessage:
    if platform == "mastodon":
        status = every.mastodon.mention("anna@example.social", text, in_reply_to_id=post_id)
        return CitizenMessage(
            status["id"],
            status["id"],
            lambda: next((s["in_reply_to_id"] for s in every.mastodon.posted_statuses[::-1]), None),
        )
    if platform == "x":
        post = every.x.mention("anna", text, in_reply_to=post_id)
        return CitizenMessage(
            post["id"], post["id"], lambda: (every.x.posts[-1].get("reply") or {}).get("in_reply_to_tweet_id")
        )
    if platform == "facebook":
        comment = every.graph.fb_comment(post_id, "Anna Beispiel", text)
        return CitizenMessage(
            comment["id"], comment["id"], lambda: _graph_reply_parent(every.graph.fb_comments, "parent")
        )
    if platform == "instagram":
        comment = every.graph.ig_comment(post_id, "anna", text)
        return CitizenMessage(
            comment["id"], comment["id"], lambda: _graph_reply_parent(every.graph.ig_comments, "parent_id")
        )
    if platform == "bluesky":
        note = every.bluesky.reply_to("anna.bsky.social", post_id.rsplit("/", 1)[-1], text)
        return CitizenMessage(note["uri"], note["uri"], lambda: _bluesky_reply_parent(every))
    message = every.telegram.write_to_bot("anna", text, comment_on=int(post_id))
    return CitizenMessage(
        f"{message['chat']['id']}:{message['message_id']}",
        message["message_id"],
        lambda: every.telegram.messages[-1].get("reply_to_message_id"),
    )


def _graph_reply_parent(comments: dict[str, dict[str, Any]], key: str) -> str | None:
    replies = [c for c in comments.values() if c.get(key)]
    if not replies:
        return None
    parent = replies[-1][key]
    return str(parent["id"] if isinstance(parent, dict) else parent)


def _bluesky_reply_parent(every: EveryChannel) -> str | None:
    replies = [r for r in every.bluesky.records.values() if r.get("reply")]
    return str(replies[-1]["reply"]["parent"]["uri"]) if replies else None
