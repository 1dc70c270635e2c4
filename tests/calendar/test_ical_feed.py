"""The editors' iCal feed: an unchanged post looks unchanged to calendar clients."""

from __future__ import annotations

import time
from datetime import timedelta

from icalendar import Calendar

from content_calendar.calendar.ical_feed import calendar_bytes
from content_calendar.calendar.post_model import Post
from publisher.db import Database, utcnow
from tests.calendar.calendar_helpers import CHANNELS_TOML, add_post, channel_ids
from tests.conftest import configure_channels


def _event(db: Database) -> dict[str, object]:
    with db.session() as session:
        (event,) = Calendar.from_ical(calendar_bytes(session, "https://redaktion.example")).walk("VEVENT")
    return {key: event.decoded(key) for key in ("dtstamp", "last-modified", "sequence")}


def test_an_unchanged_post_keeps_its_dtstamp_and_sequence_across_fetches(db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    add_post(db, utcnow() + timedelta(days=2), channel_ids(db, "mastodon"), text="Kürbisfest")
    first = _event(db)
    time.sleep(1.1)
    assert _event(db) == first


def test_editing_a_post_moves_dtstamp_and_raises_sequence(db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    post_id = add_post(db, utcnow() + timedelta(days=2), channel_ids(db, "mastodon"), text="Kürbisfest")
    before = _event(db)
    time.sleep(1.1)
    with db.session() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.text = "Kürbisfest — neuer Ort: Marktplatz"
        session.commit()
    after = _event(db)
    assert after["dtstamp"] > before["dtstamp"]  # type: ignore[operator]
    assert after["last-modified"] == after["dtstamp"]
    assert after["sequence"] > before["sequence"]  # type: ignore[operator]
