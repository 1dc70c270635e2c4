"""``ernstfall user deactivate NAME`` and ``ernstfall token revoke ID``: access ends without SQL."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.accounts.models import ApiToken, AuditEvent
from publisher.db import Database
from tests.conftest import api_token, login
from workers.cli import main


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_user_deactivate_ends_the_session_and_the_tokens_at_once(
    client: FlaskClient, db: Database, users: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    login(client, "krisenstab")
    token = api_token(db, "krisenstab")
    assert client.get("/api/v1/deliveries", headers=_bearer(token)).status_code == 200
    assert main(["user", "deactivate", "krisenstab"]) == 0
    assert "deaktiviert" in capsys.readouterr().out
    assert client.get("/krise/").status_code == 302
    assert client.get("/api/v1/deliveries", headers=_bearer(token)).status_code == 401
    other = client.application.test_client()
    assert (
        other.post("/login", data={"username": "krisenstab", "password": "test-passwort-123"}).status_code
        == 200
    )
    assert main(["user", "activate", "krisenstab"]) == 0
    login(other, "krisenstab")


def test_token_revoke_refuses_that_token_only(
    client: FlaskClient, db: Database, users: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = api_token(db, "redaktion"), api_token(db, "redaktion")
    with db.session() as session:
        first_id = min(session.scalars(select(ApiToken.id)))
    assert main(["token", "list", "redaktion"]) == 0
    assert f"{first_id}\t" in capsys.readouterr().out
    assert main(["token", "revoke", str(first_id)]) == 0
    assert client.get("/api/v1/deliveries", headers=_bearer(first)).status_code == 401
    assert client.get("/api/v1/deliveries", headers=_bearer(second)).status_code == 200
    assert main(["token", "list", "redaktion"]) == 0
    assert "widerrufen" in capsys.readouterr().out
    with db.session() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoked")) is not None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["token", "revoke", "abc"], "Token-ID muss eine Zahl sein"),
        (["token", "revoke", "424242"], "API-Token 424242 unbekannt"),
        (["user", "deactivate", "niemand"], "Benutzer 'niemand' unbekannt"),
        (["user", "vanish", "redaktion"], "unbekannte Aktion"),
        (["user", "neu"], "mindestens eine --role"),
    ],
)
def test_it_answers_bad_cli_input_with_a_german_message(
    users: dict[str, int], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_user_unlock_lifts_a_login_lock(client: FlaskClient, users: dict[str, int]) -> None:
    for _ in range(5):
        client.post("/login", data={"username": "redaktion", "password": "falsch"})
    assert (
        client.post("/login", data={"username": "redaktion", "password": "test-passwort-123"}).status_code
        == 429
    )
    assert main(["user", "unlock", "redaktion"]) == 0
    login(client, "redaktion")
