"""The post editor through the web app: save, check, images with alt text, review, held posts."""

from __future__ import annotations

import io
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.calendar.models import PostComment
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.timeutil import to_local
from publisher.db import Database, utcnow
from tests.calendar.calendar_helpers import CHANNELS_TOML, PNG, add_post, channel_ids
from tests.conftest import configure_channels, login

TZ = "Europe/Berlin"


def _tomorrow_local() -> tuple[str, str]:
    local = to_local(utcnow() + timedelta(days=2), TZ)
    # A weekday inside office hours keeps warnings out of the way unless a test wants them.
    while local.weekday() >= 5:
        local += timedelta(days=1)
    return local.strftime("%Y-%m-%d"), "10:00"


def _form(**extra: object) -> dict[str, object]:
    day, clock = _tomorrow_local()
    data: dict[str, object] = {
        "text": "Unser Tierheim sucht ein Zuhause für Kater Fritz.",
        "channels": ["mastodon", "facebook"],
        "date": day,
        "time": clock,
        "theme": "Alltägliches und Lustiges (Tiere)",
        "action": "submit",
    }
    data.update(extra)
    return data


def test_editor_submits_post_with_image_and_alt_text(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    data = _form(image=(io.BytesIO(PNG), "fritz.png"), image_alt="Ein grauer Kater auf einer Decke")
    response = client.post("/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with db.session() as session:
        post = session.scalars(select(Post)).one()
        assert post.state == PostState.REVIEW
        assert post.media[0]["alt"] == "Ein grauer Kater auf einer Decke"
        assert post.media[0]["public_url"].endswith("/media/" + post.media[0]["path"])
        name = post.media[0]["path"]
    served = client.get(f"/media/{name}")
    assert served.status_code == 200 and served.data == PNG
    assert served.mimetype == "image/png"


def test_image_without_alt_text_is_refused_and_input_kept(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    data = _form(image=(io.BytesIO(PNG), "fritz.png"), image_alt="  ")
    response = client.post("/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Alternativtext fehlt" in page
    assert "Kater Fritz" in page  # nothing typed is lost
    with db.session() as session:
        assert session.scalars(select(Post)).all() == []


def test_non_image_upload_is_refused(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    data = _form(image=(io.BytesIO(b"%PDF-1.4 hallo"), "flyer.png"), image_alt="Flyer")
    response = client.post("/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Dateityp nicht unterstützt" in response.get_data(as_text=True)


def test_too_long_text_for_mastodon_is_refused_with_channel_message(
    client: FlaskClient, db: Database
) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    response = client.post("/posts/new", data=_form(text="x" * 501))
    assert response.status_code == 422
    assert "Mastodon: 501 von 500 Zeichen" in response.get_data(as_text=True)


def test_variant_lets_a_long_text_fit_one_channel(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    response = client.post("/posts/new", data=_form(text="x" * 700, variant_mastodon="Kurz für Mastodon"))
    assert response.status_code == 302
    with db.session() as session:
        assert session.scalars(select(Post)).one().variants == {"mastodon": "Kurz für Mastodon"}


def test_live_check_reports_counters_and_problems_per_channel(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    response = client.post("/posts/check", data={"text": "y" * 510, "channels": ["mastodon", "facebook"]})
    assert response.status_code == 200
    by_name = {c["channel"]: c for c in response.get_json()["channels"]}
    assert by_name["mastodon"]["used"] == 510 and by_name["mastodon"]["limit"] == 500
    assert by_name["mastodon"]["problems"] == ["Mastodon: 510 von 500 Zeichen — Links zählen 23"]
    assert by_name["facebook"]["limit"] is None and by_name["facebook"]["problems"] == []


def test_live_check_explains_spring_gap_and_office_hours(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    gap = client.post("/posts/check", data={"text": "a", "date": "2026-03-29", "time": "02:30"}).get_json()
    assert "gibt es nicht" in gap["time_problem"]
    sunday = client.post("/posts/check", data={"text": "a", "date": "2030-06-02", "time": "11:00"}).get_json()
    assert sunday["warnings"] == [
        "Außerhalb der Antwortzeiten: Sonntag ist kein Arbeitstag der Redaktion — "
        "niemand kann auf Kommentare antworten."
    ]


def test_autumn_hour_asks_which_and_the_choice_is_stored(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    asked = client.post("/posts/new", data=_form(date="2030-10-27", time="02:30", action="save"))
    assert asked.status_code == 422
    page = asked.get_data(as_text=True)
    assert "erste (Sommerzeit, +02:00)" in page and "zweite (Winterzeit, +01:00)" in page
    chosen = client.post("/posts/new", data=_form(date="2030-10-27", time="02:30", fold="1", action="save"))
    assert chosen.status_code == 302
    with db.session() as session:
        post = session.scalars(select(Post)).one()
        assert post.publish_at.isoformat() == "2030-10-27T01:30:00+00:00"


def test_approver_approves_and_author_cannot(client: FlaskClient, app, db: Database) -> None:  # type: ignore[no-untyped-def]
    configure_channels(db, CHANNELS_TOML)
    login(client, "admin")  # admin holds every role: the four-eyes rule still applies
    assert client.post("/posts/new", data=_form()).status_code == 302
    with db.session() as session:
        post_id = session.scalars(select(Post.id)).one()
    own = client.post(f"/posts/{post_id}/review", data={"action": "approve"})
    assert own.status_code == 403
    assert "Vier-Augen-Prinzip" in own.get_data(as_text=True)
    other = app.test_client()
    login(other, "freigabe")
    assert other.post(f"/posts/{post_id}/review", data={"action": "approve"}).status_code == 302
    with db.session() as session:
        assert session.get(Post, post_id).state == PostState.APPROVED


def test_send_back_needs_a_reason_and_shows_it_to_the_editor(client: FlaskClient, app, db: Database) -> None:  # type: ignore[no-untyped-def]
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    client.post("/posts/new", data=_form())
    with db.session() as session:
        post_id = session.scalars(select(Post.id)).one()
    approver = app.test_client()
    login(approver, "freigabe")
    empty = approver.post(f"/posts/{post_id}/review", data={"action": "send_back", "comment": ""})
    assert empty.status_code == 422
    approver.post(
        f"/posts/{post_id}/review", data={"action": "send_back", "comment": "Bitte Öffnungszeiten nennen"}
    )
    with db.session() as session:
        assert session.get(Post, post_id).state == PostState.DRAFT
        assert [c.kind for c in session.scalars(select(PostComment))] == ["returned"]
    page = client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "Bitte Öffnungszeiten nennen" in page and "zurückgeschickt" in page


def test_held_post_offers_the_three_decisions_and_publish_now_releases_it(
    client: FlaskClient, db: Database
) -> None:
    configure_channels(db, CHANNELS_TOML)
    ids = channel_ids(db, "mastodon")
    post_id = add_post(db, utcnow() - timedelta(hours=2), ids, state=PostState.HELD)
    login(client, "redaktion")
    page = client.get(f"/posts/{post_id}").get_data(as_text=True)
    for label in ("jetzt veröffentlichen", "neu planen", "verwerfen"):
        assert label in page
    assert client.post(f"/posts/{post_id}/held", data={"decision": "publish_now"}).status_code == 302
    with db.session() as session:
        post = session.get(Post, post_id)
        assert post.state == PostState.APPROVED
        assert utcnow() - post.publish_at < timedelta(seconds=30)


def test_held_post_rescheduled_into_the_past_is_refused(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    post_id = add_post(db, utcnow() - timedelta(hours=2), channel_ids(db, "mastodon"), state=PostState.HELD)
    login(client, "redaktion")
    response = client.post(
        f"/posts/{post_id}/held", data={"decision": "reschedule", "date": "2020-01-07", "time": "10:00"}
    )
    assert response.status_code == 422
    assert "Vergangenheit" in response.get_data(as_text=True)


def test_expired_post_is_flagged_abgelaufen(client: FlaskClient, db: Database) -> None:
    configure_channels(db, CHANNELS_TOML)
    post_id = add_post(
        db, utcnow() - timedelta(hours=1), channel_ids(db, "mastodon"), state=PostState.EXPIRED
    )
    login(client, "redaktion")
    assert "abgelaufen" in client.get(f"/posts/{post_id}").get_data(as_text=True)


def test_editing_an_approved_post_withdraws_the_approval(client: FlaskClient, app, db: Database) -> None:  # type: ignore[no-untyped-def]
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    client.post("/posts/new", data=_form())
    with db.session() as session:
        post_id = session.scalars(select(Post.id)).one()
    approver = app.test_client()
    login(approver, "freigabe")
    approver.post(f"/posts/{post_id}/review", data={"action": "approve"})
    client.post(f"/posts/{post_id}", data=_form(text="Geänderter Text", action="save"))
    with db.session() as session:
        post = session.get(Post, post_id)
        assert post.state == PostState.DRAFT and post.approver_id is None


def test_contributor_cannot_open_the_editor(client: FlaskClient, db: Database) -> None:
    from content_calendar.accounts.auth import create_user
    from tests.conftest import PASSWORD

    with db.session() as session:
        create_user(session, "bauamt", ["contributor"], PASSWORD)
    login(client, "bauamt")
    assert client.get("/posts/new").status_code == 403
    assert client.get("/ideen/").status_code == 200


def test_live_check_shows_the_text_as_posted_and_sms_cost(client: FlaskClient, db: Database) -> None:
    configure_channels(
        db,
        CHANNELS_TOML + '\n[channels.sms]\ntype = "sms"\npreview = true\nrecipients = ["+491701234567"]\n'
        "cost_per_segment = 0.075\n",
    )
    login(client, "redaktion")
    response = client.post(
        "/posts/check", data={"text": "„Stadtfest“ – heute!", "link": "", "channels": ["mastodon", "sms"]}
    )
    by_name = {c["channel"]: c for c in response.get_json()["channels"]}
    assert by_name["mastodon"]["preview"] == "„Stadtfest“ – heute!"
    # The SMS preview shows the GSM-7 text that will really be sent, and what it costs.
    assert by_name["sms"]["preview"] == '"Stadtfest" - heute!'
    assert "1 Teil" in by_name["sms"]["note"] and "€" in by_name["sms"]["note"]
