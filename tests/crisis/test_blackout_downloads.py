"""The blackout pack as the fallback operator downloads it: an alert sent from the console with a
phone field, the city from the settings, the QR code to the configured darksite."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from content_calendar.crisis.blackout import find_typeface
from publisher.db import Database
from tests.conftest import login
from tests.crisis.helpers import console_send, wait_inline

DARKSITE = "https://www.heidelberg.de/notfall"


@pytest.fixture(autouse=True)
def city(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the app is built: the app reads its settings once."""
    monkeypatch.setenv("ERNSTFALL_CITY_NAME", "Stadt Heidelberg")
    monkeypatch.setenv("ERNSTFALL_DARKSITE_URL", DARKSITE)
    monkeypatch.setenv("ERNSTFALL_HOTLINE", "+49 6221 999999")


@pytest.fixture
def fallback_client(client: FlaskClient, crisis_setup: Database) -> FlaskClient:
    login(client, "krisenstab")
    _, form = console_send(client, "trinkwasser_abkochen", {"gebiet": "Südstadt", "telefon": "06221 123456"})
    sent = client.post("/krise/senden/trinkwasser_abkochen", data=form)
    assert sent.status_code == 303
    client.environ_base["ALERT_ID"] = sent.headers["Location"].rsplit("/", 1)[-1]
    wait_inline()
    return client


def _alert_id(client: FlaskClient) -> str:
    return str(client.environ_base["ALERT_ID"])


def test_the_notice_prints_the_city_and_the_alerts_own_hotline(fallback_client: FlaskClient) -> None:
    response = fallback_client.get(f"/krise/warnung/{_alert_id(fallback_client)}/aushang.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    flat = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Trinkwasser abkochen in Südstadt" in flat and "Stadt Heidelberg" in flat
    assert "Bürgertelefon: +49 6221 123456" in flat  # the alert's phone field wins over the setting
    assert "999999" not in flat
    assert "www.heidelberg.de/notfall" in flat
    if find_typeface().shaping and find_typeface().font_dir:  # make test installs both
        assert "اغلوا ماء الشرب" in flat


def test_the_announcement_text_is_written_for_speech(fallback_client: FlaskClient) -> None:
    response = fallback_client.get(f"/krise/warnung/{_alert_id(fallback_client)}/durchsage.txt")
    text = response.get_data(as_text=True)
    assert "Stadt Heidelberg informiert." in text
    assert "plus vier neun, sechs zwo zwo eins, eins zwo drei vier fünf sechs" in text
    assert "+49" not in text and "06221" not in text
    assert text.count("Trinkwasser abkochen in Südstadt.") == 2  # said twice


def test_the_darksite_names_the_city_and_sets_arabic_right_to_left(fallback_client: FlaskClient) -> None:
    page = fallback_client.get("/krise/darksite.html").get_data(as_text=True)
    assert "<h1>Aktuelle Warnungen – Stadt Heidelberg</h1>" in page
    assert "<section lang='ar' dir='rtl'>" in page
    assert "<section lang='en'>" in page


def test_an_editor_cannot_download_the_blackout_pack(
    client: FlaskClient, crisis_setup: Database
) -> None:
    login(client, "redaktion")
    assert client.get("/krise/darksite.html").status_code == 403
