"""Sign-up sends its code with no database transaction open (issue 10).

On SQLite one open write transaction stops every other writer. A sign-up that held
one while the SMS gateway was slow made an alert go out 28 s late.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select, text

from content_calendar.crisis.models import Alert
from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.db import Database
from publisher.outbox.sms_status import SmsRecipientStatus
from publisher.settings import Settings
from tests.conftest import create_test_app
from tests.crisis.helpers import wait_inline
from tests.fakes.http import Scripted
from tests.fakes.sms import FakeSeven
from tests.subscribers.conftest import send_alert

GATEWAY_SECONDS = 10.0
ROADWORKS = {"strasse": "Hauptstraße", "bis": "18:00", "umleitung": "über den Ring"}


def sign_up(app: Any, phone: str, outcome: dict[str, Any]) -> None:
    started = time.monotonic()
    response = app.test_client().post("/sms/", data={"phone": phone, "language": "de", "consent": "1"})
    outcome.update(
        status=response.status_code, page=response.get_data(as_text=True), seconds=time.monotonic() - started
    )


def test_an_alert_commits_within_a_second_while_a_sign_up_waits_ten_seconds_on_the_gateway(
    sms_setup: Database,
    instance: Settings,
    users: dict[str, int],
    seven: FakeSeven,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with sms_setup.engine.connect() as connection:  # production's set-up: a file database in WAL mode
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert sms_setup.url.startswith("sqlite:///") and instance.home.exists()
    monkeypatch.setenv("ERNSTFALL_HTTP_TIMEOUT", "30")  # the gateway is slow, not gone
    app = create_test_app()
    seven.delay = GATEWAY_SECONDS
    outcome: dict[str, Any] = {}
    signup = threading.Thread(target=sign_up, args=(app, "0151 23456789", outcome))
    signup.start()
    seven.wait_for(lambda r: r.path == "/api/sms", timeout=10)  # the code SMS is at the gateway now

    started = time.monotonic()
    alert = send_alert(app, users["krisenstab"], "strassensperrung", ROADWORKS, "during-slow-signup")
    alert_seconds = time.monotonic() - started
    still_waiting = signup.is_alive()
    signup.join(GATEWAY_SECONDS * 4)
    wait_inline()

    assert alert.created
    assert alert_seconds < 1.0, f"alert committed after {alert_seconds:.1f} s"
    assert still_waiting, "the sign-up was not waiting on the gateway while the alert was made"
    assert outcome["status"] == 200 and outcome["seconds"] >= GATEWAY_SECONDS
    with sms_setup.session() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
        row = session.scalar(select(SmsSubscriber))
        assert row is not None and row.phone == "+4915123456789" and row.status == SubscriberStatus.PENDING
        assert row.code_hash is not None


def test_the_code_sms_leaves_no_per_recipient_status_behind(
    sms_setup: Database, client: Any, seven: FakeSeven
) -> None:
    page = client.post("/sms/", data={"phone": "0151 23456789", "language": "de", "consent": "1"})
    assert page.status_code == 200
    assert "Ihr Code zur Anmeldung" in seven.sent()[-1].json()["text"]
    with sms_setup.session() as session:
        assert session.scalars(select(SmsRecipientStatus)).all() == []


def test_a_code_that_could_not_be_sent_keeps_no_number_and_does_not_block_a_new_try(
    sms_setup: Database, client: Any, seven: FakeSeven
) -> None:
    seven.enqueue(Scripted(500, {"error": "maintenance"}, path_prefix="/api/sms"))
    form = {"phone": "0151 23456789", "language": "de", "consent": "1"}
    failed = client.post("/sms/", data=form)
    assert failed.status_code == 503
    assert "SMS konnte nicht gesendet werden – bitte später erneut versuchen" in failed.get_data(as_text=True)
    with sms_setup.session() as session:
        assert session.scalars(select(SmsSubscriber)).all() == []
        assert session.scalars(select(SmsRecipientStatus)).all() == []
    again = client.post("/sms/", data=form)
    assert again.status_code == 200  # not "bitte eine Minute warten": the first code never arrived
    assert len(seven.sent()) == 2


def test_unsubscribing_by_code_that_could_not_be_sent_keeps_the_subscription(
    sms_setup: Database, client: Any, seven: FakeSeven
) -> None:
    with sms_setup.session() as session:
        session.add(SmsSubscriber(phone="+4915123456789", status=SubscriberStatus.ACTIVE))
    seven.enqueue(Scripted(500, {"error": "maintenance"}, path_prefix="/api/sms"))
    failed = client.post("/sms/", data={"phone": "0151 23456789", "purpose": "unsubscribe"})
    assert failed.status_code == 503
    with sms_setup.session() as session:
        row = session.scalar(select(SmsSubscriber))
        assert row is not None and row.status == SubscriberStatus.ACTIVE
        assert row.code_hash is None and row.code_expires_at is None  # a new try is allowed at once


def test_a_second_request_while_the_first_code_is_on_its_way_is_told_to_wait(
    sms_setup: Database, client: Any, seven: FakeSeven
) -> None:
    form = {"phone": "0151 23456789", "language": "de", "consent": "1"}
    assert client.post("/sms/", data=form).status_code == 200
    second = client.post("/sms/", data=form)
    assert second.status_code == 429
    assert "bitte eine Minute warten" in second.get_data(as_text=True)
    assert len(seven.sent()) == 1
