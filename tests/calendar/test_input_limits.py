"""One set of input limits (calendar/limits.py) for the editor form, the CSV import and the ideas form:
too long or unsafe input is refused with a German message at the field and never cut off."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from content_calendar.calendar.csv_io import import_csv
from content_calendar.calendar.limits import TITLE_MAX
from content_calendar.calendar.models import Contribution
from content_calendar.calendar.post_model import Post
from publisher.db import Database
from publisher.settings import Settings
from tests.calendar.calendar_helpers import CHANNELS_TOML
from tests.conftest import configure_channels, login
from tests.web.test_post_editor_web import _form, _tomorrow_local


def posts(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(Post.id))) or 0)


def test_the_editor_refuses_a_title_over_its_column_instead_of_cutting_it(
    client: FlaskClient, db: Database
) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    long_title = "T" * (TITLE_MAX + 1)
    response = client.post("/posts/new", data=_form(title=long_title))
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    assert f"Titel: {TITLE_MAX + 1} von höchstens {TITLE_MAX} Zeichen" in page
    assert long_title in page  # the input is kept for correction, not dropped
    assert posts(db) == 0


def test_the_editor_refuses_a_javascript_link(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    response = client.post("/posts/new", data=_form(link="javascript:alert(1)"))
    assert response.status_code in (400, 422)
    assert "http:// oder https://" in response.get_data(as_text=True)
    assert posts(db) == 0


def test_the_csv_import_refuses_a_long_title_and_imports_nothing(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    configure_channels(db, CHANNELS_TOML)
    day, clock = _tomorrow_local()
    csv = f"datum;uhrzeit;text;kanaele;titel\n{day};{clock};Hallo;mastodon;{'T' * 201}\n".encode()
    with db.session() as session:
        report = import_csv(session, csv, instance, users["redaktion"], ["editor"])
    assert report.imported == 0
    assert report.errors == [(2, "Titel: 201 von höchstens 200 Zeichen")]
    assert posts(db) == 0


def test_the_ideas_form_refuses_a_long_department_instead_of_cutting_it(
    client: FlaskClient, db: Database
) -> None:
    login(client, "redaktion")
    response = client.post(
        "/ideen/",
        data={"title": "Idee", "text": "Eine Idee mit genug Text.", "department": "A" * 201},
    )
    assert "Abteilung: 201 von höchstens 200 Zeichen" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(func.count(Contribution.id))) == 0
