"""The dialog pages in English (issue 12): inbox, thread and reply form, reply blocks, free-text
approvals, settings — for a user whose language is English, or with ``?lang=en``.

Real app, real database, real catalogues; the citizen's mention comes from the fake Mastodon.
German stays the default: the German assertions live in the other dialog tests.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.accounts.models import User
from content_calendar.dialog.models import InboxReply
from content_calendar.web.dialog.common import INBOX_STATE_LABEL_IDS
from publisher.db import Database
from publisher.settings import Settings
from publisher.vocabulary import INBOX_STATE_LABELS
from tests.conftest import login
from tests.crisis.conftest import EveryChannel
from tests.dialog.test_web_inbox import fetched_mention


def speaks_english(db: Database, username: str) -> None:
    """The user's own language setting (what the header's English button saves)."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        user.language = "en"


def html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found
    return found.group(1)


def german_left(page: str, words: tuple[str, ...]) -> list[str]:
    return [word for word in words if word in page]


def test_the_inbox_and_a_thread_are_english_for_a_user_who_chose_english(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Wen rufe ich an?")
    speaks_english(approved_blocks, "redaktion")
    login(client, "redaktion")
    listing = client.get("/dialog/").get_data(as_text=True)
    assert html_lang(listing) == "en"
    for english in ("Inbox", "Reply blocks", "1 entry", "Received", "Assign to", "Show", "new"):
        assert english in listing, english
    assert re.search(r"\d+ (min|h|days) ago", listing), "the age in English"
    assert (
        german_left(listing, ("Posteingang", "Eingang", "Einträge", ">zuweisen<", "Anzeigen", "vor ")) == []
    )

    thread = client.get(f"/dialog/{item_id}?baustein=wen_anrufen").get_data(as_text=True)
    for english in (
        "Message from Anna (@anna@example.social)",
        "Answer with a reply block",
        "Free text",
        "Phone number",
    ):
        assert english in thread, english
    assert german_left(thread, ("Nachricht von", "Freier Text", "Antwort senden", "Ohne Antwort")) == []

    form = {"baustein": "wen_anrufen", "v_telefon": "06221 123456", "action": "preview"}
    preview = client.post(f"/dialog/{item_id}/antworten", data=form).get_data(as_text=True)
    assert "This is how the reply goes out" in preview
    assert re.search(r'id="reply-length">\d+ of 500 characters', preview), "length in English"
    assert "In Lebensgefahr immer 112." in preview  # the reply itself goes out as the block says


def test_the_reply_forms_refuse_bad_input_in_english(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Hallo?")
    login(client, "redaktion")
    client.get("/dialog/?lang=en")
    empty = client.post(f"/dialog/{item_id}/antworten", data={"text": " ", "action": "send"})
    assert empty.status_code == 422
    assert "Reply text missing: please write a text or choose a reply block" in empty.get_data(as_text=True)
    no_reason = client.post(f"/dialog/{item_id}/schliessen", data={"grund": ""})
    assert no_reason.status_code == 422 and "Please give a reason" in no_reason.get_data(as_text=True)
    unknown = client.get(f"/dialog/{item_id}?baustein=gibtsnicht")
    assert unknown.status_code == 422
    assert "Reply block “gibtsnicht” does not exist or is not approved" in unknown.get_data(as_text=True)
    bad_filter = client.get("/dialog/?status=erledigt")
    assert "Unknown status “erledigt”" in bad_filter.get_data(as_text=True)
    sent = client.post(
        f"/dialog/{item_id}/antworten", data={"text": "Guten Tag!", "action": "send"}, follow_redirects=True
    )
    page = sent.get_data(as_text=True)
    assert "Reply saved: it goes out as soon as a second person approves it." in page
    assert "awaiting approval" in page
    assert client.get("/dialog/999999").status_code == 404
    assert client.post(f"/dialog/{item_id}/schliessen", data={"grund": "Werbung"}).status_code == 303
    late = client.post(f"/dialog/{item_id}/zuweisen", data={"an": ""})
    assert late.status_code == 409  # the state inside the domain's message is translated too
    assert "The entry is already closed without a reply" in late.get_data(as_text=True)


def test_a_domain_refusal_reaches_the_approver_in_english(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    item_id = fetched_mention(every_channel, instance, "Ist die Brücke gesperrt?")
    speaks_english(approved_blocks, "admin")
    login(client, "admin")
    client.post(f"/dialog/{item_id}/antworten", data={"text": "Ja, bis Freitag.", "action": "send"})
    with approved_blocks.session() as session:
        reply_id = session.scalars(select(InboxReply.id)).one()
    waiting = client.get("/dialog/freigaben/").get_data(as_text=True)
    assert "Approve free-text replies" in waiting and "Ja, bis Freitag." in waiting
    assert "Four-eyes principle: a second person must approve your own reply." in waiting
    own = client.post(f"/dialog/freigaben/{reply_id}/freigeben")
    assert own.status_code == 403
    assert "Four-eyes principle: whoever wrote a reply cannot approve it themselves" in own.get_data(
        as_text=True
    )
    assert german_left(own.get_data(as_text=True), ("Vier-Augen-Prinzip", "Zurückgeben")) == []


def test_the_reply_block_library_and_its_form_speak_english(
    every_channel: EveryChannel, approved_blocks: Database, client: FlaskClient
) -> None:
    login(client, "redaktion")
    library = client.get("/dialog/bausteine/?lang=en").get_data(as_text=True)
    for english in ("Reply blocks", "New reply block", "Usable", "Newest version", "Version 1"):
        assert english in library, english
    assert german_left(library, ("Antwortbausteine", "Kürzel", "Nutzbar", "Neueste Version")) == []
    detail = client.get("/dialog/bausteine/wen_anrufen").get_data(as_text=True)
    assert "Reply block: Wen anrufen?" in detail and "in use" in detail and "Edit (new version)" in detail
    bad = client.post(
        "/dialog/bausteine/neu",
        data={"key": "Sperr Müll", "name": "", "text": "Unter {telefon}", "placeholders": "", "note": ""},
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    for english in (
        "Key: 2–60 lower-case letters, digits or _",
        "Name missing",
        "Reply text: placeholder {telefon} is not defined",
        "Save as a new version",
    ):
        assert english in body, english
    assert german_left(body, ("Name fehlt", "Antworttext", "Bitte korrigieren")) == []


def test_crisis_staff_see_the_hidden_name_and_number_marked_in_english(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, client: FlaskClient
) -> None:
    fetched_mention(every_channel, instance, "Rückruf bitte: 0171 2345678")
    login(client, "krisenstab")
    page = client.get("/dialog/?lang=en").get_data(as_text=True)
    assert "Citizen" in page and "[phone number]" in page
    assert "0171 2345678" not in page and "Bürger:in" not in page


def test_the_dialog_settings_in_english_keep_the_automatic_answer_as_it_goes_out(
    every_channel: EveryChannel, instance: Settings, client: FlaskClient
) -> None:
    login(client, "admin")
    page = client.get("/dialog/einstellungen/?lang=en").get_data(as_text=True)
    assert "Dialogue settings" in page and "Mon–Fri 08:00–18:00, not on public holidays" in page
    assert '<blockquote id="auto-text" lang="de">Danke für Ihre Nachricht!' in page  # sent as written
    bad = client.post("/dialog/einstellungen/", data={"automatisch": "vielleicht"})
    assert bad.status_code == 422 and "Automatic answer: only on (ticked) or off" in bad.get_data(
        as_text=True
    )


def test_the_inbox_state_labels_are_all_marked_for_translation() -> None:
    assert set(INBOX_STATE_LABEL_IDS) == set(INBOX_STATE_LABELS.values())
