"""CSV import (all or nothing, row-by-row report) and export, the iCal feed, the emergency stop."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import func, select

from content_calendar.calendar.csv_io import export_csv, import_csv
from content_calendar.calendar.emergency_stop import resume, suspend
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.scheduling import tick
from publisher.db import Database, utcnow
from publisher.models import Delivery
from publisher.settings import Settings
from tests.calendar.calendar_helpers import CHANNELS_TOML, add_post, channel_ids
from tests.conftest import configure_channels, login

HEADER = "datum;uhrzeit;titel;text;kanaele;thema;link;zeitversatz\n"
GOOD = "03.06.2031;10:00;Fest;Stadtfest am Samstag;mastodon|facebook;Aktuelles und Feste;;\n"


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(Post.id))) or 0)


def test_csv_import_of_good_rows_creates_drafts(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    configure_channels(db, CHANNELS_TOML)
    data = (HEADER + GOOD + "2031-10-26;02:30;Nacht;Nachtwanderung;mastodon;;;zweite\n").encode()
    with db.session() as session:
        report = import_csv(session, data, instance, users["redaktion"], ["editor"])
    assert report.ok and report.imported == 2
    with db.session() as session:
        posts = session.scalars(select(Post).order_by(Post.publish_at)).all()
        assert [p.state for p in posts] == [PostState.DRAFT, PostState.DRAFT]
        assert posts[0].publish_at.isoformat() == "2031-06-03T08:00:00+00:00"
        assert posts[1].publish_at.isoformat() == "2031-10-26T01:30:00+00:00"  # second 02:30, winter time


def test_csv_import_with_bad_rows_imports_nothing_and_reports_each_row(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    configure_channels(db, CHANNELS_TOML)
    rows = [
        GOOD,
        "30.03.2031;02:30;Lücke;Text;mastodon;;;\n",  # line 3: spring gap
        "04.06.2031;10:00;Zu lang;" + "x" * 501 + ";mastodon;;;\n",  # line 4: too long
        "05.06.2031;10:00;Kanal;Text;twitter;;;\n",  # line 5: unknown channel
        "06.06.2031;10:00;Thema;Text;mastodon;Katzen;;\n",  # line 6: unknown theme
        "26.10.2031;02:30;Falte;Text;mastodon;;;\n",  # line 7: ambiguous, no choice
        "07.06.2031;25:00;Uhr;Text;mastodon;;;\n",  # line 8: bad time
    ]
    with db.session() as session:
        report = import_csv(
            session, (HEADER + "".join(rows)).encode(), instance, users["redaktion"], ["editor"]
        )
        session.commit()  # even a careless caller commits nothing: the import rolled back
    assert not report.ok and report.imported == 0
    lines = {line: message for line, message in report.errors}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8]
    assert "30.03.2031 02:30 Uhr gibt es nicht" in lines[3]
    assert "Mastodon: 501 von 500 Zeichen" in lines[4]
    assert "Unbekannter oder inaktiver Kanal: twitter" in lines[5]
    assert "Unbekanntes Thema „Katzen“" in lines[6]
    assert "gibt es zweimal" in lines[7]
    assert "Uhrzeit „25:00“ nicht erkannt" in lines[8]
    assert _count(db) == 0


def test_csv_import_with_missing_columns_or_bad_encoding(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    with db.session() as session:
        missing = import_csv(session, b"datum;text\n01.01.2031;x\n", instance, users["redaktion"], ["editor"])
        latin = import_csv(session, (HEADER + GOOD).encode("cp1252") + b"\xe4", instance, 1, ["editor"])
    assert missing.errors == [
        (
            1,
            "Spalten fehlen: uhrzeit, kanaele "
            "(erwartet: datum;uhrzeit;titel;text;kanaele;thema;link;zeitversatz)",
        )
    ]
    assert "UTF-8" in latin.errors[0][1]


def test_csv_export_round_trips_through_import(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    configure_channels(db, CHANNELS_TOML)
    with db.session() as session:
        import_csv(session, (HEADER + GOOD).encode(), instance, users["redaktion"], ["editor"])
    with db.session() as session:
        exported = export_csv(session, instance)
    assert "03.06.2031;10:00;Fest;Stadtfest am Samstag;facebook|mastodon" in exported or (
        "03.06.2031;10:00;Fest;Stadtfest am Samstag;mastodon|facebook" in exported
    )
    body = "\n".join(line.split(";", 2)[2] for line in exported.splitlines()).encode()
    with db.session() as session:
        again = import_csv(session, body, instance, users["redaktion"], ["editor"])
    assert again.ok and again.imported == 1


def test_csv_import_page_shows_row_errors(client: FlaskClient, db: Database) -> None:
    import io

    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    data = {"file": (io.BytesIO((HEADER + "05.06.2031;10:00;K;Text;twitter;;;\n").encode()), "plan.csv")}
    response = client.post("/kalender/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Unbekannter oder inaktiver Kanal: twitter" in response.get_data(as_text=True)


def test_ical_feed_needs_the_secret_url_and_lists_posts(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    add_post(db, utcnow() + timedelta(days=2), channel_ids(db, "mastodon"), text="Kürbisfest")
    login(client, "redaktion")
    page = client.get("/kalender/abo").get_data(as_text=True)
    url = page.split('id="feed-url" value="')[1].split('"')[0]
    path = url.split("127.0.0.1:8080")[1]
    anonymous = client.application.test_client()
    response = anonymous.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["[Freigegeben] Kürbisfest"]
    assert anonymous.get(path[:-10] + "0000000000").status_code == 404
    client.post("/kalender/abo/neu")
    assert anonymous.get(path).status_code == 404  # rotated: the old URL is dead


def test_emergency_stop_holds_due_posts_and_resume_does_not_publish_them(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    configure_channels(db, CHANNELS_TOML)
    ids = channel_ids(db, "mastodon")
    with db.session() as session:
        suspend(session, "Trauerfall im Rathaus", users["freigabe"], "Frau Freigabe")
    due = add_post(db, utcnow() - timedelta(seconds=5), ids)
    report = tick(db, instance)
    assert report.held == 1 and report.released == 0
    with db.session() as session:
        post = session.get(Post, due)
        assert post.state == PostState.HELD
        assert post.held_reason == "Notstopp durch Frau Freigabe: Trauerfall im Rathaus"
        assert session.scalar(select(func.count(Delivery.id))) == 0
        resume(session, users["freigabe"])
    later = add_post(db, utcnow() - timedelta(seconds=1), ids)
    report = tick(db, instance)
    assert report.released == 1
    with db.session() as session:
        assert session.get(Post, due).state == PostState.HELD  # a person decides
        assert session.get(Post, later).state == PostState.PUBLISHING


def test_emergency_stop_web_needs_approver_and_reason(client: FlaskClient, app, db: Database) -> None:  # type: ignore[no-untyped-def]
    login(client, "redaktion")
    assert client.post("/planung/notstopp", data={"reason": "Sturm"}).status_code == 403
    approver = app.test_client()
    login(approver, "freigabe")
    short = approver.post("/planung/notstopp", data={"reason": "x"})
    assert short.status_code == 422 and "Grund" in short.get_data(as_text=True)
    assert approver.post("/planung/notstopp", data={"reason": "Trauerfall"}).status_code == 302
    assert "Notstopp aktiv" in approver.get("/kalender/woche").get_data(as_text=True)
    assert approver.post("/planung/notstopp", data={"action": "resume"}).status_code == 302
    assert "Notstopp aktiv" not in approver.get("/kalender/woche").get_data(as_text=True)
