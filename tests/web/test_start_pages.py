"""Each role lands where its work is (the role policy decides what it may open)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from content_calendar.accounts.models import ROLES
from content_calendar.accounts.policy import POLICY
from content_calendar.web.start import START_PAGES, start_endpoint
from tests.conftest import PASSWORD

LANDINGS = {
    "krisenstab": "/krise/",
    "fallback": "/fallback/",
    "redaktion": "/kalender/woche",
    "freigabe": "/kalender/freigaben",
    "admin": "/",
}


@pytest.mark.parametrize(("username", "landing"), LANDINGS.items())
def test_each_role_lands_on_its_start_page_after_login(
    client: FlaskClient, username: str, landing: str
) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.headers["Location"] == landing
    assert client.get(landing).status_code == 200
    assert client.get("/start").headers["Location"] == landing


def test_opening_the_root_then_logging_in_also_lands_on_the_start_page(client: FlaskClient) -> None:
    login_url = client.get("/").headers["Location"]
    response = client.post(login_url, data={"username": "krisenstab", "password": PASSWORD})
    assert response.headers["Location"] == "/krise/"


def test_an_explicit_next_page_still_wins_over_the_start_page(client: FlaskClient) -> None:
    response = client.post("/login?next=/takt", data={"username": "redaktion", "password": PASSWORD})
    assert response.headers["Location"] == "/takt"


def test_every_start_page_is_one_the_role_may_open(app) -> None:  # type: ignore[no-untyped-def]
    for role in ROLES:
        endpoint = start_endpoint([role])
        needed = app.view_functions[endpoint].required_permissions
        assert needed & POLICY[role], f"{role} lands on {endpoint} but may not open it"
    assert {role for role, _ in START_PAGES} <= set(ROLES)


def test_a_person_with_several_roles_lands_where_a_crisis_needs_them() -> None:
    assert start_endpoint(["editor", "crisis"]) == "crisis.index"
    assert start_endpoint(["editor", "fallback"]) == "fallback.index"
    assert start_endpoint(["admin", "crisis"]) == "dashboard.index"
