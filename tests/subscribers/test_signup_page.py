"""The public SMS sign-up page: districts only when there are districts, the city's legal links."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from content_calendar.web import create_app
from publisher.settings import Settings


def _page(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app: Flask = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    return app.test_client().get("/sms/").get_data(as_text=True)


def test_without_districts_the_page_neither_asks_for_nor_mentions_one(
    instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _page(monkeypatch)
    assert 'name="area"' not in page
    assert "Gebiet" not in page
    assert "Wir speichern nur Ihre Nummer, Sprache und den Zeitpunkt Ihrer Zustimmung." in page


def test_with_districts_the_page_offers_them_and_says_it_keeps_the_choice(
    instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _page(monkeypatch, ERNSTFALL_SMS_AREAS="Nordstadt,Südstadt")
    select = page[page.index('<select id="area"') : page.index("</select>", page.index('<select id="area"'))]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", select) == ["ganzes Gebiet", "Nordstadt", "Südstadt"]
    assert "Sprache, Ihr Gebiet und den Zeitpunkt" in page


def test_the_impressum_and_privacy_links_appear_when_configured(
    instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "Impressum" not in _page(monkeypatch)
    page = _page(
        monkeypatch,
        ERNSTFALL_IMPRESSUM_URL="https://www.example-stadt.de/impressum",
        ERNSTFALL_PRIVACY_URL="https://www.example-stadt.de/datenschutz",
    )
    assert '<a href="https://www.example-stadt.de/impressum" rel="noopener">Impressum</a>' in page
    assert '<a href="https://www.example-stadt.de/datenschutz" rel="noopener">Datenschutz</a>' in page
    assert 'href="https://www.example-stadt.de/datenschutz" rel="noopener">Datenschutzerklärung</a>' in page
