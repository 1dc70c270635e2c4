"""The calendar area in English (issue 12): pages, the editor's messages from the domain
packages, dates and weekdays by Babel; German stays the default.

Flask's test client against the real app, database, templates and catalogues.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from publisher.db import Database
from tests.calendar.calendar_helpers import CHANNELS_TOML
from tests.conftest import configure_channels, login


def _visible_text(html: str) -> str:
    """What a reader sees: no scripts, no tags."""
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def english_editor(client: FlaskClient, db: Database) -> FlaskClient:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    assert client.get("/kalender/woche?lang=en").status_code == 200  # remembered in the session
    return client


def test_the_week_is_in_english_with_english_weekdays(english_editor: FlaskClient) -> None:
    page = english_editor.get("/kalender/woche").get_data(as_text=True)
    text = _visible_text(page)
    assert '<html lang="en">' in page
    for english in ("Previous week", "next week", "today", "Week", "Month", "List", "+ Post"):
        assert english in text, english
    assert re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2}/\d{1,2}\b", text)
    for german in ("Vorwoche", "nächste Woche", "heute", "Monat", "Liste", "Beitrag"):
        assert german not in text, german


def test_the_post_editor_is_in_english_and_says_what_the_time_field_accepts(
    english_editor: FlaskClient,
) -> None:
    text = _visible_text(english_editor.get("/posts/new").get_data(as_text=True))
    assert "Possible: sofort (now), 14 Uhr (2 pm), 14:30 (HH:MM)" in text
    for english in ("New post", "Save as draft", "Submit for approval", "Add to queue", "Repeat"):
        assert english in text, english
    for german in ("Möglich", "Als Entwurf speichern", "Zur Freigabe einreichen", "Wiederholen", "Bilder"):
        assert german not in text, german


def test_the_editor_refuses_25_uhr_in_english(english_editor: FlaskClient) -> None:
    response = english_editor.post(
        "/posts/new", data={"text": "Flohmarkt", "channels": ["mastodon"], "when": "25 Uhr", "action": "save"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="time-problem">Time “25 Uhr” not recognised — possible are sofort (now)' in page
    assert "Please check the marked fields — nothing was published." in page


def test_a_domain_message_and_its_label_reach_the_editor_in_english(english_editor: FlaskClient) -> None:
    response = english_editor.post(
        "/posts/new",
        data={"title": "T" * 201, "text": "Flohmarkt", "channels": ["mastodon"], "when": "morgen 10 Uhr"},
    )
    assert response.status_code == 422
    assert 'id="title-problem">Title: 201 of at most 200 characters</p>' in response.get_data(as_text=True)


def test_the_planning_page_is_in_english(english_editor: FlaskClient) -> None:
    text = _visible_text(english_editor.get("/planung/").get_data(as_text=True))
    for english in ("Posting times (queue)", "Monday", "Sunday", "Bavaria", "Four-eyes principle"):
        assert english in text, english
    for german in ("Sendezeiten", "Montag", "Bayern", "Vier-Augen-Prinzip", "Speichern"):
        assert german not in text, german


def test_the_calendar_stays_german_by_default(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    text = _visible_text(client.get("/kalender/woche").get_data(as_text=True))
    assert "Vorwoche" in text and "nächste Woche" in text
    assert re.search(r"\b(Mo|Di|Mi|Do|Fr|Sa|So) \d\d\.\d\d\.", text)


def test_the_live_check_names_its_unit_in_english(english_editor: FlaskClient) -> None:
    found = english_editor.post("/posts/check", data={"text": "Hallo", "channels": ["mastodon"]}).get_json()
    assert [c["unit"] for c in found["channels"]] == ["characters"]
