"""The crisis admin, fallback, overview and admin pages in English, and the domain messages on them.

Flask's test client against the real app (real database, real templates, real catalogues);
alerts go out through the fake seven.io gateway and the preview channels.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient

from content_calendar.calendar.post_model import Post, PostState
from publisher.db import Database, utcnow
from publisher.settings import Settings
from tests.conftest import login
from tests.subscribers.conftest import send_alert

ROADWORKS = {"strasse": "Hauptstraße", "bis": "18:00", "umleitung": "über den Ring"}


def english_page(client: FlaskClient, path: str) -> str:
    response = client.get(f"{path}?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, (path, response.status_code, html[:300])
    assert '<html lang="en"' in html
    return html


def held_post(db: Database, text: str = "Sommerfest im Park") -> int:
    with db.session() as session:
        post = Post(
            text=text,
            publish_at=utcnow() - timedelta(hours=1),
            channel_ids=[],
            state=PostState.HELD,
            held_reason="Nicht rechtzeitig freigegeben",
        )
        session.add(post)
        session.flush()
        return post.id


def test_the_template_library_and_a_template_in_english(client: FlaskClient, sms_setup: Database) -> None:
    login(client, "freigabe")
    library = english_page(client, "/vorlagen/")
    for english in ("Alert templates", "New template", "Alert level", "Newest version", "Version 1"):
        assert english in library, english
    assert "Warnvorlagen" not in library and "Neueste Version" not in library
    detail = english_page(client, "/vorlagen/strassensperrung")
    for english in ("Edit (new version)", "in use now", "Placeholders:", "Channels:", "German", "Edited by"):
        assert english in detail, english
    assert "Bearbeiten (neue Version)" not in detail and "Platzhalter:" not in detail


def test_a_refused_template_names_each_problem_in_english(client: FlaskClient, sms_setup: Database) -> None:
    login(client, "redaktion")
    client.get("/vorlagen/?lang=en")
    form = {
        "key": "x",
        "name": "",
        "event": "Test",
        "level": "severe",
        "lang": ["de"],
        "headline_de": "Titel",
    }
    response = client.post("/vorlagen/neu", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:300]
    for english in ("Key: 2–60 lower-case letters", "Name missing", "German: text missing"):
        assert english in html, english
    assert "Name fehlt" not in html and "Deutsch: Text fehlt" not in html


def test_the_same_refusal_stays_german_for_a_german_page(client: FlaskClient, sms_setup: Database) -> None:
    login(client, "redaktion")
    form = {
        "key": "x",
        "name": "",
        "event": "Test",
        "level": "severe",
        "lang": ["de"],
        "headline_de": "Titel",
    }
    html = client.post("/vorlagen/neu", data=form).get_data(as_text=True)
    assert "Name fehlt" in html and "Deutsch: Text fehlt" in html


def test_the_console_explains_a_bad_blank_in_english(client: FlaskClient, sms_setup: Database) -> None:
    login(client, "krisenstab")
    client.get("/krise/?lang=en")
    values = {"v_strasse": "Hauptstraße", "v_bis": "25 Uhr", "v_umleitung": "", "action": "preview"}
    response = client.post("/krise/senden/strassensperrung", data=values)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ": missing" in html, html
    assert "Angabe fehlt" not in html


def test_the_fallback_console_and_the_overview_in_english(
    client: FlaskClient, app: Flask, sms_setup: Database, users: dict[str, int]
) -> None:
    send_alert(app, users["krisenstab"], "strassensperrung", ROADWORKS, "fallback-in-english")
    login(client, "admin")
    console = english_page(client, "/fallback/")
    for english in ("Fallback console", "Active alerts", "Failed deliveries", "Text messages to subscribers"):
        assert english in console, english
    assert "Aktive Warnungen" not in console and "Fehlgeschlagene Zustellungen" not in console
    assert "from alert level <strong>Danger</strong>" in console  # markup in a message stays markup
    overview = english_page(client, "/")
    for english in ("Overview", "Recent alerts", "Scheduled posts", "Deliveries", "Alert #"):
        assert english in overview, english
    assert "Geplante Beiträge" not in overview and "Zustellungen</h2>" not in overview


def test_channels_and_sms_subscriptions_in_english(client: FlaskClient, sms_setup: Database) -> None:
    login(client, "admin")
    channels = english_page(client, "/kanaele/")
    assert "Credentials from" in channels and "Check" in channels and "Zugangsdaten aus" not in channels
    assert "taken over with <code>ernstfall channels sync</code>" in channels
    subscriptions = english_page(client, "/sms/verwaltung")
    assert "SMS subscriptions" in subscriptions and "Confirmed: 0" in subscriptions
    response = client.post("/sms/verwaltung", data={"phone": "0151 23456789", "action": "export"})
    assert response.status_code == 422
    assert "This number is not stored." in response.get_data(as_text=True)


def test_held_posts_in_english_with_the_reason_translated(
    client: FlaskClient, db: Database, users: dict[str, int]
) -> None:
    held_post(db)
    login(client, "redaktion")
    html = english_page(client, "/angehalten/")
    for english in (
        "Held posts",
        "publish now",
        "reschedule",
        "discard",
        "Not approved in time",
        "e.g. 14:30",
    ):
        assert english in html, english
    assert "Angehaltene Beiträge" not in html and "Nicht rechtzeitig freigegeben" not in html


def test_a_held_post_is_rescheduled_with_a_german_time_form(
    client: FlaskClient, db: Database, users: dict[str, int], instance: Settings
) -> None:
    post_id = held_post(db)
    login(client, "redaktion")
    response = client.post(
        "/angehalten/", data={"post": post_id, "action": "reschedule", "when": "morgen 9 Uhr"}
    )
    assert response.status_code == 302
    with db.session() as session:
        post = session.get(Post, post_id)
        assert post is not None and post.state == PostState.APPROVED
        local = post.publish_at.astimezone(ZoneInfo(instance.timezone))
    tomorrow = datetime.now(ZoneInfo(instance.timezone)).date() + timedelta(days=1)
    assert (local.date(), local.hour, local.minute) == (tomorrow, 9, 0)


def test_the_browser_form_of_a_time_still_reschedules(
    client: FlaskClient, db: Database, users: dict[str, int]
) -> None:
    post_id = held_post(db)
    login(client, "redaktion")
    when = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT10:00")
    response = client.post("/angehalten/", data={"post": post_id, "action": "reschedule", "when": when})
    assert response.status_code == 302


def test_it_refuses_a_time_it_cannot_read_at_the_field_and_keeps_the_input(
    client: FlaskClient, db: Database, users: dict[str, int]
) -> None:
    post_id = held_post(db)
    login(client, "redaktion")
    response = client.post("/angehalten/", data={"post": post_id, "action": "reschedule", "when": "25 Uhr"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Zeitpunkt „25 Uhr“ nicht erkannt — möglich sind z. B. 14:30 (heute), morgen 9 Uhr" in html
    assert f'id="when-error-{post_id}"' in html and 'value="25 Uhr"' in html
    assert f'aria-describedby="when-hint-{post_id} when-error-{post_id}"' in html
    with db.session() as session:
        post = session.get(Post, post_id)
        assert post is not None and post.state == PostState.HELD


def test_it_refuses_a_past_time_in_english(client: FlaskClient, db: Database, users: dict[str, int]) -> None:
    post_id = held_post(db)
    login(client, "redaktion")
    client.get("/angehalten/?lang=en")
    response = client.post(
        "/angehalten/", data={"post": post_id, "action": "reschedule", "when": "1.1.2020 10:00"}
    )
    assert response.status_code == 422
    assert "The new time is in the past." in response.get_data(as_text=True)
