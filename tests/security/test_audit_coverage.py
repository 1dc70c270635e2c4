"""Every change that matters leaves an audit entry (issue 15): the ones that used to be missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.accounts.models import AuditEvent, verify_audit_chain
from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.db import Database, utcnow
from publisher.settings import Settings
from tests.calendar.calendar_helpers import CHANNELS_TOML
from tests.conftest import api_token, configure_channels, login
from tests.crisis.helpers import approved_library, wait_inline
from workers.cli import main

BANNER_ONLY = """
[channels.banner]
type = "banner"
lanes = ["crisis"]
"""
ROADWORKS = {"strasse": "Hauptstraße", "bis": "18:00", "umleitung": "über den Ring"}


def entries(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_banner_set_and_clear_from_the_cli_are_audited_with_the_operating_system_account(
    db: Database, instance: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["banner", "set", "--level", "severe", "--text", "Stromausfall in der Innenstadt"]) == 0
    assert main(["banner", "clear"]) == 0
    [set_entry] = entries(db, "banner.set")
    assert set_entry.detail["via"] == "cli" and set_entry.detail["text"] == "Stromausfall in der Innenstadt"
    assert set_entry.detail["level"] == "severe" and set_entry.detail["os_user"]
    [cleared] = entries(db, "banner.cleared")
    assert cleared.detail["via"] == "cli"
    assert "nicht im Audit-Protokoll" not in capsys.readouterr().err


def test_the_banner_cli_works_without_a_database_and_says_it_could_not_audit(
    instance: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'ernstfall.db'}")
    assert main(["banner", "set", "--level", "severe", "--text", "Netz gestört"]) == 0
    err = capsys.readouterr().err
    assert "Hinweis: nicht im Audit-Protokoll vermerkt (Datenbank nicht erreichbar" in err
    assert "Netz gestört" in (instance.public_dir / "banner.json").read_text(encoding="utf-8")


def test_channel_sync_from_the_cli_is_audited_with_the_channel_names(
    db: Database, instance: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    instance.channels_file.write_text(CHANNELS_TOML, encoding="utf-8")
    assert main(["channels", "sync"]) == 0
    [synced] = entries(db, "channels.synced")
    assert synced.detail["via"] == "cli" and "mastodon" in synced.detail["channels"]


def test_slot_changes_are_audited_with_who_and_which_slot(
    client: FlaskClient, db: Database, users: dict[str, int]
) -> None:
    configure_channels(db, CHANNELS_TOML)
    login(client, "redaktion")
    client.post("/planung/sendezeiten", data={"channel": "mastodon", "weekday": "1", "time": "10:00"})
    [added] = entries(db, "slot.added")
    assert added.user_id == users["redaktion"] and added.object_kind == "queue_slots"
    assert added.detail == {"channel": "mastodon", "weekday": 1, "time": "10:00"}
    assert client.post(f"/planung/sendezeiten/{added.object_id}/loeschen").status_code == 302
    [deleted] = entries(db, "slot.deleted")
    assert deleted.object_id == added.object_id and deleted.user_id == users["redaktion"]


def test_feed_token_rotation_is_audited(client: FlaskClient, db: Database, users: dict[str, int]) -> None:
    login(client, "redaktion")
    assert client.post("/kalender/abo/neu").status_code == 302
    [rotated] = entries(db, "feed_token.rotated")
    assert rotated.user_id == users["redaktion"]


def test_a_gdpr_export_is_audited_without_the_phone_number(
    client: FlaskClient, db: Database, users: dict[str, int]
) -> None:
    with db.session() as session:
        session.add(
            SmsSubscriber(phone="+4915123456789", status=SubscriberStatus.ACTIVE, consent_at=utcnow())
        )
    login(client, "admin")
    response = client.post("/sms/verwaltung", data={"phone": "0151 23456789", "action": "export"})
    assert response.status_code == 200 and "+4915123456789" in response.get_data(as_text=True)
    [exported] = entries(db, "subscriber.exported")
    assert exported.user_id == users["admin"] and exported.object_kind == "sms_subscribers"
    assert "23456789" not in str(exported.detail)


def test_logout_is_audited(client: FlaskClient, db: Database, users: dict[str, int]) -> None:
    login(client, "fallback")
    client.post("/logout")
    [logout] = entries(db, "user.logout")
    assert logout.user_id == users["fallback"]


def test_an_alert_through_the_api_is_recorded_as_via_api(
    client: FlaskClient, db: Database, users: dict[str, int], instance: Settings
) -> None:
    configure_channels(db, BANNER_ONLY)
    approved_library(db, instance)
    created = client.post(
        "/api/v1/alerts",
        json={"template": "strassensperrung", "variables": ROADWORKS, "idempotency_key": "api-1"},
        headers={"Authorization": f"Bearer {api_token(db, 'krisenstab')}"},
    )
    assert created.status_code == 201, created.json
    wait_inline()
    [issued] = entries(db, "alert.alert")
    assert issued.detail["via"] == "api" and issued.user_id == users["krisenstab"]
    with db.session() as session:
        verdict = verify_audit_chain(session)
    assert verdict.ok, verdict.broken
