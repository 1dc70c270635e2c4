"""Shared helpers for the content calendar tests: channels, a tiny PNG, posts in the future."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import User
from content_calendar.calendar.post_model import Post, PostState
from publisher.db import Database, utcnow
from publisher.models import Channel

CHANNELS_TOML = """
[channels.mastodon]
type = "mastodon"
preview = true
lanes = ["community"]

[channels.facebook]
type = "preview"
lanes = ["community"]

[channels.banner]
type = "banner"
lanes = ["crisis"]
"""

# A real 1x1 PNG: the upload check sniffs the bytes, so it must be a genuine image.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def user_id(session: Session, name: str) -> int:
    user = session.scalar(select(User).where(User.username == name))
    assert user is not None
    return user.id


def channel_ids(db: Database, *names: str) -> list[int]:
    with db.session() as session:
        found = {c.name: c.id for c in session.scalars(select(Channel))}
    return [found[n] for n in names]


def add_post(
    db: Database,
    when: datetime | None = None,
    channels: list[int] | None = None,
    state: str = PostState.APPROVED,
    theme: str | None = None,
    author_id: int | None = None,
    text: str = "Hallo Stadt",
) -> int:
    with db.session() as session:
        post = Post(
            text=text,
            publish_at=when or utcnow() + timedelta(days=1),
            channel_ids=channels or [],
            state=state,
            theme=theme,
            author_id=author_id,
        )
        session.add(post)
        session.flush()
        return post.id
