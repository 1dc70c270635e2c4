"""The inbox pages: list, filters, overdue, alert questions first, assign, reply, close — per role."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.crisis.models import Alert
from content_calendar.dialog import inbox
from content_calendar.dialog.models import InboxItem, InboxReply
from publisher.db import Database, utcnow
from publisher.inbox import InboxEntry, InboxPage
from publisher.models import Channel, Delivery
from publisher.outbox import process_delivery
from publisher.settings import Settings
from publisher.vocabulary import InboxState, ReplyState
from tests.conftest import login
from tests.crisis.conftest import EveryChannel
from tests.dialog.conftest import post_as_city, user_id


def fetched_mention(
    every: EveryChannel, settings: Settings, text: str, *, in_reply_to: str | None = None
) -> int:
    """A citizen mentions the city on the fake Mastodon; one real fetch stores it."""
    every.mastodon.mention("anna@example.social", text, in_reply_to_id=in_reply_to)
    inbox.fetch_all(every.db, settings)
    with every.db.session() as session:
        newest = session.scalars(select(InboxItem.id).order_by(InboxItem.id.desc())).first()
        assert newest is not None
        return newest


def stored(db: Database, channel_name: str, remote_id: str, text: str, minutes_ago: int = 0) -> int:
    """An entry stored the way a fetch stores it (for channels whose fake is not under test here)."""
    now = utcnow()
    entry = InboxEntry(remote_id, "mention", text, "b1", "@bernd", now - timedelta(minutes=minutes_ago))
    with db.session() as session:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == channel_name))
        assert channel_id is not None
        return inbox.store(session, channel_id, InboxPage([entry]), now)[0]


def item(db: Database, item_id: int) -> InboxItem:
    with db.session() as session:
        found = session.get(InboxItem, item_id)
        assert found is not None
        session.expunge(found)
        return found


def test_the_inbox_shows_a_fetched_mention_with_its_post_platform_author_age_and_state(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    post_id = post_as_city(approved_blocks, instance, "mastodon", "Heute ist Wochenmarkt am Rathaus.")
    fetched_mention(every_channel, instance, "Bis wann geht der Markt?", in_reply_to=post_id)
    login(client, "redaktion")
    page = client.get("/dialog/").get_data(as_text=True)
    assert "Bis wann geht der Markt?" in page
    assert "Heute ist Wochenmarkt am Rathaus." in page  # the post it answers
    assert "@anna@example.social" in page and "Mastodon" in page
    assert "neu" in page and re.search(r"vor \d+ (Min\.|Std\.|Tagen)", page)
    assert 'href="/dialog/"' in client.get("/kalender/woche").get_data(as_text=True)  # in the main nav


def test_the_inbox_hides_names_and_phone_numbers_from_roles_that_do_not_answer(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Rückruf bitte: 0171 2345678")
    login(client, "krisenstab")
    listing = client.get("/dialog/").get_data(as_text=True)
    thread = client.get(f"/dialog/{item_id}").get_data(as_text=True)
    for page in (listing, thread):
        assert "Bürger:in" in page and "[Telefonnummer]" in page
        assert "anna@example.social" not in page and "0171 2345678" not in page
    assert 'id="block-h"' not in thread  # no reply form for crisis staff


def test_the_inbox_is_refused_to_roles_without_view_inbox_and_sends_strangers_to_the_login(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Hallo")
    anonymous = client.get("/dialog/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(client, "fallback")
    refused = client.get("/dialog/")
    assert refused.status_code == 403 and "Berechtigung" in refused.get_data(as_text=True)
    assert client.get(f"/dialog/{item_id}").status_code == 403
    assert 'href="/dialog/"' not in client.get("/fallback/").get_data(as_text=True)


def test_the_inbox_filters_by_state_and_channel_and_names_a_bad_filter(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    on_mastodon = fetched_mention(every_channel, instance, "Frage auf Mastodon")
    stored(approved_blocks, "bluesky", "at://b/1", "Frage auf Bluesky")
    login(client, "redaktion")
    only_bluesky = client.get("/dialog/?kanal=bluesky").get_data(as_text=True)
    assert "Frage auf Bluesky" in only_bluesky and "Frage auf Mastodon" not in only_bluesky
    client.post(f"/dialog/{on_mastodon}/schliessen", data={"grund": "Werbung"})
    open_page = client.get("/dialog/?status=open").get_data(as_text=True)
    closed_page = client.get("/dialog/?status=closed").get_data(as_text=True)
    assert "Frage auf Mastodon" not in open_page and "Frage auf Mastodon" in closed_page
    bad = client.get("/dialog/?status=erledigt&kanal=myspace")
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Unbekannter Status „erledigt“" in body and "Kanal „myspace“ gibt es nicht" in body
    assert 'id="f-status" name="status" aria-invalid="true" aria-describedby="err-status"' in body
    assert client.get("/dialog/?seite=0").status_code == 422


def test_overdue_entries_are_highlighted_and_alert_questions_come_first(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    old = fetched_mention(every_channel, instance, "Wann kommt der Sperrmüll?")  # the fake dates it 21.11.
    with approved_blocks.session() as session:
        session.add(
            Alert(identifier="a1", idempotency_key="a1", level="severe", headline="Hochwasser an der Lahn")
        )
    fresh = stored(approved_blocks, "mastodon", "frisch", "Steigt das Hochwasser noch?")
    login(client, "redaktion")
    page = client.get("/dialog/").get_data(as_text=True)
    rows = re.findall(r'<tr data-item="(\d+)"( data-overdue="1")?', page)
    assert [int(r[0]) for r in rows] == [fresh, old]  # about the active alert first
    assert dict((int(r[0]), bool(r[1])) for r in rows) == {fresh: False, old: True}
    assert "überfällig" in page and "zur Warnung" in page


def test_an_editor_assigns_to_herself_or_to_another_editor_but_not_to_crisis_staff(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Wer kümmert sich?")
    login(client, "redaktion")
    mine = client.post(f"/dialog/{item_id}/zuweisen", data={"an": "", "zurueck": "liste"})
    assert mine.status_code == 303 and mine.headers["Location"].endswith("/dialog/")
    assert item(approved_blocks, item_id).assigned_to_id == user_id(approved_blocks, "redaktion")
    colleague = user_id(approved_blocks, "redaktion2")
    assert client.post(f"/dialog/{item_id}/zuweisen", data={"an": str(colleague)}).status_code == 303
    assert item(approved_blocks, item_id).assigned_to_id == colleague
    crisis = client.post(
        f"/dialog/{item_id}/zuweisen", data={"an": str(user_id(approved_blocks, "krisenstab"))}
    )
    assert crisis.status_code == 422 and "Person wählen, die Bürger:innen antworten darf" in crisis.get_data(
        as_text=True
    )
    assert client.post(f"/dialog/{item_id}/zuweisen", data={"an": "abc"}).status_code == 422
    login(client, "freigabe")
    assert client.post(f"/dialog/{item_id}/zuweisen", data={"an": ""}).status_code == 403


def test_a_block_reply_shows_its_fields_and_preview_then_reaches_the_fake_as_a_reply(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Wen rufe ich an?")
    login(client, "redaktion")
    chosen = client.get(f"/dialog/{item_id}?baustein=wen_anrufen").get_data(as_text=True)
    assert '<label for="v_telefon">Bürgertelefon' in chosen and 'id="v_telefon" name="v_telefon"' in chosen
    form = {"baustein": "wen_anrufen", "v_telefon": "06221 123456", "idempotency_key": "web-1"}
    preview = client.post(f"/dialog/{item_id}/antworten", data={**form, "action": "preview"})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "@anna@example.social Bürgertelefon: +49 6221 123456. In Lebensgefahr immer 112." in body
    assert re.search(r'id="reply-length">\d+ von 500 Zeichen', body)
    with approved_blocks.session() as session:
        assert session.scalar(select(InboxReply)) is None  # a preview stores nothing
    sent = client.post(f"/dialog/{item_id}/antworten", data={**form, "action": "send"})
    again = client.post(f"/dialog/{item_id}/antworten", data={**form, "action": "send"})
    assert sent.status_code == 303 and again.status_code in (303, 409)
    with approved_blocks.session() as session:
        answers = list(session.scalars(select(InboxReply)))
        assert len(answers) == 1 and answers[0].state == ReplyState.QUEUED  # no further approval
        delivery_id = answers[0].delivery_id
        target = session.get(InboxItem, item_id).remote_id  # type: ignore[union-attr]
    assert delivery_id is not None
    assert process_delivery(approved_blocks, delivery_id, instance) == "sent"
    assert every_channel.mastodon.posted_statuses[-1]["in_reply_to_id"] == target
    assert item(approved_blocks, item_id).state == InboxState.ANSWERED
    assert "beantwortet" in client.get(f"/dialog/{item_id}").get_data(as_text=True)


def test_a_block_reply_with_a_bad_value_names_the_field_and_sends_nothing(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Wen rufe ich an?")
    login(client, "redaktion")
    bad = client.post(
        f"/dialog/{item_id}/antworten",
        data={"baustein": "wen_anrufen", "v_telefon": "ruf mich an", "action": "send"},
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'aria-invalid="true" aria-describedby="hint_telefon err-v_telefon"' in body
    assert re.search(r'<span class="problems" id="err-v_telefon">[^<]*Telefon', body)
    unknown = client.post(f"/dialog/{item_id}/antworten", data={"baustein": "gibtsnicht", "action": "send"})
    assert unknown.status_code == 422 and "„gibtsnicht“ gibt es nicht" in unknown.get_data(as_text=True)
    assert client.get(f"/dialog/{item_id}?baustein=gibtsnicht").status_code == 422
    with approved_blocks.session() as session:
        assert session.scalar(select(InboxReply)) is None and session.scalar(select(Delivery)) is None


def test_free_text_waits_for_a_second_person_and_an_empty_text_is_refused(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Danke für die Info!")
    login(client, "redaktion")
    empty = client.post(f"/dialog/{item_id}/antworten", data={"text": "  ", "action": "send"})
    assert empty.status_code == 422 and "Antworttext fehlt" in empty.get_data(as_text=True)
    assert 'id="text" name="text" rows="4" aria-invalid="true"' in empty.get_data(as_text=True)
    too_long = client.post(f"/dialog/{item_id}/antworten", data={"text": "a" * 600, "action": "preview"})
    assert too_long.status_code == 422 and "500" in too_long.get_data(as_text=True)  # Mastodon's limit
    sent = client.post(f"/dialog/{item_id}/antworten", data={"text": "Gern geschehen!", "action": "send"})
    assert sent.status_code == 303
    with approved_blocks.session() as session:
        answer = session.scalar(select(InboxReply))
        assert (
            answer is not None and answer.state == ReplyState.AWAITING_APPROVAL and answer.delivery_id is None
        )
    assert "wartet auf Freigabe" in client.get(f"/dialog/{item_id}").get_data(as_text=True)


def test_closing_needs_a_reason_and_a_closed_entry_takes_no_reply(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Kauft billige Uhren!")
    login(client, "krisenstab")
    assert client.post(f"/dialog/{item_id}/schliessen", data={"grund": "Werbung"}).status_code == 403
    login(client, "redaktion")
    missing = client.post(f"/dialog/{item_id}/schliessen", data={"grund": " "})
    body = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "Bitte einen Grund angeben" in body
    assert 'aria-invalid="true" aria-describedby="grund-hint err-grund"' in body
    long = client.post(f"/dialog/{item_id}/schliessen", data={"grund": "x" * 501})
    assert long.status_code == 422 and "501 von höchstens 500 Zeichen" in long.get_data(as_text=True)
    closed = client.post(f"/dialog/{item_id}/schliessen", data={"grund": "Werbung"})
    assert closed.status_code == 303 and item(approved_blocks, item_id).state == InboxState.CLOSED
    late = client.post(f"/dialog/{item_id}/antworten", data={"text": "Hallo", "action": "send"})
    assert late.status_code == 409 and "geschlossen" in late.get_data(as_text=True)
    assert client.get("/dialog/999999").status_code == 404


def test_an_admin_exports_and_deletes_everything_of_one_author_and_editors_cannot(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    first = fetched_mention(every_channel, instance, "Erste Frage von Anna")
    fetched_mention(every_channel, instance, "Zweite Frage von Anna")
    other = stored(approved_blocks, "mastodon", "bernd-1", "Frage von Bernd")
    login(client, "redaktion")
    assert "Daten dieser Person" not in client.get(f"/dialog/{first}").get_data(as_text=True)
    assert client.post(f"/dialog/{first}/daten-export").status_code == 403
    assert client.post(f"/dialog/{first}/daten-loeschen", data={"bestaetigt": "1"}).status_code == 403
    login(client, "admin")
    exported = client.post(f"/dialog/{first}/daten-export")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    assert sorted(e["text"] for e in exported.get_json()) == [
        "@stadt Erste Frage von Anna",
        "@stadt Zweite Frage von Anna",
    ]
    unconfirmed = client.post(f"/dialog/{first}/daten-loeschen", data={}, follow_redirects=True)
    assert "Bitte bestätigen" in unconfirmed.get_data(as_text=True)
    deleted = client.post(f"/dialog/{first}/daten-loeschen", data={"bestaetigt": "1"}, follow_redirects=True)
    assert "2 Einträge dieser Person gelöscht." in deleted.get_data(as_text=True)
    with approved_blocks.session() as session:
        assert list(session.scalars(select(InboxItem.id))) == [other]
    assert client.post(f"/dialog/{first}/daten-export").status_code == 404
