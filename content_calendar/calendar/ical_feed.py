"""The plan as an iCalendar feed, so it shows in Outlook or Thunderbird.

Each user has a secret URL. The token is an HMAC of the user id and a per-user nonce
under the app's secret key: nothing secret is stored in clear, the URL can be shown
again at any time, and rotating the nonce kills every old URL of that user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import User
from content_calendar.accounts.policy import Permission, allows
from content_calendar.calendar.models import CalendarFeed
from content_calendar.calendar.post_model import Post, PostState
from publisher.db import utcnow
from publisher.models import Channel


def _feed(session: Session, user_id: int) -> CalendarFeed:
    feed = session.get(CalendarFeed, user_id)
    if feed is None:
        feed = CalendarFeed(user_id=user_id, nonce=secrets.token_hex(16))
        session.add(feed)
        session.flush()
    return feed


def _sign(secret_key: str, user_id: int, nonce: str) -> str:
    return hmac.new(secret_key.encode(), f"ical:{user_id}:{nonce}".encode(), hashlib.sha256).hexdigest()[:40]


def feed_token(session: Session, user_id: int, secret_key: str) -> str:
    return f"{user_id}-{_sign(secret_key, user_id, _feed(session, user_id).nonce)}"


def rotate(session: Session, user_id: int) -> None:
    _feed(session, user_id).nonce = secrets.token_hex(16)


def user_for_feed_token(session: Session, token: str, secret_key: str) -> User | None:
    user_part, _, signature = token.partition("-")
    if not user_part.isdigit() or not signature:
        return None
    feed = session.get(CalendarFeed, int(user_part))
    if feed is None:
        return None
    expected = _sign(secret_key, feed.user_id, feed.nonce)
    if not hmac.compare_digest(expected, signature):
        return None
    user = session.get(User, feed.user_id)
    return user if user and user.active and allows(user.role_list(), Permission.VIEW_CALENDAR) else None


def sequence(post: Post) -> int:
    """RFC 5545 SEQUENCE: seconds between creation and the last change.

    It grows with every saved change and stays put otherwise, without a counter column.
    """
    return max(0, int((post.updated_at - post.created_at).total_seconds()))


def _add_revision(event: Event, post: Post) -> None:
    """DTSTAMP, LAST-MODIFIED and SEQUENCE from the post's last change, not from the fetch.

    In a published feed (no METHOD) DTSTAMP is the time the information was last revised;
    a DTSTAMP of "now" makes calendar clients see every event as changed on every fetch.
    """
    event.add("dtstamp", post.updated_at)
    event.add("created", post.created_at)
    event.add("last-modified", post.updated_at)
    event.add("sequence", sequence(post))


def calendar_bytes(session: Session, base_url: str, days_back: int = 30, days_ahead: int = 180) -> bytes:
    now = utcnow()
    names = {row[0]: row[1] for row in session.execute(select(Channel.id, Channel.name))}
    cal = Calendar()
    cal.add("prodid", "-//Ernstfall//Redaktionskalender//DE")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Ernstfall – Redaktionsplan")
    posts = session.scalars(
        select(Post)
        .where(
            Post.publish_at >= now - timedelta(days=days_back),
            Post.publish_at <= now + timedelta(days=days_ahead),
            Post.state != PostState.CANCELLED,
        )
        .order_by(Post.publish_at)
    )
    for post in posts:
        event = Event()
        channels = ", ".join(names.get(i, "") for i in post.channel_ids)
        label = PostState.LABELS.get(post.state, post.state)
        event.add("uid", f"post-{post.id}@ernstfall")
        _add_revision(event, post)
        event.add("dtstart", post.publish_at)
        event.add("dtend", post.publish_at + timedelta(minutes=15))
        event.add("summary", f"[{label}] {post.title or post.text[:60]}")
        event.add("description", f"{post.text}\n\nKanäle: {channels}\nThema: {post.theme or '—'}")
        event.add("url", f"{base_url}/posts/{post.id}")
        cal.add_component(event)
    return bytes(cal.to_ical())
