"""The REST API: token auth, posts, alerts, deliveries; every bad input is a specific 4xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from content_calendar.calendar.limits import JSON_DEPTH_MAX, TEXT_MAX, TITLE_MAX
from content_calendar.calendar.post_model import Post
from content_calendar.crisis.models import AlertTemplate
from content_calendar.crisis.template_library import TEMPLATES
from publisher.db import Database, utcnow
from tests.conftest import api_token, configure_channels

CHANNELS = """
[channels.banner]
type = "banner"
lanes = ["crisis"]

[channels.mastodon]
type = "mastodon"
preview = true

[channels.x]
type = "x"
preview = true
"""


@pytest.fixture
def setup(db: Database, users: dict[str, int]) -> dict[str, str]:
    configure_channels(db, CHANNELS)
    with db.session() as session:
        for spec in TEMPLATES:
            session.add(AlertTemplate(**spec, approved_at=utcnow()))
        session.add(
            AlertTemplate(
                key="entwurf",
                name="Nicht freigegeben",
                event="x",
                level="info",
                texts={"de": {"headline": "h", "text": "t"}},
            )
        )
    return {name: api_token(db, name) for name in ("redaktion", "freigabe", "krisenstab")}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def future(hours: int = 2) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


VARS = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}


def test_openapi_document_lists_every_route(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert {
        "/posts",
        "/posts/{post_id}",
        "/posts/{post_id}/{action}",
        "/alerts",
        "/alerts/{alert_id}",
        "/deliveries",
    } <= set(spec["paths"])


def test_openapi_document_is_generated_from_the_models_that_validate(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    post_in = schemas["PostIn"]
    assert set(post_in["required"]) == {"text", "channels", "publish_at"}
    assert post_in["properties"]["title"]["anyOf"][0]["maxLength"] == TITLE_MAX
    assert post_in["properties"]["text"]["maxLength"] == TEXT_MAX
    create = spec["paths"]["/posts"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PostIn")
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/PostOut")
    assert create["responses"]["422"]["content"]["application/problem+json"]["schema"]["$ref"].endswith(
        "/Problem"
    )
    alert_headers = [p["name"] for p in spec["paths"]["/alerts"]["post"]["parameters"] if p["in"] == "header"]
    assert alert_headers == ["Idempotency-Key"]
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_missing_or_wrong_token_is_401(client: FlaskClient, setup: dict[str, str]) -> None:
    assert client.get("/api/v1/deliveries").status_code == 401
    response = client.get("/api/v1/deliveries", headers=auth("ef_wrong"))
    assert response.status_code == 401
    assert "ungültig" in response.json["error"]


def test_post_is_created_for_review(client: FlaskClient, setup: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/posts",
        json={"text": "Bruno sucht ein Zuhause", "channels": ["mastodon"], "publish_at": future()},
        headers=auth(setup["redaktion"]),
    )
    assert response.status_code == 201, response.json
    assert response.json["state"] == "review"


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({"channels": ["mastodon"], "publish_at": "+"}, 422, "text", "Text fehlt"),
        ({"text": 5, "channels": ["mastodon"], "publish_at": "x"}, 422, "text", "falscher Typ"),
        ({"text": "a", "channels": "mastodon", "publish_at": "x"}, 422, "channels", "falscher Typ"),
        ({"text": "a", "channels": [1], "publish_at": "x"}, 422, "channels", "Liste von Namen"),
        ({"text": "a", "channels": ["mastodon"], "publish_at": "morgen"}, 422, "publish_at", "ISO 8601"),
        (
            {"text": "a", "channels": ["mastodon"], "publish_at": "2030-01-01T10:00:00"},
            422,
            "publish_at",
            "ohne Zeitzone",
        ),
        (
            {"text": "a", "channels": ["mastodon"], "publish_at": "2001-01-01T10:00:00+01:00"},
            422,
            "publish_at",
            "Vergangenheit",
        ),
        (
            {"text": "a", "channels": ["myspace"], "publish_at": "2030-01-01T10:00:00+01:00"},
            422,
            "channels",
            "Unbekannter oder inaktiver Kanal: myspace",
        ),
        (
            {"text": "a" * 501, "channels": ["mastodon"], "publish_at": "2030-01-01T10:00:00+01:00"},
            422,
            "channel:mastodon",
            "501 von 500",
        ),
    ],
)
def test_bad_post_input_gets_specific_message(
    client: FlaskClient, setup: dict[str, str], body: dict, status: int, field: str, message: str
) -> None:
    response = client.post("/api/v1/posts", json=body, headers=auth(setup["redaktion"]))
    assert response.status_code == status, response.json
    assert message in response.json["problems"][field]


def test_malformed_json_is_400(client: FlaskClient, setup: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/posts",
        data="{not json",
        content_type="application/json",
        headers=auth(setup["redaktion"]),
    )
    assert response.status_code == 400
    assert "Kein gültiges JSON" in response.json["error"]


def test_json_array_instead_of_object_is_400(client: FlaskClient, setup: dict[str, str]) -> None:
    response = client.post("/api/v1/alerts", json=[1, 2], headers=auth(setup["krisenstab"]))
    assert response.status_code == 400


def test_four_eyes_author_cannot_approve(client: FlaskClient, setup: dict[str, str], db: Database) -> None:
    from sqlalchemy import update

    from content_calendar.accounts.models import User

    with db.session() as session:  # an editor who is also approver
        session.execute(update(User).where(User.username == "redaktion").values(roles="editor,approver"))
    created = client.post(
        "/api/v1/posts",
        json={"text": "Hallo", "channels": ["mastodon"], "publish_at": future()},
        headers=auth(setup["redaktion"]),
    ).json
    own = client.post(f"/api/v1/posts/{created['id']}/approve", headers=auth(setup["redaktion"]))
    assert own.status_code == 403
    assert "Vier-Augen-Prinzip" in own.json["error"]
    other = client.post(f"/api/v1/posts/{created['id']}/approve", headers=auth(setup["freigabe"]))
    assert other.status_code == 200
    assert other.json["state"] == "approved"


def test_alert_is_created_with_one_delivery_per_channel(client: FlaskClient, setup: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "variables": VARS, "idempotency_key": "a1"},
        headers=auth(setup["krisenstab"]),
    )
    assert response.status_code == 201, response.json
    channels = sorted(d["channel"] for d in response.json["deliveries"])
    assert channels == ["banner", "mastodon", "x"]


def test_same_idempotency_key_returns_the_same_alert(client: FlaskClient, setup: dict[str, str]) -> None:
    body = {"template": "unwetter", "variables": VARS}
    headers = {**auth(setup["krisenstab"]), "Idempotency-Key": "same"}
    first = client.post("/api/v1/alerts", json=body, headers=headers)
    second = client.post("/api/v1/alerts", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json["id"] == second.json["id"]
    listing = client.get("/api/v1/deliveries", headers=auth(setup["krisenstab"])).json
    assert len(listing["deliveries"]) == 3


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"template": "gibtsnicht", "variables": {}, "idempotency_key": "k"}, 404, "Unbekannte Vorlage"),
        ({"template": "entwurf", "variables": {}, "idempotency_key": "k"}, 409, "nicht freigegeben"),
        (
            {"template": "unwetter", "variables": {"gebiet": "N"}, "idempotency_key": "k"},
            422,
            "Beginn: Angabe fehlt",
        ),
        (
            {"template": "unwetter", "variables": {**VARS, "von": "25:99"}, "idempotency_key": "k"},
            422,
            "HH:MM",
        ),
        (
            {"template": "unwetter", "variables": {**VARS, "extra": "x"}, "idempotency_key": "k"},
            422,
            "unbekanntes Feld",
        ),
        ({"template": "unwetter", "variables": "x", "idempotency_key": "k"}, 422, "falscher Typ"),
        ({"template": "unwetter", "variables": VARS}, 422, "Idempotenzschlüssel fehlt"),
        (
            {"template": "unwetter", "variables": {**VARS, "gebiet": "N" * 290}, "idempotency_key": "k"},
            422,
            "Gebiet: 290 von höchstens 40 Zeichen",
        ),
    ],
)
def test_bad_alert_input_gets_specific_message(
    client: FlaskClient, setup: dict[str, str], body: dict, status: int, needle: str
) -> None:
    response = client.post("/api/v1/alerts", json=body, headers=auth(setup["krisenstab"]))
    assert response.status_code == status, response.json
    assert needle in str(response.json)


def test_only_crisis_staff_may_send_alerts(client: FlaskClient, setup: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "variables": VARS, "idempotency_key": "z"},
        headers=auth(setup["redaktion"]),
    )
    assert response.status_code == 403


def test_deliveries_filter_by_state(client: FlaskClient, setup: dict[str, str]) -> None:
    client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "variables": VARS, "idempotency_key": "f"},
        headers=auth(setup["krisenstab"]),
    )
    bad = client.get("/api/v1/deliveries?state=kaputt", headers=auth(setup["krisenstab"]))
    assert bad.status_code == 422
    pending = client.get("/api/v1/deliveries?state=pending", headers=auth(setup["krisenstab"])).json
    assert all(d["state"] == "pending" for d in pending["deliveries"])
    assert utcnow()


def test_channel_marked_every_alert_gets_alerts_its_template_does_not_name(
    client: FlaskClient, setup: dict[str, str], db: Database
) -> None:
    configure_channels(db, CHANNELS + '\n[channels.presse]\ntype = "email"\nevery_alert = true\n')
    response = client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "variables": VARS, "idempotency_key": "every"},
        headers=auth(setup["krisenstab"]),
    )
    assert response.status_code == 201, response.json
    shown = {d["channel"]: d for d in response.json["deliveries"]}
    assert "presse" in shown
    # The press channel lacks its SMTP settings: recorded as not sent, the others go out.
    assert shown["presse"]["state"] == "dead"
    assert "host (SMTP-Server) fehlt" in shown["presse"]["last_error"]
    assert shown["mastodon"]["state"] != "dead"


def post_body(**fields: object) -> dict[str, object]:
    return {"text": "Bruno sucht ein Zuhause", "channels": ["mastodon"], "publish_at": future(), **fields}


def post_count(db: Database) -> int:
    with db.session() as session:
        return session.query(Post).count()


def test_errors_are_problem_documents_in_german(client: FlaskClient, setup: dict[str, str]) -> None:
    response = client.post("/api/v1/posts", json=post_body(text=None), headers=auth(setup["redaktion"]))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json == {
        "type": "about:blank",
        "title": "Eingaben unvollständig oder ungültig",
        "status": 422,
        "detail": "Eingaben unvollständig oder ungültig",
        "error": "Eingaben unvollständig oder ungültig",
        "problems": {"text": "Text fehlt"},
    }


def test_it_refuses_a_title_longer_than_its_column_instead_of_truncating(
    client: FlaskClient, setup: dict[str, str], db: Database
) -> None:
    response = client.post(
        "/api/v1/posts", json=post_body(title="T" * (TITLE_MAX + 1)), headers=auth(setup["redaktion"])
    )
    assert response.status_code == 422
    assert response.json["problems"] == {"title": f"Titel: {TITLE_MAX + 1} von höchstens {TITLE_MAX} Zeichen"}
    assert post_count(db) == 0
    fits = client.post(
        "/api/v1/posts", json=post_body(title="T" * TITLE_MAX), headers=auth(setup["redaktion"])
    )
    assert fits.status_code == 201, fits.json
    assert fits.json["title"] == "T" * TITLE_MAX


def test_it_refuses_a_text_over_the_length_bound_with_a_message(
    client: FlaskClient, setup: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/posts", json=post_body(text="x" * (TEXT_MAX + 1)), headers=auth(setup["redaktion"])
    )
    assert response.status_code == 422
    assert response.json["problems"]["text"] == f"Text: {TEXT_MAX + 1} von höchstens {TEXT_MAX} Zeichen"


def test_it_names_every_bad_field_at_once(client: FlaskClient, setup: dict[str, str]) -> None:
    body = {"text": 1, "channels": "mastodon", "publish_at": "morgen", "link": "ftp://x", "submit": "ja"}
    response = client.post("/api/v1/posts", json=body, headers=auth(setup["redaktion"]))
    assert response.status_code == 422
    assert set(response.json["problems"]) == {"text", "channels", "publish_at", "link", "submit"}


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("javascript:alert(document.cookie)", "Link muss mit http:// oder https:// beginnen"),
        ("JavaScript:alert(1)", "Link muss mit http:// oder https:// beginnen"),
        ("data:text/html,<script>alert(1)</script>", "Link muss mit http:// oder https:// beginnen"),
        ("ftp://stadt.example/plan.pdf", "Link muss mit http:// oder https:// beginnen"),
        ("//stadt.example/", "Link muss mit http:// oder https:// beginnen"),
        ("https://", "nach http:// oder https:// fehlt der Server"),
        ("https://stadt.example/ javascript:x", "Leerzeichen"),
        ("https://stadt.example/" + "a" * 1000, "von höchstens 1000 Zeichen"),
    ],
)
def test_it_refuses_links_that_are_not_web_links(
    client: FlaskClient, setup: dict[str, str], link: str, message: str
) -> None:
    response = client.post("/api/v1/posts", json=post_body(link=link), headers=auth(setup["redaktion"]))
    assert response.status_code == 422, response.json
    assert message in response.json["problems"]["link"]


def test_it_accepts_http_and_https_links(client: FlaskClient, setup: dict[str, str]) -> None:
    for link in ("https://www.stadt.example/fest", "HTTP://stadt.example/"):
        response = client.post("/api/v1/posts", json=post_body(link=link), headers=auth(setup["redaktion"]))
        assert response.status_code == 201, response.json


@pytest.mark.parametrize(("path", "user"), [("/api/v1/posts", "redaktion"), ("/api/v1/alerts", "krisenstab")])
def test_a_5000_deep_json_body_is_a_400_problem_not_a_server_error(
    client: FlaskClient, setup: dict[str, str], path: str, user: str
) -> None:
    deep = "[" * 5000 + "]" * 5000
    for body in (deep, '{"text": "a", "variables": {"a": ' + deep + "}}"):
        response = client.post(path, data=body, content_type="application/json", headers=auth(setup[user]))
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert f"höchstens {JSON_DEPTH_MAX} Ebenen" in response.json["detail"]


def test_brackets_and_escaped_quotes_inside_strings_do_not_count_as_nesting(
    client: FlaskClient, setup: dict[str, str]
) -> None:
    text = 'Er sagte \\"[[[[ nur Zeichen ' + "[{" * 40 + "\\\\"
    response = client.post("/api/v1/posts", json=post_body(text=text), headers=auth(setup["redaktion"]))
    assert response.status_code == 201, response.json
    assert response.json["text"] == text


def test_unauthenticated_requests_get_401_before_their_body_is_looked_at(client: FlaskClient) -> None:
    response = client.post("/api/v1/posts", data="[" * 5000, content_type="application/json")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_parallel_alert_from_the_same_template_needs_confirmation(
    client: FlaskClient, setup: dict[str, str]
) -> None:
    headers = auth(setup["krisenstab"])
    first = client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "variables": VARS, "idempotency_key": "p1"},
        headers=headers,
    )
    assert first.status_code == 201, first.json
    second = {"template": "unwetter", "variables": VARS, "idempotency_key": "p2"}
    refused = client.post("/api/v1/alerts", json=second, headers=headers)
    assert refused.status_code == 409
    assert "confirm_parallel" in refused.json["problems"]
    confirmed = client.post("/api/v1/alerts", json={**second, "confirm_parallel": True}, headers=headers)
    assert confirmed.status_code == 201, confirmed.json
    assert confirmed.json["state"] == "active"
