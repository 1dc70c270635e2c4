"""The rumour watch page in English, with each keyword line's platform searches; German stays German."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import login
from tests.crisis.conftest import EveryChannel

GERMAN_OF_THE_PAGE = ("Gerüchte beobachten", "Suchwort", "Letzte 10 Minuten", "Sprung", "Suchen", "pflegen")


def test_the_rumour_page_in_english_names_each_keywords_searches_and_no_german_label(
    every_channel: EveryChannel, client: FlaskClient
) -> None:
    login(client, "redaktion")
    saved = client.post(
        "/dialog/geruechte/?lang=en",
        data={"suchwoerter": "Damm gebrochen | #dammbruch mastodon bluesky\nStromausfall"},
        follow_redirects=True,
    )
    page = saved.get_data(as_text=True)
    assert "2 keywords saved." in page
    assert "<h1>Rumour watch</h1>" in page
    assert "Mastodon hashtag #dammbruch, Mastodon search, Bluesky search" in page
    assert "inbox only" in page and "Searched through: bluesky, mastodon." in page
    assert "Damm gebrochen | #dammbruch mastodon bluesky\nStromausfall</textarea>" in page
    assert not [word for word in GERMAN_OF_THE_PAGE if word in page.replace("Damm gebrochen", "")]


def test_an_unknown_search_is_refused_at_the_field_in_the_readers_language(
    every_channel: EveryChannel, client: FlaskClient
) -> None:
    login(client, "redaktion")
    english = client.post("/dialog/geruechte/?lang=en", data={"suchwoerter": "Deichbruch | twitter"})
    body = english.get_data(as_text=True)
    assert english.status_code == 422
    assert "Unknown search “twitter” for “Deichbruch” — allowed are #hashtag" in body
    assert 'aria-invalid="true" aria-describedby="err-suchwoerter"' in body
    german = client.post("/dialog/geruechte/?lang=de", data={"suchwoerter": "Deichbruch | twitter"})
    assert "Unbekannte Suche „twitter“ bei „Deichbruch“" in german.get_data(as_text=True)
