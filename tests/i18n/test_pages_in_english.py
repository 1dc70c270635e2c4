"""German by default, English on request: ``?lang=``, the user's setting, Accept-Language.

Flask's test client against the real app (real database, real templates, real catalogues);
the SMS sign-up talks to the fake seven.io gateway over HTTP.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.accounts.models import User
from publisher.db import Database
from tests.conftest import login
from tests.fakes.sms import FakeSeven
from tests.subscribers.conftest import send_alert

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
ROADWORKS = {"strasse": "Hauptstraße", "bis": "18:00", "umleitung": "über den Ring"}


def page(client: FlaskClient, path: str, **kwargs: object) -> str:
    response = client.get(path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code in (200, 404), (path, response.status_code)
    return response.get_data(as_text=True)


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found, html[:200]
    return found.group(1)


def test_the_login_page_is_german_by_default(client: FlaskClient) -> None:
    html = page(client, "/login")
    assert html_lang(html) == "de"
    assert "Benutzername" in html and "Passwort" in html and "Zum Inhalt springen" in html


def test_lang_en_shows_the_login_page_in_english_and_is_remembered(client: FlaskClient) -> None:
    html = page(client, "/login?lang=en")
    assert html_lang(html) == "en"
    assert "User name" in html and "Password" in html and "Skip to content" in html
    assert "Benutzername" not in html
    again = page(client, "/login")  # no ?lang= this time: the session remembers it
    assert html_lang(again) == "en" and "Log in" in again


def test_lang_de_switches_back(client: FlaskClient) -> None:
    page(client, "/login?lang=en")
    assert html_lang(page(client, "/login?lang=de")) == "de"
    assert html_lang(page(client, "/login")) == "de"


def test_it_explains_an_unknown_language_with_a_german_message(client: FlaskClient) -> None:
    html = page(client, "/login?lang=fr")
    assert html_lang(html) == "de"
    assert "Die Sprache „fr“ gibt es hier nicht. Angeboten: Deutsch (de), English (en)." in html


def test_accept_language_en_gives_english_public_pages(client: FlaskClient, sms_setup: Database) -> None:
    sms = page(client, "/sms/", headers=ENGLISH)
    assert html_lang(sms) == "en"
    assert "Alerts by text message" in sms and "Mobile number" in sms and "Send me a code" in sms
    hours = page(client, "/antwortzeiten", headers=ENGLISH)
    assert html_lang(hours) == "en"
    assert "When we answer" in hours and "not on public holidays" in hours and "call 112" in hours
    german_holidays = ("Weihnachtstag", "Neujahr", "Karfreitag", "Ostermontag", "Tag der Arbeit", "Pfingst")
    assert not any(name in hours for name in german_holidays), "holiday names left in German"
    login_page = page(client, "/login", headers=ENGLISH)
    assert "User name" in login_page


def test_accept_language_for_a_language_we_lack_gives_german(client: FlaskClient) -> None:
    html = page(client, "/sms/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert html_lang(html) == "de" and "Warnungen per SMS" in html


def test_the_error_page_speaks_english(client: FlaskClient) -> None:
    response = client.get("/gibt-es-nicht?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert html_lang(html) == "en"
    assert "Page not found" in html and "Error code 404." in html


def test_the_sms_page_refuses_in_english_when_consent_is_missing(
    client: FlaskClient, sms_setup: Database
) -> None:
    response = client.post("/sms/", data={"phone": "0151 23456789", "language": "en"}, headers=ENGLISH)
    assert response.status_code == 422
    assert "Please agree that we may store your number" in response.get_data(as_text=True)


def test_the_sms_page_explains_a_landline_in_english(client: FlaskClient, sms_setup: Database) -> None:
    data = {"phone": "030 1234567", "language": "en", "consent": "1"}
    response = client.post("/sms/", data=data, headers=ENGLISH)
    assert response.status_code == 422
    assert "Please enter a mobile number – landlines cannot receive text messages" in response.get_data(
        as_text=True
    )


def test_the_opt_in_sms_is_in_the_language_the_subscriber_chose(
    client: FlaskClient, sms_setup: Database, seven: FakeSeven
) -> None:
    response = client.post("/sms/", data={"phone": "0151 23456789", "language": "en", "consent": "1"})
    assert response.status_code == 200
    text = seven.sent()[-1].json()["text"]
    assert text.startswith("Your code to subscribe to the SMS alerts: ")
    assert re.search(r": \d{6} \(valid for 15 minutes\)$", text), text


def test_the_opt_in_sms_stays_german_for_german_and_for_a_language_without_catalogue(
    client: FlaskClient, sms_setup: Database, seven: FakeSeven
) -> None:
    client.post("/sms/", data={"phone": "0151 23456789", "language": "de", "consent": "1"})
    client.post("/sms/", data={"phone": "0151 23456780", "language": "tr", "consent": "1"})
    german, turkish = (message.json()["text"] for message in seven.sent()[-2:])
    assert german.startswith("Ihr Code zur Anmeldung bei den SMS-Warnungen: ")
    assert german.endswith("(15 Minuten gültig)")
    assert turkish.startswith("Ihr Code zur Anmeldung")


def test_the_sms_page_preselects_the_page_language_for_the_messages(client: FlaskClient) -> None:
    html = page(client, "/sms/?lang=en")
    assert re.search(r'<option value="en" lang="en"\s+selected>', html), html


def test_staff_get_german_even_if_their_browser_asks_for_english(
    client: FlaskClient, sms_setup: Database
) -> None:
    login(client, "krisenstab")
    html = page(client, "/krise/", headers=ENGLISH)
    assert html_lang(html) == "de" and "Krisenkonsole" in html


def test_the_crisis_console_and_send_form_in_english(client: FlaskClient, sms_setup: Database) -> None:
    login(client, "krisenstab")
    console = page(client, "/krise/?lang=en")
    assert html_lang(console) == "en"
    for english in ("Crisis console", "Console opened", "New alert: choose a template", "Channel readiness"):
        assert english in console, english
    assert "Log out" in console and "Krisenkonsole" not in console
    form = page(client, "/krise/senden/strassensperrung")
    assert html_lang(form) == "en"
    assert "Alert level:" in form and "Preview every channel" in form and "Drill (drill channels only" in form


def test_the_preview_and_send_zone_in_english(client: FlaskClient, sms_setup: Database) -> None:
    login(client, "krisenstab")
    page(client, "/krise/?lang=en")
    values = {f"v_{name}": value for name, value in ROADWORKS.items()}
    response = client.post("/krise/senden/strassensperrung", data={**values, "action": "preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "This is what goes out (2 channels)" in html
    assert "Send a REAL ALERT publicly to 2 channels now?" in html
    assert "Send to all channels now" in html and "fits" in html


def test_the_live_board_in_english(
    client: FlaskClient, app: object, sms_setup: Database, users: dict[str, int]
) -> None:
    alert = send_alert(app, users["krisenstab"], "strassensperrung", ROADWORKS, "board-in-english")  # type: ignore[arg-type]
    login(client, "krisenstab")
    html = page(client, f"/krise/warnung/{alert.alert_id}?lang=en")
    assert html_lang(html) == "en"
    for english in (
        "Delivery per channel",
        "Attempts",
        "Connecting live updates",
        "Update or give the all-clear",
    ):
        assert english in html, english
    assert re.search(r"issued \d{1,2}/\d{1,2}/\d{4}, \d{2}:\d{2}:\d{2}", html), "date not in English form"
    assert '"connected": "Live connected"' in html  # texts for the page's script
    assert "Zustellung je Kanal" not in html


def test_a_user_keeps_the_language_chosen_in_the_header(client: FlaskClient, db: Database) -> None:
    login(client, "krisenstab")
    response = client.post("/sprache", data={"language": "en", "next": "/krise/"})
    assert response.status_code == 302 and response.headers["Location"] == "/krise/"
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == "krisenstab"))
        assert user is not None and user.language == "en"
    client.post("/logout")
    login(client, "krisenstab")  # a new session: the setting is on the user, not the cookie
    html = page(client, "/krise/")
    assert html_lang(html) == "en" and "Crisis console" in html
    assert html_lang(page(client, "/krise/?lang=de")) == "en"  # the user's own setting comes first


def test_the_header_switch_refuses_a_language_we_lack(client: FlaskClient) -> None:
    response = client.post("/sprache", data={"language": "xx", "next": "/login"}, follow_redirects=True)
    assert "Die Sprache „xx“ gibt es hier nicht." in response.get_data(as_text=True)


def test_the_header_switch_does_not_redirect_to_another_site(client: FlaskClient) -> None:
    response = client.post("/sprache", data={"language": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/login"


def test_logging_in_keeps_the_language_chosen_before(client: FlaskClient) -> None:
    page(client, "/login?lang=en")
    response = client.post("/login", data={"username": "krisenstab", "password": "falsch"}, headers=ENGLISH)
    assert "Wrong user name or password." in response.get_data(as_text=True)
    login(client, "krisenstab")
    assert html_lang(page(client, "/krise/")) == "en"
