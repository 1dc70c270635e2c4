"""The alert lifecycle through the console, the CLI and the lifecycle module (inline dispatch, no Redis):
update marks, quiet close, expiry, crisis mode per level, the parallel-alert question, the approval hash."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.accounts.models import AuditEvent
from content_calendar.crisis.alerts import AlertError
from content_calendar.crisis.lifecycle import close, expire_due, issue
from content_calendar.crisis.mode import crisis_mode
from content_calendar.crisis.models import Alert
from publisher.db import Database, utcnow
from publisher.outbox.dispatch import Dispatcher
from publisher.outputs.banner import read_banner
from publisher.settings import Settings
from publisher.vocabulary import AlertState
from tests.conftest import login
from tests.crisis.helpers import alerts, console_send, deliveries, wait_inline
from workers.cli import main as cli

STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}
HEAT = {"tage": "ab Montag", "orte": "Stadtbücherei"}


@pytest.fixture
def crisis_client(client: FlaskClient, crisis_setup: Database) -> FlaskClient:
    login(client, "krisenstab")
    return client


def send(client: FlaskClient, key: str, values: dict[str, str], **extra: str) -> int:
    """Preview (as a person does), then send with the preview's approval hash."""
    token, form = console_send(client, key, values, **extra)
    preview = client.post(f"/krise/senden/{key}", data={**form, "action": "preview"})
    page = preview.get_data(as_text=True)
    found = re.search(r'name="approved_hash" value="([0-9a-f]{64})"', page)
    assert found, page
    response = client.post(f"/krise/senden/{key}", data={**form, "approved_hash": found.group(1)})
    assert response.status_code == 303, response.get_data(as_text=True)
    wait_inline()
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def issue_direct(db: Database, settings: Settings, key: str, values: dict[str, str], **kw: object) -> int:
    result = issue(
        db,
        settings,
        Dispatcher(settings, db),
        template_key=key,
        variables=values,
        idempotency_key=f"test-{key}-{len(alerts(db))}",
        user_id=None,
        via="test",
        **kw,  # type: ignore[arg-type]
    )
    wait_inline()
    return result.alert_id


def audit_actions(db: Database) -> list[str]:
    with db.session() as session:
        return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_an_update_says_aktualisierung_in_every_channel_and_starts_from_the_alert_values(
    crisis_client: FlaskClient, crisis_setup: Database
) -> None:
    first = send(crisis_client, "unwetter", STORM)
    form_page = crisis_client.get(f"/krise/senden/unwetter?art=Update&bezug={first}").get_data(as_text=True)
    assert 'value="Nordstadt"' in form_page and 'value="14:00"' in form_page

    update = send(crisis_client, "unwetter", {**STORM, "bis": "22:00"}, art="Update", bezug=str(first))
    sent = deliveries(crisis_setup, update)
    for name in ("mastodon", "banner", "x"):
        assert "Aktualisierung" in sent[name].rendered["text"], name
    with crisis_setup.session() as session:
        old = session.get(Alert, first)
        assert old is not None and old.state == AlertState.REPLACED and not old.active


def test_a_text_that_differs_from_the_preview_is_not_sent(
    crisis_client: FlaskClient, crisis_setup: Database
) -> None:
    token, form = console_send(crisis_client, "unwetter", STORM)
    response = crisis_client.post("/krise/senden/unwetter", data={**form, "approved_hash": "0" * 64})
    assert response.status_code == 409
    assert "seit der Vorschau geändert" in response.get_data(as_text=True)
    assert alerts(crisis_setup) == []


def test_a_second_alert_from_the_same_template_asks_first(
    crisis_client: FlaskClient, crisis_setup: Database
) -> None:
    send(crisis_client, "unwetter", STORM)
    page = crisis_client.get("/krise/senden/unwetter").get_data(as_text=True)
    assert "schon eine Warnung aktiv" in page
    token, form = console_send(crisis_client, "unwetter", {**STORM, "gebiet": "Südstadt"})
    refused = crisis_client.post("/krise/senden/unwetter", data=form)
    assert refused.status_code == 409 and len(alerts(crisis_setup)) == 1
    accepted = crisis_client.post("/krise/senden/unwetter", data={**form, "confirm_parallel": "1"})
    assert accepted.status_code == 303 and len(alerts(crisis_setup)) == 2


