"""The alert lifecycle through the API: update, all-clear, quiet close, active list, crisis mode."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from publisher.db import Database
from tests.web.api.test_api import VARS, auth, setup  # noqa: F401  (fixture)


def send(client: FlaskClient, token: str, key: str = "a1", template: str = "unwetter") -> int:
    response = client.post(
        "/api/v1/alerts",
        json={"template": template, "variables": VARS},
        headers={**auth(token), "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def test_update_all_clear_and_crisis_state_through_the_api(
    client: FlaskClient,
    setup: dict[str, str],  # noqa: F811
    db: Database,  # noqa: F811
) -> None:
    token = setup["krisenstab"]
    first = send(client, token)
    crisis = client.get("/api/v1/crisis", headers=auth(token)).get_json()
    assert crisis["active"] is True and [a["id"] for a in crisis["alerts"]] == [first]

    update = client.post(
        f"/api/v1/alerts/{first}/update",
        json={"variables": {"bis": "22:00"}},
        headers={**auth(token), "Idempotency-Key": "u1"},
    )
    assert update.status_code == 201, update.get_json()
    body = update.get_json()
    assert body["msg_type"] == "Update" and body["state"] == "active"
    texts = {d["channel"]: (d["rendered"] or {}).get("text", "") for d in body["deliveries"]}
    assert texts and all("Aktualisierung" in text for text in texts.values() if text), texts
    assert "Aktualisierung" in texts["mastodon"]
    again = client.post(
        f"/api/v1/alerts/{first}/update",
        json={"variables": {"bis": "22:00"}},
        headers={**auth(token), "Idempotency-Key": "u1"},
    )
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    stale = client.post(
        f"/api/v1/alerts/{first}/update", json={}, headers={**auth(token), "Idempotency-Key": "u2"}
    )
    assert stale.status_code == 409 and "nicht mehr aktiv" in stale.get_json()["detail"]

    active = client.get("/api/v1/alerts?active=true", headers=auth(token)).get_json()["alerts"]
    assert [a["id"] for a in active] == [body["id"]]

    clear = client.post(
        f"/api/v1/alerts/{body['id']}/all-clear",
        json={"note": "Straßen frei"},
        headers={**auth(token), "Idempotency-Key": "c1"},
    )
    assert clear.status_code == 201, clear.get_json()
    assert (
        clear.get_json()["msg_type"] == "Cancel" and "Straßen frei" in clear.get_json()["texts"]["de"]["text"]
    )
    assert client.get("/api/v1/crisis", headers=auth(token)).get_json() == {
        "active": False,
        "since": None,
        "alerts": [],
    }


def test_close_needs_a_reason_and_the_right_to_send_alerts(
    client: FlaskClient,
    setup: dict[str, str],  # noqa: F811
) -> None:
    token = setup["krisenstab"]
    alert_id = send(client, token)
    missing = client.post(f"/api/v1/alerts/{alert_id}/close", json={}, headers=auth(token))
    assert missing.status_code in (400, 422) and "reason" in missing.get_json()["problems"]
    editor = client.post(
        f"/api/v1/alerts/{alert_id}/close", json={"reason": "x"}, headers=auth(setup["redaktion"])
    )
    assert editor.status_code == 403
    closed = client.post(
        f"/api/v1/alerts/{alert_id}/close", json={"reason": "Fehlalarm"}, headers=auth(token)
    )
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    assert client.get("/api/v1/crisis", headers=auth(token)).get_json()["active"] is False


@pytest.mark.parametrize("path", ["update", "all-clear", "close"])
def test_follow_ups_of_an_unknown_alert_are_a_404(
    client: FlaskClient,
    setup: dict[str, str],  # noqa: F811
    path: str,  # noqa: F811
) -> None:
    body = {"reason": "x"} if path == "close" else {}
    response = client.post(
        f"/api/v1/alerts/99999/{path}",
        json=body,
        headers={**auth(setup["krisenstab"]), "Idempotency-Key": "k"},
    )
    assert response.status_code == 404


def test_the_schema_lists_the_lifecycle_operations(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/alerts/{alert_id}/update",
        "/api/v1/alerts/{alert_id}/all-clear",
        "/api/v1/alerts/{alert_id}/close",
        "/api/v1/crisis",
    ):
        assert any(p.endswith(path.removeprefix("/api/v1")) for p in paths), (path, list(paths))


def test_unknown_api_paths_and_methods_are_german_problem_documents(client: FlaskClient) -> None:
    missing = client.get("/api/v1/gibt-es-nicht")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.get_json()["detail"] == "Seite nicht gefunden"
    wrong = client.delete("/api/v1/openapi.json")
    assert wrong.status_code == 405 and wrong.get_json()["title"]
