"""Login: where it sends you afterwards, throttling, and the audit of failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from content_calendar.accounts.models import AuditEvent, LoginFailure
from content_calendar.accounts.throttle import MAX_PER_ADDRESS, MAX_PER_USERNAME
from publisher.db import Database, utcnow
from tests.conftest import PASSWORD

LOCKED = "Zu viele fehlgeschlagene Anmeldungen"


def _login(
    client: FlaskClient,
    username: str,
    password: str = PASSWORD,
    next_: str | None = None,
    address: str = "192.0.2.10",
):  # type: ignore[no-untyped-def]
    query = {"next": next_} if next_ is not None else {}
    return client.post(
        "/login",
        query_string=query,
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",
        "/\n/x",
        "/\r\n/x",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/ /evil.example",
        "\t//evil.example",
        "evil.example",
        "",
    ],
)
def test_it_sends_every_foreign_or_odd_next_to_the_overview(
    client: FlaskClient, users: dict[str, int], target: str
) -> None:
    response = _login(client, "redaktion", next_=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("encoded", ["/%09/evil.example/", "/%0A/x", "/%0D%0ALocation:%20//evil"])
def test_it_never_redirects_off_site_or_fails_for_the_attackers_encoded_probes(
    client: FlaskClient, users: dict[str, int], encoded: str
) -> None:
    response = client.post(
        f"/login?next={encoded}",
        data={"username": "redaktion", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/kalender/woche", "/posts/7?tab=vorschau", "/kalender/liste#heute"])
def test_it_returns_to_a_local_page_after_login(
    client: FlaskClient, users: dict[str, int], target: str
) -> None:
    response = _login(client, "redaktion", next_=target)
    assert response.headers["Location"] == target


def test_it_locks_a_user_name_after_five_failures_with_a_german_message(
    client: FlaskClient, users: dict[str, int]
) -> None:
    for _ in range(MAX_PER_USERNAME):
        assert "Benutzername oder Passwort falsch." in _login(client, "redaktion", "falsch").get_data(True)
    locked = _login(client, "redaktion", PASSWORD)  # even the right password waits
    assert locked.status_code == 429
    assert LOCKED in locked.get_data(as_text=True)
    assert "15 Minuten" in locked.get_data(as_text=True)
    assert 800 < int(locked.headers["Retry-After"]) <= 901


def test_the_lock_looks_the_same_for_a_name_that_does_not_exist(
    client: FlaskClient, users: dict[str, int]
) -> None:
    for name in ("redaktion", "gibt-es-nicht"):
        answers = [_login(client, name, "falsch", address=f"198.51.100.{len(name)}") for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert LOCKED in answers[-1].get_data(as_text=True)


def test_the_lock_ends_after_fifteen_minutes(
    client: FlaskClient, db: Database, users: dict[str, int]
) -> None:
    for _ in range(MAX_PER_USERNAME):
        _login(client, "redaktion", "falsch")
    assert _login(client, "redaktion").status_code == 429
    with db.session() as session:
        session.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=15, seconds=5)))
    assert _login(client, "redaktion").status_code == 302


def test_a_successful_login_forgets_the_names_earlier_failures(
    client: FlaskClient, users: dict[str, int]
) -> None:
    for _ in range(MAX_PER_USERNAME - 1):
        _login(client, "redaktion", "falsch")
    assert _login(client, "redaktion").status_code == 302
    client.post("/logout")
    for _ in range(MAX_PER_USERNAME - 1):
        _login(client, "redaktion", "falsch")
    assert _login(client, "redaktion").status_code == 302


def test_it_locks_an_address_that_tries_many_names(client: FlaskClient, users: dict[str, int]) -> None:
    for n in range(MAX_PER_ADDRESS):
        assert _login(client, f"rate-{n}", "falsch", address="203.0.113.9").status_code == 200
    assert _login(client, "redaktion", address="203.0.113.9").status_code == 429
    assert _login(client, "redaktion", address="203.0.113.10").status_code == 302  # others still get in


def test_failed_and_refused_logins_are_audited_without_the_password(
    client: FlaskClient, db: Database, users: dict[str, int]
) -> None:
    _login(client, "redaktion", "geheimes-falsches-wort")
    _login(client, "niemand", "x")
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.login_failed")).all()
        details = [(e.detail["username"], e.detail["reason"], e.detail["address"]) for e in events]
        text = " ".join(str(e.detail) for e in events)
    assert details == [
        ("redaktion", "wrong_password", "192.0.2.10"),
        ("niemand", "unknown_user", "192.0.2.10"),
    ]
    assert "geheimes-falsches-wort" not in text
