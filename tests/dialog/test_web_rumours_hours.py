"""The rumour watch page (counts, jumps, one click to a prefilled Richtigstellung), the automatic
answer setting for admins, and the public reply hours with the coming holidays."""

from __future__ import annotations

import html
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.calendar.office_hours import holiday_name
from content_calendar.dialog import inbox, replies, rumours
from publisher.db import Database, utcnow
from publisher.inbox import InboxEntry, InboxPage
from publisher.models import Channel
from publisher.settings import Settings
from tests.conftest import login
from tests.crisis.conftest import EveryChannel


def burst(db: Database, text: str, count: int) -> None:
    """``count`` citizens write ``text`` within the last minutes (as a fetch stores them)."""
    now = utcnow()
    entries = [
        InboxEntry(f"r{i}", "mention", text, f"p{i}", f"@p{i}", now - timedelta(minutes=i))
        for i in range(count)
    ]
    with db.session() as session:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == "mastodon"))
        assert channel_id is not None
        inbox.store(session, channel_id, InboxPage(entries), now)


def test_the_rumour_watch_shows_a_jump_and_opens_the_console_with_the_correction_prefilled(
    every_channel: EveryChannel, client: FlaskClient
) -> None:
    login(client, "redaktion")
    saved = client.post("/dialog/geruechte/", data={"suchwoerter": "Damm gebrochen\nWasser vergiftet"})
    assert saved.status_code == 303
    burst(every_channel.db, "Stimmt es, dass der Damm gebrochen ist?", 4)
    editor_view = client.get("/dialog/geruechte/").get_data(as_text=True)
    assert "Sprung!" in editor_view and 'data-keyword="Wasser vergiftet"' in editor_view
    assert "/krise/senden/" not in editor_view and "Krisenstab informieren" in editor_view
    assert "Damm gebrochen" in client.get("/dialog/").get_data(as_text=True)  # the jump atop the inbox
    login(client, "krisenstab")
    page = client.get("/dialog/geruechte/").get_data(as_text=True)
    link = html.unescape(page.split('href="/krise/senden/richtigstellung?', 1)[1].split('"', 1)[0])
    assert link == "v_behauptung=Damm+gebrochen"
    console = client.get(f"/krise/senden/richtigstellung?{link}").get_data(as_text=True)
    assert 'id="v_behauptung" name="v_behauptung" value="Damm gebrochen"' in console
    assert client.post("/dialog/geruechte/", data={"suchwoerter": "x"}).status_code == 403


def test_the_rumour_watch_refuses_an_overlong_keyword_and_roles_without_the_inbox(
    every_channel: EveryChannel, client: FlaskClient
) -> None:
    login(client, "redaktion")
    bad = client.post("/dialog/geruechte/", data={"suchwoerter": "a" * 81})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Suchwort zu lang (höchstens 80 Zeichen)" in body
    assert 'aria-invalid="true" aria-describedby="err-suchwoerter"' in body
    with every_channel.db.session() as session:
        assert rumours.keywords(session) == []
    login(client, "fallback")
    assert client.get("/dialog/geruechte/").status_code == 403


def test_only_admins_switch_the_automatic_answer_and_see_its_text(
    every_channel: EveryChannel, instance: Settings, client: FlaskClient
) -> None:
    login(client, "redaktion")
    assert client.get("/dialog/einstellungen/").status_code == 403
    login(client, "admin")
    page = client.get("/dialog/einstellungen/").get_data(as_text=True)
    assert "Wir antworten Mo–Fr 08:00–18:00 Uhr" in page and "In Lebensgefahr: 112" in page
    assert client.post("/dialog/einstellungen/", data={"automatisch": "1"}).status_code == 303
    with every_channel.db.session() as session:
        assert replies.auto_reply_enabled(session)
    bad = client.post("/dialog/einstellungen/", data={"automatisch": "vielleicht"})
    assert bad.status_code == 422 and "nur an (Häkchen) oder aus" in bad.get_data(as_text=True)
    assert client.post("/dialog/einstellungen/", data={}).status_code == 303
    with every_channel.db.session() as session:
        assert not replies.auto_reply_enabled(session)


def _next_holiday(start: date) -> tuple[date, str]:
    for offset in range(90):
        day = start + timedelta(days=offset)
        name = holiday_name(day, "")
        if name:
            return day, name
    raise AssertionError("no holiday within 90 days")


def test_citizens_see_the_reply_hours_with_the_coming_holidays_without_logging_in(
    every_channel: EveryChannel, client: FlaskClient
) -> None:
    page = client.get("/antwortzeiten")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mo–Fr 08:00–18:00 Uhr, nicht an Feiertagen" in body
    assert "Notruf 112" in body
    day, name = _next_holiday(utcnow().date())
    assert f"{day:%d.%m.%Y}: {name}" in body
    data = client.get("/public/antwortzeiten.json")
    assert data.headers["Access-Control-Allow-Origin"] == "*"
    assert data.get_json()["text"] == "Mo–Fr 08:00–18:00 Uhr, nicht an Feiertagen"
    assert isinstance(data.get_json()["open_now"], bool)
