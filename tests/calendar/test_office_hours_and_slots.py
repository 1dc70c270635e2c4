"""Office hours with public holidays, and queue slot allocation across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from content_calendar.calendar.office_hours import office_hours_warning, outside_reason
from content_calendar.calendar.post_model import PostState
from content_calendar.calendar.queue_slots import NoFreeSlot, add_slot, next_free_slot
from content_calendar.calendar.settings import OfficeHours
from content_calendar.calendar.timeutil import local_to_utc, to_local
from publisher.db import Database
from tests.calendar.calendar_helpers import CHANNELS_TOML, add_post, channel_ids
from tests.conftest import configure_channels

TZ = "Europe/Berlin"
HOURS = OfficeHours()


def _at(*parts: int) -> datetime:
    return local_to_utc(datetime(*parts), TZ)


def test_weekday_inside_hours_is_fine() -> None:
    assert outside_reason(_at(2026, 6, 10, 10, 0), HOURS, TZ) is None  # Wednesday


def test_evening_and_weekend_are_outside() -> None:
    assert "19:30 Uhr liegt außerhalb der Antwortzeiten (08:00–18:00 Uhr)" in outside_reason(
        _at(2026, 6, 10, 19, 30), HOURS, TZ
    )
    assert outside_reason(_at(2026, 6, 13, 10, 0), HOURS, TZ) == "Samstag ist kein Arbeitstag der Redaktion"
    assert outside_reason(_at(2026, 6, 10, 18, 0), HOURS, TZ) is not None  # end is exclusive


def test_national_holiday_is_outside() -> None:
    reason = outside_reason(_at(2026, 10, 3, 10, 0), HOURS, TZ)
    assert reason == "03.10.2026 ist ein Feiertag (Tag der Deutschen Einheit)"


def test_state_holiday_depends_on_the_configured_state() -> None:
    corpus_christi = _at(2026, 6, 4, 10, 0)  # Fronleichnam: holiday in Bayern, not in Berlin
    assert outside_reason(corpus_christi, OfficeHours(state="BE"), TZ) is None
    assert "Fronleichnam" in outside_reason(corpus_christi, OfficeHours(state="BY"), TZ)


def test_warning_text_names_the_consequence() -> None:
    warning = office_hours_warning(_at(2026, 12, 25, 10, 0), HOURS, TZ)
    assert warning == (
        "Außerhalb der Antwortzeiten: 25.12.2026 ist ein Feiertag (Erster Weihnachtstag) — "
        "niemand kann auf Kommentare antworten."
    )


def test_next_free_slot_skips_taken_slots_on_shared_channels(db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    mastodon, facebook = channel_ids(db, "mastodon", "facebook")
    with db.session() as session:
        add_slot(session, mastodon, 1, "10:00")  # Tuesday
        add_slot(session, mastodon, 3, "10:00")  # Thursday
    now = _at(2026, 6, 8, 9, 0)  # Monday
    tuesday = _at(2026, 6, 9, 10, 0)
    thursday = _at(2026, 6, 11, 10, 0)
    with db.session() as session:
        assert next_free_slot(session, [mastodon], TZ, now) == tuesday
    add_post(db, tuesday, [mastodon, facebook])
    add_post(db, thursday, [facebook])  # only facebook: mastodon alone may still use Thursday
    with db.session() as session:
        assert next_free_slot(session, [mastodon], TZ, now) == thursday
        # A post for both channels must not collide with the facebook post on Thursday.
        assert next_free_slot(session, [mastodon, facebook], TZ, now) == _at(2026, 6, 16, 10, 0)


def test_cancelled_posts_free_their_slot(db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    (mastodon,) = channel_ids(db, "mastodon")
    with db.session() as session:
        add_slot(session, mastodon, 1, "10:00")
    tuesday = _at(2026, 6, 9, 10, 0)
    add_post(db, tuesday, [mastodon], state=PostState.CANCELLED)
    with db.session() as session:
        assert next_free_slot(session, [mastodon], TZ, _at(2026, 6, 8, 9, 0)) == tuesday


def test_slots_keep_wall_clock_time_across_dst(db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    (mastodon,) = channel_ids(db, "mastodon")
    with db.session() as session:
        add_slot(session, mastodon, 1, "10:00")
    now = _at(2026, 3, 23, 9, 0)  # Monday before the spring change
    found = []
    for _ in range(3):
        with db.session() as session:
            slot = next_free_slot(session, [mastodon], TZ, now)
        found.append(slot)
        add_post(db, slot, [mastodon])
    assert [to_local(s, TZ).strftime("%d.%m. %H:%M") for s in found] == [
        "24.03. 10:00",
        "31.03. 10:00",
        "07.04. 10:00",
    ]
    assert found[1] - found[0] == timedelta(days=7, hours=-1)


def test_no_slots_configured_gives_a_clear_message(db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    with db.session() as session, pytest.raises(NoFreeSlot, match="keine Sendezeiten"):
        next_free_slot(session, channel_ids(db, "facebook"), TZ, datetime(2026, 6, 8, tzinfo=UTC))
