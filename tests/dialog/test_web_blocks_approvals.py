"""The reply-block library (versions, second-person approval, tied templates) and the free-text
approvals (four eyes: approve sends, send back stops) — per role, good and bad input."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.dialog import blocks
from content_calendar.dialog.models import InboxReply, ReplyBlock
from publisher.db import Database
from publisher.models import Delivery
from publisher.outbox import process_delivery
from publisher.settings import Settings
from publisher.vocabulary import ReplyState
from tests.conftest import login
from tests.crisis.conftest import EveryChannel
from tests.dialog.test_web_inbox import fetched_mention

NEW_BLOCK = {
    "key": "sperrmuell",
    "name": "Sperrmüll-Termin",
    "text": "Den Sperrmüll melden Sie unter {link}.",
    "placeholders": "link | url | Link | 60",
    "alert_template_key": "",
    "note": "erste Fassung",
}


def block(db: Database, key: str, version: int) -> ReplyBlock:
    with db.session() as session:
        found = session.scalar(select(ReplyBlock).where(ReplyBlock.key == key, ReplyBlock.version == version))
        assert found is not None
        session.expunge(found)
        return found


def test_an_editor_writes_a_block_that_is_usable_only_after_a_second_person_approves_it(
    every_channel: EveryChannel, approved_blocks: Database, client: FlaskClient
) -> None:
    login(client, "redaktion")
    created = client.post("/dialog/bausteine/neu", data=NEW_BLOCK)
    assert created.status_code == 303 and created.headers["Location"].endswith("/dialog/bausteine/sperrmuell")
    detail = client.get("/dialog/bausteine/sperrmuell").get_data(as_text=True)
    assert "wartet auf Freigabe" in detail and "Version 1 freigeben" not in detail  # editors cannot approve
    assert client.post("/dialog/bausteine/sperrmuell/1/freigeben").status_code == 403
    login(client, "freigabe")
    page = client.get("/dialog/bausteine/sperrmuell").get_data(as_text=True)
    assert "Version 1 freigeben" in page
    approved = client.post("/dialog/bausteine/sperrmuell/1/freigeben")
    assert approved.status_code == 303 and block(approved_blocks, "sperrmuell", 1).usable
    library = client.get("/dialog/bausteine/").get_data(as_text=True)
    assert "Sperrmüll-Termin" in library and "Version 1" in library


def test_editing_adds_a_version_while_the_approved_one_stays_in_use(
    every_channel: EveryChannel, approved_blocks: Database, client: FlaskClient
) -> None:
    login(client, "redaktion")
    form = client.get("/dialog/bausteine/wen_anrufen/bearbeiten").get_data(as_text=True)
    assert "telefon | phone | Bürgertelefon" in form and 'value="Wen anrufen?"' in form
    changed = client.post(
        "/dialog/bausteine/wen_anrufen/bearbeiten",
        data={
            "name": "Wen anrufen?",
            "text": "Bürgertelefon: {telefon}, Mo–Fr. In Lebensgefahr immer 112.",
            "placeholders": "telefon | phone | Bürgertelefon",
            "alert_template_key": "hochwasser",
            "note": "Zeiten ergänzt",
        },
    )
    assert changed.status_code == 303
    assert (
        not block(approved_blocks, "wen_anrufen", 2).usable
        and block(approved_blocks, "wen_anrufen", 1).usable
    )
    detail = client.get("/dialog/bausteine/wen_anrufen").get_data(as_text=True)
    assert "Version 2" in detail and "in Gebrauch" in detail and "Zeiten ergänzt" in detail
    assert "Hochwasser" in detail  # the alert template it is suggested for


def test_the_block_form_names_every_bad_field_in_german(
    every_channel: EveryChannel, approved_blocks: Database, client: FlaskClient
) -> None:
    login(client, "redaktion")
    bad = client.post(
        "/dialog/bausteine/neu",
        data={
            "key": "Sperr Müll",
            "name": "",
            "text": "Melden Sie sich unter {telefon}",
            "placeholders": "link | url",
            "alert_template_key": "gibtsnicht",
            "note": "",
        },
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Kürzel: 2–60 Kleinbuchstaben" in body and "Name fehlt" in body
    assert "Platzhalter {telefon} ist nicht definiert" in body
    assert "Platzhalter Zeile 1: Format name | Typ | Bezeichnung" in body
    assert "Warnvorlage „gibtsnicht“ gibt es nicht" in body
    assert 'id="key" name="key" value="Sperr Müll" required aria-invalid="true"' in body
    assert 'aria-describedby="key-hint err-key"' in body
    taken = client.post("/dialog/bausteine/neu", data={**NEW_BLOCK, "key": "danke"})
    assert taken.status_code == 422 and "„danke“ ist schon vergeben" in taken.get_data(as_text=True)
    assert client.get("/dialog/bausteine/gibtsnicht").status_code == 404
    login(client, "krisenstab")
    assert client.get("/dialog/bausteine/").status_code == 403
    assert client.post("/dialog/bausteine/neu", data=NEW_BLOCK).status_code == 403


def test_the_writer_of_a_block_cannot_approve_it_and_a_too_long_block_is_refused(
    every_channel: EveryChannel, approved_blocks: Database, client: FlaskClient
) -> None:
    login(client, "admin")  # admins may write and approve, but never their own version
    assert client.post("/dialog/bausteine/neu", data=NEW_BLOCK).status_code == 303
    own = client.post("/dialog/bausteine/sperrmuell/1/freigeben")
    assert own.status_code == 403 and "Vier-Augen-Prinzip" in own.get_data(as_text=True)
    login(client, "redaktion")
    long_text = {**NEW_BLOCK, "key": "lang", "text": "Bitte beachten Sie: " + "sehr " * 60 + "{link}"}
    assert client.post("/dialog/bausteine/neu", data=long_text).status_code == 303
    login(client, "freigabe")
    too_long = client.post("/dialog/bausteine/lang/1/freigeben")
    assert too_long.status_code == 422 and "in 300 Zeichen passen (Bluesky)" in too_long.get_data(
        as_text=True
    )
    assert client.post("/dialog/bausteine/lang/9/freigeben").status_code == 404


def test_in_a_crisis_the_blocks_of_the_alerts_template_are_suggested_first(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    from content_calendar.crisis.models import Alert, AlertTemplate

    item_id = fetched_mention(every_channel, instance, "Was soll ich tun?")
    with approved_blocks.session() as session:
        template = session.scalar(select(AlertTemplate).where(AlertTemplate.key == "hochwasser"))
        assert template is not None
        session.add(
            Alert(
                identifier="h1",
                idempotency_key="h1",
                level="severe",
                headline="Hochwasser",
                template=template,
            )
        )
    login(client, "redaktion")
    page = client.get(f"/dialog/{item_id}").get_data(as_text=True)
    options = page.split('id="baustein"', 1)[1].split("</select>", 1)[0]
    assert options.index("Wen anrufen?") < options.index("Danke für den Hinweis")


def test_a_free_text_reply_is_approved_by_a_second_person_and_reaches_the_fake(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Ist die Brücke gesperrt?")
    login(client, "redaktion")
    client.post(f"/dialog/{item_id}/antworten", data={"text": "Ja, bis Freitag.", "action": "send"})
    assert client.get("/dialog/freigaben/").status_code == 403  # editors do not approve
    with approved_blocks.session() as session:
        reply_id = session.scalars(select(InboxReply.id)).one()
    login(client, "freigabe")
    waiting = client.get("/dialog/freigaben/").get_data(as_text=True)
    assert "Ja, bis Freitag." in waiting and "Freigeben und senden" in waiting
    assert "Bürger:in" in waiting  # approvers do not see who wrote
    approved = client.post(f"/dialog/freigaben/{reply_id}/freigeben")
    assert approved.status_code == 303
    twice = client.post(f"/dialog/freigaben/{reply_id}/freigeben")
    assert twice.status_code == 409 and "wartet nicht auf Freigabe" in twice.get_data(as_text=True)
    with approved_blocks.session() as session:
        answer = session.get(InboxReply, reply_id)
        assert answer is not None and answer.state == ReplyState.QUEUED and answer.delivery_id
        delivery_id = answer.delivery_id
    assert process_delivery(approved_blocks, delivery_id, instance) == "sent"
    assert every_channel.mastodon.posted_statuses[-1]["content"] == "@anna@example.social Ja, bis Freitag."


def test_the_writer_cannot_approve_her_own_free_text_and_a_reply_sent_back_never_goes_out(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Hallo?")
    login(client, "admin")
    client.post(f"/dialog/{item_id}/antworten", data={"text": "Guten Tag!", "action": "send"})
    with approved_blocks.session() as session:
        reply_id = session.scalars(select(InboxReply.id)).one()
    assert "Ihre eigene Antwort muss eine zweite Person freigeben" in client.get(
        "/dialog/freigaben/"
    ).get_data(as_text=True)
    own = client.post(f"/dialog/freigaben/{reply_id}/freigeben")
    assert own.status_code == 403 and "Vier-Augen-Prinzip" in own.get_data(as_text=True)
    login(client, "freigabe")
    assert client.post(f"/dialog/freigaben/{reply_id}/zurueckgeben").status_code == 303
    with approved_blocks.session() as session:
        answer = session.get(InboxReply, reply_id)
        assert answer is not None and answer.state == ReplyState.REJECTED
        assert session.scalar(select(Delivery).where(Delivery.source_kind == "reply")) is None
    assert client.post("/dialog/freigaben/999999/freigeben").status_code == 404
    assert "zurückgegeben" in client.get(f"/dialog/{item_id}").get_data(as_text=True)


def test_shipped_blocks_are_loaded_unapproved(every_channel: EveryChannel, client: FlaskClient) -> None:
    login(client, "redaktion")
    loaded = client.post("/dialog/bausteine/mitgelieferte")
    assert loaded.status_code == 303
    with every_channel.db.session() as session:
        assert {b.key for b in session.scalars(select(ReplyBlock))} == {s.key for s in blocks.SHIPPED}
        assert not any(b.usable for b in session.scalars(select(ReplyBlock)))
    assert "noch nicht freigegeben" in client.get("/dialog/bausteine/").get_data(as_text=True)
