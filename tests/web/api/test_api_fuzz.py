"""Property-based API test: schemathesis generates requests from our OpenAPI document.

Whatever it sends — wrong types, huge numbers, odd strings, missing fields — the API must
answer with a documented status, the documented media type and a body that matches the
documented schema, and never with a 500. The document is generated from the same models
that validate the requests, so this also shows the two agree.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from content_calendar.crisis.models import AlertTemplate
from content_calendar.crisis.template_library import TEMPLATES
from publisher.db import Database, utcnow
from tests.conftest import api_token, configure_channels

CHANNELS = (
    '[channels.banner]\ntype = "banner"\nlanes = ["crisis"]\n'
    '[channels.mastodon]\ntype = "mastodon"\npreview = true\n'
)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_app(app: Flask, db: Database) -> tuple[Flask, str]:
    configure_channels(db, CHANNELS)
    with db.session() as session:
        for spec in TEMPLATES[:2]:
            session.add(AlertTemplate(**spec, approved_at=utcnow()))
    return app, api_token(db, "admin")  # admin: every route is reachable with one token


def test_no_generated_request_makes_the_api_fail(api_app: tuple[Flask, str]) -> None:
    app, token = api_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []

    for operation in schema.get_all_operations():
        op = operation.ok()
        strategy = op.as_strategy()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call()
            try:
                case.validate_response(response, checks=CHECKS)
            except (AssertionError, FailureGroup) as exc:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {exc}")

        given(strategy)(check)()
    assert failures == []


def test_an_id_too_large_for_the_database_is_a_404(client, users) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import login

    login(client, "admin")
    assert client.get("/api/v1/alerts/9223372036854775808").status_code in (401, 404)
    assert client.get("/posts/9223372036854775808").status_code == 404
