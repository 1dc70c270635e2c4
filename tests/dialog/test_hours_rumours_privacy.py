"""Reply hours (age and overdue count only open time), the automatic answer outside them,
the rumour watch, crisis mode ordering, retention and deletion per author."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from content_calendar.calendar.settings import OfficeHours
from content_calendar.dialog import hours, inbox, replies, rumours
from content_calendar.dialog.models import InboxItem
from publisher.db import Database
from publisher.inbox import InboxEntry, InboxPage
from publisher.models import Channel
from publisher.settings import Settings
from tests.crisis.conftest import EveryChannel

WEEKDAYS = OfficeHours()  # Mon–Fri 08:00–18:00, Europe/Berlin
FRIDAY_EVENING = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # 20:00 in Berlin
MONDAY_0805 = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)  # 08:05 in Berlin


def test_a_question_from_friday_evening_is_not_overdue_on_monday_morning() -> None:
    assert hours.open_seconds(FRIDAY_EVENING, MONDAY_0805, WEEKDAYS, "Europe/Berlin") == 5 * 60
    assert not hours.is_overdue(FRIDAY_EVENING, MONDAY_0805, WEEKDAYS, "Europe/Berlin", 4.0)
    assert hours.is_overdue(FRIDAY_EVENING, MONDAY_0805 + timedelta(hours=4), WEEKDAYS, "Europe/Berlin", 4.0)


def test_the_hours_are_stated_in_plain_german() -> None:
    assert hours.hours_text(WEEKDAYS) == "Mo–Fr 08:00–18:00 Uhr, nicht an Feiertagen"


def entry(remote_id: str, author: str, text: str, when: datetime) -> InboxEntry:
    return InboxEntry(remote_id, "mention", text, author, f"@{author}", when)


def store(db: Database, entries: list[InboxEntry], now: datetime) -> list[int]:
    with db.session() as session:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == "mastodon"))
        assert channel_id is not None
        return inbox.store(session, channel_id, InboxPage(entries), now)


def test_outside_the_hours_a_person_gets_one_automatic_answer_per_day(
    every_channel: EveryChannel, instance: Settings
) -> None:
    db = every_channel.db
    with db.session() as session:
        replies.set_auto_reply(session, True, None)
    first = store(
        db,
        [entry("1", "anna", "Hallo?", FRIDAY_EVENING), entry("2", "bernd", "Hi", FRIDAY_EVENING)],
        FRIDAY_EVENING,
    )
    later = store(db, [entry("3", "anna", "Noch da?", FRIDAY_EVENING)], FRIDAY_EVENING)
    with db.session() as session:
        sent = replies.auto_replies(session, instance, first, FRIDAY_EVENING)
        again = replies.auto_replies(session, instance, later, FRIDAY_EVENING)
        texts = [d.message["text"] for d in sent]
    assert len(sent) == 2 and again == []
    assert all("Mo–Fr 08:00–18:00 Uhr" in t for t in texts)


def test_no_automatic_answer_inside_the_hours_or_when_switched_off(
    every_channel: EveryChannel, instance: Settings
) -> None:
    db = every_channel.db
    ids = store(db, [entry("1", "anna", "Hallo?", FRIDAY_EVENING)], FRIDAY_EVENING)
    with db.session() as session:
        assert replies.auto_replies(session, instance, ids, FRIDAY_EVENING) == []  # off by default
        replies.set_auto_reply(session, True, None)
        assert replies.auto_replies(session, instance, ids, MONDAY_0805 + timedelta(hours=1)) == []


def test_the_rumour_watch_reports_a_jump_against_the_usual_level(every_channel: EveryChannel) -> None:
    db = every_channel.db
    now = MONDAY_0805
    usual = [
        entry(f"u{i}", f"p{i}", "Ist der Damm gebrochen?", now - timedelta(hours=i + 1)) for i in range(3)
    ]
    burst = [entry(f"b{i}", f"q{i}", "damm gebrochen!!", now - timedelta(minutes=i)) for i in range(5)]
    store(db, usual + burst + [entry("x", "z", "Schönes Wetter", now)], now)
    with db.session() as session:
        rumours.set_keywords(session, "Damm gebrochen\nWasser vergiftet", None)
        found = {c.keyword: c for c in rumours.counts(session, now)}
        jumps = rumours.notify_jumps(session, now)
    assert found["Damm gebrochen"].current == 5 and found["Damm gebrochen"].jumped
    assert found["Wasser vergiftet"].current == 0 and not found["Wasser vergiftet"].jumped
    assert [j.keyword for j in jumps] == ["Damm gebrochen"]


def test_questions_about_the_active_alert_come_first(every_channel: EveryChannel, instance: Settings) -> None:
    from content_calendar.crisis.models import Alert

    db = every_channel.db
    with db.session() as session:
        session.add(
            Alert(identifier="a1", idempotency_key="a1", level="severe", headline="Hochwasser an der Lahn")
        )
    store(
        db,
        [
            entry("old", "anna", "Wann ist Sperrmüll?", FRIDAY_EVENING),
            entry("new", "bernd", "Steigt das Hochwasser noch?", MONDAY_0805),
        ],
        MONDAY_0805,
    )
    with db.session() as session:
        items, total = inbox.listing(session, inbox.InboxFilter(state="open"))
    assert total == 2 and [i.remote_id for i in items] == ["new", "old"]


def test_retention_and_deletion_per_author_remove_entries(
    every_channel: EveryChannel, instance: Settings
) -> None:
    db = every_channel.db
    now = MONDAY_0805
    store(
        db,
        [
            entry("old", "anna", "alt", now - timedelta(days=91)),
            entry("a", "anna", "neu", now),
            entry("b", "bernd", "neu", now),
        ],
        now,
    )
    with db.session() as session:
        assert inbox.purge_expired(session, instance, now) == 1
        assert [e["text"] for e in inbox.export_author(session, "@anna")] == ["neu"]
        assert inbox.delete_author(session, "@anna", None) == 1
        assert session.scalar(select(func.count(InboxItem.id))) == 1
