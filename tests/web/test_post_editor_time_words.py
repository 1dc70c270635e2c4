"""The post editor's publish time: the German forms people type, read by the crisis console's
parser (``timeutil.parse_moment``), and a clear message at the field for anything else.

Flask's test client against the real app, database and templates.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.calendar.post_model import Post
from content_calendar.calendar.timeutil import MOMENT_FORMS, to_local
from publisher.db import Database, utcnow
from tests.calendar.calendar_helpers import CHANNELS_TOML
from tests.conftest import configure_channels, login

TZ = "Europe/Berlin"


def _now_local() -> datetime:
    return to_local(utcnow(), TZ).replace(tzinfo=None)


def _form(when: str, **extra: str) -> dict[str, object]:
    return {
        "text": "Flohmarkt am Rathausplatz: kommen Sie vorbei!",
        "channels": ["mastodon"],
        "when": when,
        "action": "save",
        **extra,
    }


def _saved_local(db: Database) -> datetime:
    with db.session() as session:
        post = session.scalars(select(Post)).one()
        return to_local(post.publish_at, TZ).replace(tzinfo=None)


@pytest.fixture
def editor(client: FlaskClient, db: Database) -> FlaskClient:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    return client


@pytest.mark.parametrize(
    ("typed", "days", "clock"),
    [
        ("morgen 9 Uhr", 1, "09:00"),
        ("übermorgen 14:30", 2, "14:30"),
        ("Morgen, um 9.15 Uhr", 1, "09:15"),
    ],
)
def test_it_saves_a_post_at_the_day_and_time_typed_in_words(
    editor: FlaskClient, db: Database, typed: str, days: int, clock: str
) -> None:
    response = editor.post("/posts/new", data=_form(typed))
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = _saved_local(db)
    assert saved.date() == (_now_local() + timedelta(days=days)).date()
    assert saved.strftime("%H:%M") == clock


def test_it_saves_a_post_at_a_date_written_the_german_way(editor: FlaskClient, db: Database) -> None:
    year = _now_local().year + 1
    response = editor.post("/posts/new", data=_form(f"24.12.{year} 18:30"))
    assert response.status_code == 302
    assert _saved_local(db) == datetime(year, 12, 24, 18, 30)


def test_sofort_plans_the_post_for_the_next_minute(editor: FlaskClient, db: Database) -> None:
    before = _now_local()
    response = editor.post("/posts/new", data=_form("sofort"))
    assert response.status_code == 302
    saved = _saved_local(db)
    assert before < saved <= before + timedelta(minutes=2)


def test_the_live_check_reads_a_bare_hour(editor: FlaskClient) -> None:
    found = editor.post("/posts/check", data={"text": "a", "when": "14 Uhr"}).get_json()
    assert found["time_problem"] is None


def test_it_refuses_25_uhr_at_the_field_keeps_the_input_and_saves_nothing(
    editor: FlaskClient, db: Database
) -> None:
    response = editor.post("/posts/new", data=_form("25 Uhr"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    problem = re.search(r'<p class="problems" id="time-problem">([^<]*)</p>', page)
    assert problem is not None
    assert problem.group(1) == f"Zeit „25 Uhr“ nicht erkannt — möglich sind {MOMENT_FORMS}"
    field = re.search(r'<input id="when"[^>]*>', page)
    assert field is not None
    assert 'value="25 Uhr"' in field.group(0)
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="when-hint time-problem"' in field.group(0)
    assert "Flohmarkt am Rathausplatz" in page  # the rest of the form is kept too
    with db.session() as session:
        assert session.scalars(select(Post)).all() == []


def test_the_time_field_shows_what_it_accepts(editor: FlaskClient) -> None:
    page = editor.get("/posts/new").get_data(as_text=True)
    assert f'<span class="field-hint" id="when-hint">Möglich: {MOMENT_FORMS}</span>' in page
    assert 'type="time"' not in page and 'type="date"' not in page


def test_an_existing_post_shows_its_time_in_a_form_the_field_reads_back(
    editor: FlaskClient, db: Database
) -> None:
    year = _now_local().year + 1
    editor.post("/posts/new", data=_form(f"03.06.{year} 10:00"))
    with db.session() as session:
        post_id = session.scalars(select(Post.id)).one()
    page = editor.get(f"/posts/{post_id}").get_data(as_text=True)
    assert f'value="03.06.{year} 10:00"' in page
    again = editor.post(f"/posts/{post_id}", data=_form(f"03.06.{year} 10:00"))
    assert again.status_code == 302


def test_a_bad_repeat_until_date_says_what_it_accepts(editor: FlaskClient, db: Database) -> None:
    response = editor.post(
        "/posts/new", data=_form("morgen 10 Uhr", repeat="weekly", repeat_until="Weihnachten")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="repeat-problem">Datum „Weihnachten“ nicht erkannt — bitte als TT.MM.JJJJ angeben' in page
    assert 'value="Weihnachten"' in page
    with db.session() as session:
        assert session.scalars(select(Post)).all() == []


def test_the_list_moves_a_post_to_a_time_typed_in_words(editor: FlaskClient, db: Database) -> None:
    editor.post("/posts/new", data=_form("morgen 10 Uhr"))
    with db.session() as session:
        post_id = session.scalars(select(Post.id)).one()
    moved = editor.post(f"/kalender/verschieben/{post_id}", data={"when": "übermorgen 11 Uhr"})
    assert moved.status_code == 302
    saved = _saved_local(db)
    assert (saved.date(), saved.strftime("%H:%M")) == ((_now_local() + timedelta(days=2)).date(), "11:00")
    refused = editor.post(
        f"/kalender/verschieben/{post_id}", data={"when": "25 Uhr"}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"].startswith("Zeit „25 Uhr“ nicht erkannt — möglich sind sofort")


def test_a_queue_slot_takes_14_uhr_and_refuses_25_uhr(editor: FlaskClient) -> None:
    editor.post("/planung/sendezeiten", data={"channel": "mastodon", "weekday": "1", "time": "14 Uhr"})
    refused = editor.post(
        "/planung/sendezeiten", data={"channel": "mastodon", "weekday": "1", "time": "25 Uhr"}
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Uhrzeit „25 Uhr“ nicht erkannt — bitte als HH:MM (z. B. 14:30, 14.30 oder 14 Uhr) angeben" in page
    assert "<td>14:00</td>" in page
