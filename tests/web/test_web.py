"""Login, dashboard and the public banner, as a browser-less client sees them."""

from __future__ import annotations

from flask.testing import FlaskClient

from publisher.channels.base import Message
from publisher.db import Database
from publisher.models import Channel
from publisher.outbox import create_delivery
from publisher.outputs.banner import Banner, write_banner
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState
from tests.conftest import PASSWORD, configure_channels, create_test_app, login


def test_dashboard_requires_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_says_so_in_german(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "redaktion", "password": "falsch"})
    assert response.status_code == 200
    assert "Benutzername oder Passwort falsch." in response.get_data(as_text=True)


def test_login_redirect_never_leaves_the_site(client: FlaskClient) -> None:
    response = client.post(
        "/login?next=//evil.example/", data={"username": "redaktion", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_login_form_is_protected_against_csrf(instance: Settings, users: dict[str, int]) -> None:
    from content_calendar.web import create_app

    strict = create_app({"TESTING": True}).test_client()
    response = strict.post("/login", data={"username": "redaktion", "password": PASSWORD})
    assert response.status_code == 400


def test_dashboard_shows_failed_delivery_with_platform_words(
    client: FlaskClient, db: Database, instance: Settings
) -> None:
    configure_channels(db, '[channels.vorschau]\ntype = "preview"\n')
    with db.session() as session:
        channel = session.query(Channel).one()
        delivery = create_delivery(
            session,
            channel=channel,
            lane="community",
            message=Message(text="Hallo <b>Welt</b>"),
            settings=instance,
            source_kind="post",
            source_id=7,
        )
        delivery.state = DeliveryState.DEAD
        delivery.last_error = "mastodon: Zugang abgelehnt (Token prüfen)"
        delivery.platform_message = "The access token is invalid"
    login(client, "fallback")
    page = client.get("/").get_data(as_text=True)
    assert "fehlgeschlagene oder unklare Zustellungen" in page
    assert "The access token is invalid" in page
    fragment = client.get("/deliveries").get_data(as_text=True)
    assert "Zugang abgelehnt (Token prüfen)" in fragment
    assert "<b>Welt</b>" not in fragment  # rendered preview text is escaped
    assert "&lt;b&gt;Welt&lt;/b&gt;" in fragment


def test_unknown_page_is_a_german_404(client: FlaskClient) -> None:
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


def test_public_banner_is_served_with_cors(client: FlaskClient, instance: Settings) -> None:
    assert client.get("/public/banner.json").json == {"banner": None}
    write_banner(instance.public_dir, Banner(level="severe", text="Hochwasser an der Ahr"))
    response = client.get("/public/banner.json")
    assert response.json["banner"]["text"] == "Hochwasser an der Ahr"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    script = client.get("/public/banner.js")
    assert script.mimetype == "application/javascript"
    assert "Hochwasser an der Ahr" in script.get_data(as_text=True)


def test_app_works_without_any_redis(instance: Settings, users: dict[str, int]) -> None:
    app = create_test_app()
    assert app.test_client().get("/login").status_code == 200


def test_dashboard_names_cadence_gaps(client: FlaskClient, db: Database) -> None:
    configure_channels(db, '[channels.mastodon]\ntype = "mastodon"\npreview = true\n')
    login(client, "redaktion")
    page = client.get("/").get_data(as_text=True)
    assert "Takt der Community-Beiträge" in page
    assert "für die nächsten 5 Tage ist nichts geplant" in page
    assert "<svg" in page
