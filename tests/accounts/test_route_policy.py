"""Every route of the real app, for every role, anonymous and by API token, against the policy."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import RequestRedirect, Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from content_calendar.accounts.models import ROLES
from content_calendar.accounts.policy import POLICY, Permission, allows, readme_section, role_table
from publisher.db import Database
from tests.accounts.conftest import ROLE_USER, session_as
from tests.conftest import REPO, api_token

# Reachable without an account, on purpose: login, the public banner/feeds/CAP, the
# citizens' SMS sign-up and provider webhooks (signed or token-checked), images that
# Instagram must fetch, the calendar feed (its own secret token), the API document.
PUBLIC = {
    "static",
    "auth.login",
    "auth.logout",
    "public.banner_json",
    "public.banner_js",
    "public_feeds.alerts_atom",
    "public_feeds.cap_index",
    "public_feeds.cap_document",
    "sms_subscribe.subscribe",
    "sms_subscribe.confirm",
    "sms_subscribe.unsubscribe",
    "sms_subscribe.inbound",
    "sms_webhooks.delivery_report",
    "post_editor.media",
    "calendar_io.feed",
    "api.openapi",
    "public_reply_hours.page",  # the city's reply hours for citizens (and the CMS as JSON)
    "public_reply_hours.as_json",
    "i18n.choose",  # Deutsch / English: the session for anyone, the user's setting when logged in
    "metrics.scrape",  # Prometheus: its own bearer token (ERNSTFALL_METRICS_TOKEN) or loopback only
}
# Checked inside the post workflow per transition (see test_post_cancel.py).
PER_TRANSITION = {"api.post_transition"}
# Any logged-in user: it only redirects to the role's start page, which checks itself.
LOGGED_IN = {"start.start"}


def _sample(rule: Rule, name: str) -> Any:
    converter = rule._converters[name]
    if isinstance(converter, IntegerConverter):
        return 999_999  # no such row: a permitted role gets a 404, a refused one a 403 first
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "unbekannt"


def _url(rule: Rule) -> str:
    values = {name: _sample(rule, name) for name in rule.arguments if name not in (rule.defaults or {})}
    built = rule.build(values, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


def _guarded(app: Flask) -> list[tuple[Rule, str, frozenset[Permission]]]:
    found = []
    for rule in app.url_map.iter_rules():
        needed = getattr(app.view_functions[rule.endpoint], "required_permissions", None)
        if needed is None:
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((rule, method, needed))
    return found


def _call(client: FlaskClient, method: str, url: str, **kwargs: Any) -> int:
    response = client.open(url, method=method, **kwargs)
    status = response.status_code
    response.close()  # the live board streams: do not read it, end it
    return status


def test_every_route_is_either_public_or_guarded_by_a_permission(app: Flask) -> None:
    unguarded = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if not hasattr(app.view_functions[rule.endpoint], "required_permissions")
    }
    assert unguarded - PUBLIC - PER_TRANSITION - LOGGED_IN == set(), "routes without a permission check"
    assert PUBLIC - unguarded == set(), "listed as public but guarded (or gone)"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_what_the_policy_grants(
    app: Flask, db: Database, everyone: dict[str, int], role: str
) -> None:
    client = app.test_client()
    session_as(client, db, ROLE_USER[role])
    tokens = {"Authorization": f"Bearer {api_token(db, ROLE_USER[role])}"}
    wrong = []
    for rule, method, needed in _guarded(app):
        is_api = rule.rule.startswith("/api/")
        status = _call(client, method, _url(rule), headers=tokens if is_api else {})
        permitted = allows([role], *needed)
        if permitted and status in (401, 403) or not permitted and status != 403:
            wrong.append(f"{method} {rule.rule}: {status} (policy: {'allowed' if permitted else 'refused'})")
    assert wrong == []


def test_anonymous_is_sent_to_the_login_and_the_api_answers_401(app: Flask, everyone: dict[str, int]) -> None:
    client = app.test_client()
    wrong = []
    for rule, method, _ in _guarded(app):
        response = client.open(_url(rule), method=method)
        if rule.rule.startswith("/api/"):
            ok = response.status_code == 401
        else:
            ok = response.status_code == 302 and "/login" in response.headers.get("Location", "")
        if not ok:
            wrong.append(f"{method} {rule.rule}: {response.status_code}")
        response.close()
    assert wrong == []


def test_an_api_token_opens_no_html_page_and_a_session_opens_no_api_route(
    app: Flask, db: Database, everyone: dict[str, int]
) -> None:
    token_only = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(db, 'admin')}"}
    session_only = app.test_client()
    session_as(session_only, db, "admin")
    wrong = []
    for rule, method, _ in _guarded(app):
        if rule.rule.startswith("/api/"):
            status = _call(session_only, method, _url(rule))
            expected = status == 401
        else:
            status = _call(token_only, method, _url(rule), headers=bearer)
            expected = status == 302
        if not expected:
            wrong.append(f"{method} {rule.rule}: {status}")
    assert wrong == []


def test_the_readme_role_table_is_the_policy() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme_section(readme) == role_table(), (
        "README role table is stale: python -m content_calendar.accounts.policy"
    )


def test_the_readme_page_table_names_the_permission_each_page_checks(app: Flask) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(/[^`]*)`[^|]*\| `([a-z_]+)` \|", readme, flags=re.MULTILINE)
    assert len(rows) >= 10
    adapter = app.url_map.bind("localhost")
    for path, permission in rows:
        try:
            endpoint, _ = adapter.match(path, method="GET")
        except RequestRedirect:  # "/planung" is served as "/planung/"
            endpoint, _ = adapter.match(path + "/", method="GET")
        needed = getattr(app.view_functions[endpoint], "required_permissions", frozenset())
        assert Permission(permission) in needed, f"{path}: README says {permission}, route checks {needed}"


def test_every_role_has_a_policy_and_admin_has_every_permission() -> None:
    assert set(POLICY) == set(ROLES)
    assert POLICY["admin"] == frozenset(Permission)
    assert all(POLICY[role] for role in ROLES)
