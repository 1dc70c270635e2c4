"""Readiness in the web app: the alert form names channels that are down and what takes over;
the dashboard shows the lights; /metrics answers only with its token or from this machine."""

from __future__ import annotations

import re

import pytest

from publisher.db import Database
from publisher.settings import Settings
from tests.conftest import create_test_app, login
from tests.crisis.helpers import approved_library
from tests.fakes.mastodon import FakeMastodon
from workers.health import run_checks


def test_the_alert_form_says_which_channels_are_down_and_which_plan_b_takes_over(
    db: Database, channels: Settings, mastodon: FakeMastodon
) -> None:
    approved_library(db, channels)
    client = create_test_app().test_client()
    login(client, "krisenstab")
    run_checks(channels)
    page = client.get("/krise/senden/unwetter").get_data(as_text=True)
    assert 'id="readiness-down"' not in page  # all well: no box

    mastodon.token = "widerrufen"
    run_checks(channels)
    page = client.get("/krise/senden/unwetter").get_data(as_text=True)
    box = page.split('id="readiness-down"', 1)[1].split("</div>", 1)[0]
    assert re.search(r'<li data-channel="mastodon">mastodon \(mastodon\): .*Token prüfen', box)
    assert "Plan B übernimmt:" in box and 'data-channel="sms">sms<' in box
    assert 'data-channel="mastodon"' not in box.split("Plan B übernimmt:", 1)[1]


def test_the_dashboard_shows_a_light_per_channel_and_no_preview(
    db: Database, channels: Settings, mastodon: FakeMastodon
) -> None:
    client = create_test_app().test_client()
    login(client, "admin")
    mastodon.token = "widerrufen"
    run_checks(channels)
    page = client.get("/").get_data(as_text=True)
    lights = page.split('id="readiness"', 1)[1].split("</section>", 1)[0]
    assert '<li class="readiness-red" data-channel="mastodon" data-state="failing">' in lights
    assert '<li class="readiness-green" data-channel="sms" data-state="ok">' in lights
    assert 'data-channel="vorschau"' not in lights


def test_metrics_without_a_token_answer_only_this_machine(channels: Settings) -> None:
    client = create_test_app().test_client()
    local = client.get("/metrics")
    assert local.status_code == 200 and local.content_type.startswith("text/plain")
    assert 'ernstfall_deliveries_waiting{lane="crisis"} 0.0' in local.get_data(as_text=True)
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert remote.status_code == 403
    assert "nur diesem Rechner" in remote.get_data(as_text=True)


def test_metrics_with_a_token_need_it_from_everywhere(
    channels: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERNSTFALL_METRICS_TOKEN", "prom-geheim")
    client = create_test_app().test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer falsch"})
    assert wrong.status_code == 401 and "ERNSTFALL_METRICS_TOKEN" in wrong.get_data(as_text=True)
    scraped = client.get(
        "/metrics",
        headers={"Authorization": "Bearer prom-geheim"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert scraped.status_code == 200
    assert 'ernstfall_channel_state{channel="mastodon",type="mastodon"} 1.0' in scraped.get_data(as_text=True)


def test_the_health_api_needs_a_token_and_describes_itself_in_the_schema(channels: Settings) -> None:
    client = create_test_app().test_client()
    refused = client.get("/api/v1/channels/health")
    assert refused.status_code == 401
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/channels/health" in document["paths"]