def test_info_does_not_pause_the_calendar_and_severe_does_until_closed_quietly(
    crisis_setup: Database, instance: Settings
) -> None:
    issue_direct(crisis_setup, instance, "hitzewarnung", HEAT)
    with crisis_setup.session() as session:
        assert not crisis_mode(session, instance).active
    severe = issue_direct(crisis_setup, instance, "unwetter", STORM)
    with crisis_setup.session() as session:
        mode = crisis_mode(session, instance)
        assert mode.active and mode.alert_ids == (severe,)

    closed = close(crisis_setup, instance, alert_id=severe, reason="versehentlich", user_id=None, via="test")
    assert closed.state == AlertState.CLOSED
    with crisis_setup.session() as session:
        assert not crisis_mode(session, instance).active
    assert "alert.closed" in audit_actions(crisis_setup)
    assert "crisis.ended" in audit_actions(crisis_setup)


def test_closing_needs_a_reason_and_an_active_alert(crisis_setup: Database, instance: Settings) -> None:
    alert_id = issue_direct(crisis_setup, instance, "unwetter", STORM)
    with pytest.raises(AlertError, match="Grund"):
        close(crisis_setup, instance, alert_id=alert_id, reason="  ", user_id=None, via="test")
    close(crisis_setup, instance, alert_id=alert_id, reason="Fehlalarm", user_id=None, via="test")
    with pytest.raises(AlertError, match="nicht mehr aktiv"):
        close(crisis_setup, instance, alert_id=alert_id, reason="noch mal", user_id=None, via="test")


def test_an_expired_alert_ends_crisis_mode_and_leaves_the_banner(
    crisis_setup: Database, instance: Settings
) -> None:
    alert_id = issue_direct(crisis_setup, instance, "unwetter", STORM)
    assert read_banner(instance.public_dir) is not None
    assert expire_due(crisis_setup, instance) == []
    ids = expire_due(crisis_setup, instance, now=utcnow() + timedelta(hours=instance.alert_expiry_hours + 1))
    assert ids == [alert_id]
    with crisis_setup.session() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.state == AlertState.EXPIRED
        assert not crisis_mode(session, instance).active
    assert read_banner(instance.public_dir) is None
    assert "alert.expired" in audit_actions(crisis_setup)


def test_the_cli_updates_clears_and_closes_without_web_and_redis(
    crisis_setup: Database, instance: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["alert", "send", "unwetter", "--var", "gebiet=Nordstadt", "--var", "von=14:00",
                "--var", "bis=18:00"]) == 0
    first = alerts(crisis_setup)[-1].id
    assert cli(["alert", "update", str(first), "--var", "bis=23:00"]) == 0
    update = alerts(crisis_setup)[-1]
    assert update.msg_type == "Update" and update.variables["bis"] == "23:00"
    assert update.variables["gebiet"] == "Nordstadt"  # carried over from the alert
    assert cli(["alert", "all-clear", str(update.id), "--note", "Straßen frei"]) == 0
    cancel = alerts(crisis_setup)[-1]
    assert cancel.msg_type == "Cancel" and "Straßen frei" in cancel.texts["de"]["text"]
    capsys.readouterr()
    assert cli(["alert", "list"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing == {"crisis_mode": False, "active": []}

    assert cli(["alert", "send", "unwetter", "--var", "gebiet=Süd", "--var", "von=1:00", "--var",
                "bis=2:00"]) == 0
    second = alerts(crisis_setup)[-1].id
    assert cli(["alert", "close", str(second)]) == 2
    assert "Grund" in capsys.readouterr().err
    assert cli(["alert", "close", str(second), "--reason", "Übung abgebrochen"]) == 0
    assert cli(["alert", "update", "abc"]) == 2
