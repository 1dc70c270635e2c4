"""Rumour watch, end to end: platform searches (Mastodon hashtag timeline and search, Bluesky
searchPosts) counted with the inbox, and one mail to the crisis staff per jump through a real
SMTP server."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import redis as redis_lib
from sqlalchemy import delete, select

from content_calendar.accounts.models import User
from content_calendar.dialog import inbox, rumours
from content_calendar.dialog.models import InboxItem, RumourHit
from content_calendar.dialog.run import run_once
from publisher.db import Database, utcnow
from publisher.inbox import InboxEntry, InboxPage
from publisher.models import Channel
from publisher.settings import load_settings
from tests.crisis.conftest import EveryChannel
from tests.fakes.smtp import FakeSmtp
from tests.readiness.conftest import smtp  # noqa: F401  (the readiness tests' real SMTP server)
from workers.health import staff_addresses

STAFF = "krisenstab@stadt.example"
RUMOURS_LINK = "https://warnung.musterstadt.example/dialog/geruechte/"


@pytest.fixture
def watch(every_channel: EveryChannel, users: dict[str, int], smtp: FakeSmtp) -> EveryChannel:  # noqa: F811
    """Every platform against its fake, the crisis staff reachable by mail."""
    with every_channel.db.session() as session:
        staff = session.get(User, users["krisenstab"])
        assert staff is not None
        staff.email = STAFF
    return every_channel


def keywords(db: Database, raw: str) -> None:
    with db.session() as session:
        rumours.set_keywords(session, raw, None)


def citizens_write(db: Database, prefix: str, text: str, times: list[datetime]) -> None:
    with db.session() as session:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == "mastodon"))
        assert channel_id is not None
        entries = [
            InboxEntry(f"{prefix}{i}", "mention", text, f"{prefix}{i}", f"@{prefix}{i}", when)
            for i, when in enumerate(times)
        ]
        inbox.store(session, channel_id, InboxPage(entries), utcnow())


def one_round(db: Database) -> inbox.FetchReport:
    return run_once(db, load_settings(), lambda due: None, staff_addresses)


def minutes_ago(*minutes: float) -> list[datetime]:
    return [utcnow() - timedelta(minutes=m) for m in minutes]


def test_a_jump_mails_the_crisis_staff_once_with_word_count_usual_level_and_link(
    watch: EveryChannel,
    smtp: FakeSmtp,  # noqa: F811
) -> None:
    db = watch.db
    keywords(db, "Damm gebrochen\nWasser vergiftet")
    citizens_write(db, "usual", "Ist der Damm gebrochen?", minutes_ago(120, 300, 600))
    citizens_write(db, "burst", "Damm gebrochen!!", minutes_ago(1, 2, 3, 4, 5))
    one_round(db)
    [mail] = smtp.received
    assert mail.rcpt_tos == [STAFF]
    assert mail.message["Subject"] == "Ernstfall: Gerücht „Damm gebrochen“ — 5 Treffer in 10 Minuten"
    body = mail.message.get_content()
    assert "Suchwort: Damm gebrochen" in body
    assert "Treffer in den letzten 10 Minuten: 5" in body
    assert "Üblich je 10 Minuten: 0,0 (Mittel der 24 Stunden davor)" in body  # 3 in 144 windows
    assert RUMOURS_LINK in body
    assert "Wasser vergiftet" not in body
    one_round(db)  # the next fetch at the same level: no second mail
    citizens_write(db, "more", "damm gebrochen", minutes_ago(0.5))
    one_round(db)  # still the same jump, one more hit: no mail either
    assert len(smtp.received) == 1


def test_a_word_is_mailed_again_only_after_its_count_fell_back(
    watch: EveryChannel,
    smtp: FakeSmtp,  # noqa: F811
) -> None:
    db = watch.db
    keywords(db, "Damm gebrochen")
    citizens_write(db, "first", "Damm gebrochen", minutes_ago(1, 2, 3))
    one_round(db)
    with db.session() as session:  # the burst is over (the entries left the 10 minutes)
        session.execute(delete(InboxItem).where(InboxItem.remote_id.like("first%")))
    one_round(db)
    assert len(smtp.received) == 1
    citizens_write(db, "second", "Damm gebrochen", minutes_ago(1, 2, 3, 4))
    one_round(db)
    assert [m.message["Subject"] for m in smtp.received][-1].endswith("— 4 Treffer in 10 Minuten")
    assert len(smtp.received) == 2


def test_a_refused_mail_is_sent_with_the_next_round_instead_of_being_lost(
    watch: EveryChannel,
    smtp: FakeSmtp,  # noqa: F811
) -> None:
    db = watch.db
    keywords(db, "Damm gebrochen")
    citizens_write(db, "burst", "Damm gebrochen", minutes_ago(1, 2, 3))
    smtp.handler.script.append(("DATA", "451 4.3.0 bitte später"))
    one_round(db)
    assert smtp.received == []
    one_round(db)
    [mail] = smtp.received
    assert "Damm gebrochen" in mail.message["Subject"]


def test_a_jump_is_detected_from_mastodon_hashtag_and_search_and_bluesky_search_results(
    watch: EveryChannel,
    smtp: FakeSmtp,  # noqa: F811
) -> None:
    db = watch.db
    keywords(db, "Damm gebrochen | #Dammbruch mastodon bluesky\nStromausfall")
    mastodon, bluesky = watch.mastodon, watch.bluesky
    mastodon.public_status(
        "alt@example.social", "Übung am Damm", tags=("dammbruch",), created_at=minutes_ago(300)[0]
    )
    tagged = mastodon.public_status("a@example.social", "#Dammbruch bei Musterstadt!", tags=("dammbruch",))
    mastodon.public_status("b@example.social", "Der Damm gebrochen, sagt mein Nachbar")
    bluesky.public_post("c.bsky.social", "damm gebrochen?? stimmt das")
    bluesky.public_post("d.bsky.social", "Damm gebrochen, alle raus")
    bluesky.public_post("e.bsky.social", "Damm gebrochen — vor zwei Tagen", utcnow() - timedelta(days=2))

    report = one_round(db)

    assert report.channels["mastodon (Gerüchtesuche)"] == "Suche: 2 von 2"
    assert report.channels["bluesky (Gerüchtesuche)"] == "Suche: 1 von 1"
    [tag_call] = [r for r in mastodon.requests if r.path == "/api/v1/timelines/tag/Dammbruch"]
    [search_call] = [r for r in mastodon.requests if r.path == "/api/v2/search"]
    assert search_call.query["q"] == ["Damm gebrochen"] and search_call.query["type"] == ["statuses"]
    assert search_call.headers["authorization"] == "Bearer " + mastodon.token
    [bsky_call] = bluesky.calls("app.bsky.feed.searchPosts")
    assert bsky_call.query["q"] == ["Damm gebrochen"] and bsky_call.query["sort"] == ["latest"]
    assert tag_call.query["limit"] == ["40"]
    with db.session() as session:
        found = {c.keyword: c for c in rumours.counts(session)}
        hits = session.scalars(select(RumourHit.remote_id).where(RumourHit.keyword == "Damm gebrochen")).all()
    assert found["Damm gebrochen"].current == 4 and found["Damm gebrochen"].jumped
    assert found["Stromausfall"].current == 0
    assert tagged["id"] in hits and len(hits) == 5  # the two-day-old post is not kept
    [mail] = smtp.received
    assert "Treffer in den letzten 10 Minuten: 4" in mail.message.get_content()

    one_round(db)  # the same posts found again count once, and no second mail
    with db.session() as session:
        assert {c.keyword: c.current for c in rumours.counts(session)}["Damm gebrochen"] == 4
    assert len(smtp.received) == 1


def test_the_searches_take_reads_from_the_inbox_budget_and_stop_when_it_is_spent(
    watch: EveryChannel, redis_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_lib.Redis.from_url(redis_server).flushall()
    monkeypatch.setenv("REDIS_URL", redis_server)
    db = watch.db
    with db.session() as session:
        channel = session.scalar(select(Channel).where(Channel.name == "mastodon"))
        assert channel is not None
        channel.options = {**channel.options, "inbox_rate_limit": "2/5m"}
    keywords(db, "Damm gebrochen | #dammbruch mastodon")

    report = one_round(db)  # the inbox fetch takes one read, the hashtag timeline the second

    assert report.channels["mastodon"] == "0 neu"
    assert report.channels["mastodon (Gerüchtesuche)"].startswith("Suche: 1 von 2, dann Fehler: ")
    assert "Sendelimit erreicht" in report.channels["mastodon (Gerüchtesuche)"]
    assert [r.path for r in watch.mastodon.requests if r.path == "/api/v2/search"] == []


def test_each_keyword_line_says_its_searches_and_a_wrong_one_is_named_in_german(
    watch: EveryChannel,
) -> None:
    db = watch.db
    keywords(db, "Damm gebrochen, Deichbruch | #dammbruch bluesky\nTrinkwasser vergiftet")
    with db.session() as session:
        watched = rumours.watch_list(session)
        assert [w.line for w in watched] == [
            "Damm gebrochen | #dammbruch bluesky",
            "Deichbruch | #dammbruch bluesky",
            "Trinkwasser vergiftet",
        ]
        with pytest.raises(ValueError, match="Unbekannte Suche „twitter“ bei „Deichbruch“"):
            rumours.set_keywords(session, "Deichbruch | twitter", None)
        with pytest.raises(ValueError, match="Vor „|“ fehlt das Suchwort"):
            rumours.set_keywords(session, " | mastodon", None)
