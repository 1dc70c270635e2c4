"""Planned test alerts through the real scheduler tick, against fake platforms on loopback.

A drill that is due goes out once, to the drill channels (the internal test audience) only;
its results per channel appear on the console, in the API and in ``ernstfall channels check``;
a platform that rejects the drill turns its channel red with the platform's reason and the
staff are told once; while a real alert is active the drill is skipped and recorded so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from content_calendar.crisis.drill_plan import DrillPlan, DrillRun
from content_calendar.crisis.lifecycle import issue
from content_calendar.crisis.models import Alert
from publisher.db import Database, utcnow
from publisher.outbox.dispatch import Dispatcher
from publisher.settings import Settings, load_settings
from tests.conftest import api_token, configure_channels, create_test_app, login
from tests.crisis.helpers import approved_library, wait_inline
from tests.fakes.http import Scripted
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.smtp import FakeSmtp
from tests.readiness.conftest import STAFF
from tests.readiness.test_token_rejected import health, light
from workers.cli import main
from workers.scheduler import run_once

CHANNELS = """
[channels.mastodon]
type = "mastodon"
base_url = "{public}"
token_env = "TEST_MASTODON_TOKEN"

[channels.uebung]
type = "mastodon"
base_url = "{test}"
token_env = "TEST_UEBUNG_TOKEN"
drill = true

