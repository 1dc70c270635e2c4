"""Week, month and list views in local time; held posts visibly held; quick move."""

from __future__ import annotations

from datetime import datetime

from flask.testing import FlaskClient

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.timeutil import local_to_utc, to_local
from publisher.db import Database
from tests.calendar.calendar_helpers import CHANNELS_TOML, add_post, channel_ids
from tests.conftest import configure_channels, login

TZ = "Europe/Berlin"


def _at(*parts: int) -> datetime:
    return local_to_utc(datetime(*parts), TZ)


def _seed(db: Database) -> tuple[int, int]:
    configure_channels(db, CHANNELS_TOML)
    ids = channel_ids(db, "mastodon", "facebook")
    normal = add_post(db, _at(2031, 6, 3, 10, 0), ids, theme="Kultur und Tourismus", text="Museumsnacht")
    held = add_post(db, _at(2031, 6, 4, 9, 0), ids[:1], state=PostState.HELD, text="Badesee offen")
    with db.session() as session:
        session.get(Post, held).held_reason = "Krisenmodus: Community-Beiträge ruhen bis zur Entwarnung"
    return normal, held


def test_week_view_shows_local_time_channels_theme_and_held(client: FlaskClient, db: Database) -> None:
    _seed(db)
    login(client, "redaktion")
    page = client.get("/kalender/woche?datum=2031-06-04").get_data(as_text=True)
    assert "<time>10:00</time> Museumsnacht" in page  # 08:00 UTC shown as 10:00 local
    assert "mastodon, facebook · Kultur und Tourismus" in page
    assert "⏸ angehalten" in page and "Krisenmodus" in page


def test_month_and_list_views(client: FlaskClient, db: Database) -> None:
    _seed(db)
    login(client, "freigabe")
    month = client.get("/kalender/monat?datum=2031-06-15").get_data(as_text=True)
    assert "Juni 2031" in month and "Museumsnacht" in month and "Badesee offen" in month
    listing = client.get("/kalender/liste?datum=2031-06-01&tage=10&zustand=held").get_data(as_text=True)
    assert "Badesee offen" in listing and "Museumsnacht" not in listing


def test_quick_move_keeps_time_of_day_across_dst(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    post_id = add_post(db, _at(2031, 3, 25, 10, 0), channel_ids(db, "mastodon"))  # winter time
    login(client, "redaktion")
    response = client.post(
        f"/kalender/verschieben/{post_id}",
        data={"date": "2031-04-01"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_json()
    with db.session() as session:
        moved = session.get(Post, post_id)
        assert to_local(moved.publish_at, TZ).strftime("%d.%m. %H:%M") == "01.04. 10:00"
        assert moved.state == PostState.APPROVED


def test_quick_move_into_the_spring_gap_is_refused(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    post_id = add_post(db, _at(2031, 3, 25, 2, 30), channel_ids(db, "mastodon"))
    login(client, "redaktion")
    response = client.post(
        f"/kalender/verschieben/{post_id}",
        data={"date": "2031-03-30"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert "30.03.2031 02:30 Uhr gibt es nicht" in response.get_json()["error"]


def test_approver_cannot_move_posts(client: FlaskClient, db: Database) -> None:
    normal, _ = _seed(db)
    login(client, "freigabe")
    assert client.post(f"/kalender/verschieben/{normal}", data={"date": "2031-06-05"}).status_code == 403


def test_queue_button_picks_the_next_free_slot(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    client.post("/planung/sendezeiten", data={"channel": "mastodon", "weekday": "1", "time": "10:00"})
    response = client.post(
        "/posts/new", data={"text": "Wochenmarkt", "channels": ["mastodon"], "action": "queue"}
    )
    assert response.status_code == 302
    with db.session() as session:
        post = session.query(Post).one()
        local = to_local(post.publish_at, TZ)
        assert (local.weekday(), local.strftime("%H:%M")) == (1, "10:00")
        assert post.state == PostState.REVIEW


def test_cadence_page_shows_gap_and_chart(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    page = client.get("/takt").get_data(as_text=True)
    assert "mastodon: für die nächsten 5 Tage ist nichts geplant" in page
    assert page.count("<svg") == 2


def test_contribution_becomes_a_draft(client: FlaskClient, db: Database) -> None:
    from content_calendar.accounts.auth import create_user
    from content_calendar.calendar.models import Contribution
    from tests.conftest import PASSWORD

    configure_channels(db, CHANNELS_TOML)
    with db.session() as session:
        create_user(session, "bauamt", ["contributor"], PASSWORD)
    login(client, "bauamt")
    bad = client.post("/ideen/", data={"title": "", "text": "kurz"})
    assert bad.status_code == 422 and "Bitte einen kurzen Titel angeben" in bad.get_data(as_text=True)
    ok = client.post("/ideen/", data={"title": "Neue Radwege", "text": "Drei neue Radwege an der Schule."})
    assert ok.status_code == 302
    editor = client.application.test_client()
    login(editor, "redaktion")
    with db.session() as session:
        idea_id = session.query(Contribution).one().id
    form = editor.get(f"/posts/new?idee={idea_id}").get_data(as_text=True)
    assert "Drei neue Radwege an der Schule." in form
    saved = editor.post(
        "/posts/new",
        data={
            "text": "Drei neue Radwege an der Schule.",
            "channels": ["mastodon"],
            "date": "2031-06-03",
            "time": "10:00",
            "contribution_id": str(idea_id),
            "action": "save",
        },
    )
    assert saved.status_code == 302
    with db.session() as session:
        idea = session.get(Contribution, idea_id)
        assert idea.state == Contribution.DRAFTED and idea.post_id is not None
