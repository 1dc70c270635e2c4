"""Sessions end on the server; every page carries the security headers."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.accounts.auth import set_active
from content_calendar.accounts.models import AuditEvent, User
from content_calendar.web import template_files
from publisher.db import Database
from tests.conftest import create_test_app, login


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_copied_session_cookie_is_worthless_after_logout(
    client: FlaskClient, users: dict[str, int]
) -> None:
    login(client, "krisenstab")
    stolen = _cookie(client)
    assert client.get("/krise/").status_code == 200
    client.post("/logout")
    thief = client.application.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/krise/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_logout_is_audited(client: FlaskClient, db: Database, users: dict[str, int]) -> None:
    login(client, "redaktion")
    client.post("/logout")
    with db.session() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == users["redaktion"]))
        assert list(actions)[-2:] == ["user.login", "user.logout"]


def test_deactivating_a_user_ends_their_open_session(
    client: FlaskClient, db: Database, users: dict[str, int]
) -> None:
    login(client, "redaktion")
    assert client.get("/kalender/woche").status_code == 200
    with db.session() as session:
        user = session.get(User, users["redaktion"])
        assert user is not None
        set_active(session, user, False)
    assert client.get("/kalender/woche").status_code == 302


def test_a_cookie_from_before_the_nonce_is_refused(app: Flask, users: dict[str, int]) -> None:
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(users["admin"])  # the old format: only the id
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "path", ["/login", "/", "/public/banner.json", "/api/v1/openapi.json", "/gibt-es-nicht"]
)
def test_every_answer_carries_the_security_headers(
    client: FlaskClient, users: dict[str, int], path: str
) -> None:
    login(client, "admin")
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP by default


def test_the_templates_need_no_inline_script_or_style() -> None:
    """What makes the CSP without 'unsafe-inline' possible; JSON data blocks are not scripts."""
    offenders = []
    for template in template_files():
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text):
            offenders.append(f"{template.name}: {match.group(0)}")
        for match in re.finditer(r"<style\b|\sstyle=|\son[a-z]+=", text):
            offenders.append(f"{template.name}: {match.group(0).strip()}")
    assert offenders == []


def test_secure_cookies_setting_marks_the_session_cookie_secure(
    monkeypatch: pytest.MonkeyPatch, users: dict[str, int]
) -> None:
    monkeypatch.setenv("ERNSTFALL_SECURE_COOKIES", "true")
    client = create_test_app().test_client()
    response = client.post(
        "/login",
        data={"username": "redaktion", "password": "test-passwort-123"},
        base_url="https://localhost",
    )
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_without_the_setting_the_cookie_works_over_plain_http(
    client: FlaskClient, users: dict[str, int]
) -> None:
    response = client.post("/login", data={"username": "redaktion", "password": "test-passwort-123"})
    assert "Secure" not in response.headers["Set-Cookie"]