[channels.banner]
type = "banner"
lanes = ["crisis"]
drill = true
"""
WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


@pytest.fixture
def uebung(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    """The internal test account the drills go to."""
    fake = FakeMastodon(token="uebung-token").start()
    monkeypatch.setenv("TEST_UEBUNG_TOKEN", "uebung-token")
    yield fake
    fake.stop()


@pytest.fixture
def drill_setup(
    db: Database,
    instance: Settings,
    users: dict[str, int],
    mastodon: FakeMastodon,
    uebung: FakeMastodon,
    smtp: FakeSmtp,
) -> Settings:
    configure_channels(db, CHANNELS.format(public=mastodon.url, test=uebung.url))
    approved_library(db, instance)
    from content_calendar.accounts.models import User

    with db.session() as session:
        staff = session.get(User, users["krisenstab"])
        assert staff is not None
        staff.email = STAFF
    return load_settings()


def plan_due_now(db: Database, settings: Settings) -> None:
    """A monthly plan whose occurrence is this minute, planned a month ago (as an admin would)."""
    local = datetime.now(ZoneInfo(settings.timezone))
    nth = (local.day - 1) // 7 + 1
    rule = (
        f"monatlich {nth}. {WEEKDAYS[local.weekday()]}"
        if nth <= 4
        else f"letzter {WEEKDAYS[local.weekday()]}"
    )
    code = main(
        [
            "drills",
            "plan",
            "monatlich",
            "--vorlage",
            "probealarm",
            "--regel",
            rule,
            "--uhrzeit",
            local.strftime("%H:%M"),
            "--var",
            "zeit={uhrzeit}",
        ]
    )
    assert code == 0
    with db.session() as session:
        session.execute(update(DrillPlan).values(active_from=utcnow() - timedelta(days=40)))


def tick(settings: Settings, dispatcher: Dispatcher) -> None:
    """One real scheduler tick, then wait for what it started in threads (sends, checks)."""
    run_once(settings, dispatcher)
    wait_inline()
    for thread in threading.enumerate():
        if thread.name == "readiness":
            thread.join(timeout=30)


def drills_api(db: Database) -> dict[str, object]:
    client = create_test_app().test_client()
    response = client.get(
        "/api/v1/channels/drills", headers={"Authorization": f"Bearer {api_token(db, 'admin')}"}
    )
    assert response.status_code == 200, response.data
    body: dict[str, object] = response.get_json()
    return body


def test_a_due_drill_goes_out_once_to_the_drill_channels_only_and_its_results_show_everywhere(
    db: Database,
    drill_setup: Settings,
    mastodon: FakeMastodon,
    uebung: FakeMastodon,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = drill_setup
    plan_due_now(db, settings)
    dispatcher = Dispatcher(settings, db)
    for _ in range(3):  # the same occurrence on every tick: issued once
        tick(settings, dispatcher)

    assert len(uebung.posted()) == 1 and "ÜBUNG" in uebung.posted()[0].form()["status"][0]
    assert mastodon.posted() == []  # the public account never sees a drill
    with db.session() as session:
        [alert] = session.scalars(select(Alert)).all()
        assert alert.status == "Exercise"
        [run] = session.scalars(select(DrillRun)).all()
        assert (run.state, run.alert_id, run.settled_at is not None) == ("issued", alert.id, True)
        # settled: the drill leaves the board and the banner instead of waiting for its expiry
        assert (alert.active, alert.state) == (False, "closed")

    [run_out] = drills_api(db)["runs"]  # type: ignore[misc]
    results = {c["channel"]: c for c in run_out["channels"]}
    assert set(results) == {"uebung", "banner"}
    assert results["uebung"]["outcome"] == "delivered" and 0 <= results["uebung"]["seconds"] < 30

    client = create_test_app().test_client()
    login(client, "krisenstab")
    page = client.get("/krise/").get_data(as_text=True)
    assert "Probewarnungen" in page
    assert 'data-channel="uebung" data-outcome="delivered"' in page
    assert light(client, "uebung") == "green"
    english = client.get("/krise/?lang=en").get_data(as_text=True)
    assert "Test alerts" in english and ">delivered<" in english and "Probewarnungen" not in english

    capsys.readouterr()
    assert main(["channels", "check"]) == 0
    out = capsys.readouterr().out
    assert "Probewarnungen:" in out and "monatlich – ausgelöst" in out
    assert any(line.split()[:2] == ["uebung", "zugestellt"] for line in out.splitlines())


def test_a_drill_the_platform_rejects_turns_its_channel_red_with_the_reason_and_tells_the_staff_once(
    db: Database,
    drill_setup: Settings,
    uebung: FakeMastodon,
    smtp: FakeSmtp,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = drill_setup
    reason = "Validation failed: Text enthält ein gesperrtes Wort"
    uebung.script.append(Scripted(422, {"error": reason}, path_prefix="/api/v1/statuses"))
    plan_due_now(db, settings)
    dispatcher = Dispatcher(settings, db)
    for _ in range(3):  # issue; read the result; the readiness check folds it in and notifies
        tick(settings, dispatcher)

    [run_out] = drills_api(db)["runs"]  # type: ignore[misc]
    results = {c["channel"]: c for c in run_out["channels"]}
    assert results["uebung"]["outcome"] == "failed" and reason in results["uebung"]["reason"]
    assert results["banner"]["outcome"] == "delivered"

    client = create_test_app().test_client()
    login(client, "krisenstab")
    assert light(client, "uebung") == "red"  # its credentials are fine; the drill was not
    assert light(client, "banner") == "green"
    row = health(client, api_token(db, "admin"))["uebung"]
    assert row["state"] == "failing" and "Probewarnung vom" in str(row["reason"])
    assert reason in str(row["reason"])
    [mail] = smtp.received
    assert mail.message["Subject"] == "Ernstfall: Kanal uebung gestört" and mail.rcpt_tos == [STAFF]
    assert reason in mail.message.get_content()

    capsys.readouterr()
    assert main(["channels", "check"]) == 1  # still red until a drill on it succeeds
    captured = capsys.readouterr()
    assert "uebung" in captured.err
    assert any("fehlgeschlagen" in line and reason in line for line in captured.out.splitlines())
    assert len(smtp.received) == 1  # no second mail for the same state


def test_a_drill_is_skipped_and_recorded_while_a_real_alert_is_active(
    db: Database,
    drill_setup: Settings,
    uebung: FakeMastodon,
) -> None:
    settings = drill_setup
    dispatcher = Dispatcher(settings, db)
    real = issue(
        db,
        settings,
        dispatcher,
        template_key="hitzewarnung",
        variables={"tage": "Mo–Mi", "orte": "Rathaus"},
        idempotency_key="echt-1",
        user_id=None,
        via="cli",
    )
    wait_inline()
    plan_due_now(db, settings)
    tick(settings, dispatcher)
    tick(settings, dispatcher)

    statuses = [r.form()["status"][0] for r in uebung.posted()]
    assert len(statuses) == 1 and "Hitzewarnung" in statuses[0]  # the real alert, no drill
    assert not any("ÜBUNG" in text for text in statuses)
    with db.session() as session:
        [run] = session.scalars(select(DrillRun)).all()
        assert run.state == "skipped" and f"echte Warnung #{real.alert_id} ist aktiv" in run.reason
        assert session.scalar(select(Alert).where(Alert.status == "Exercise")) is None
    page_runs = drills_api(db)["runs"]
    assert [r["state"] for r in page_runs] == ["skipped"]  # type: ignore[index, union-attr]


def test_a_plan_whose_drill_channels_are_gone_is_flagged_and_its_drill_not_sent_into_nothing(
    db: Database, drill_setup: Settings, uebung: FakeMastodon, mastodon: FakeMastodon
) -> None:
    settings = drill_setup
    plan_due_now(db, settings)
    no_drill = CHANNELS.replace("drill = true\n", "")
    configure_channels(db, no_drill.format(public=mastodon.url, test=uebung.url))
    [plan] = drills_api(db)["plans"]  # type: ignore[misc]
    assert "erreicht keinen Übungskanal" in plan["problem"]
    client = create_test_app().test_client()
    login(client, "krisenstab")
    page = client.get("/krise/").get_data(as_text=True)
    assert 'data-plan="monatlich" class="readiness-red"' in page and "erreicht keinen Übungskanal" in page

    tick(settings, Dispatcher(settings, db))
    assert uebung.posted() == [] and mastodon.posted() == []
    [run] = drills_api(db)["runs"]  # type: ignore[misc]
    assert run["state"] == "failed" and "erreicht keinen Übungskanal" in run["reason"]
