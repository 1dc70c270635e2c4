"""Staff are told once per change (mail; SMS for failing crisis channels); the CLI names failures."""

from __future__ import annotations

import pytest

from publisher.db import Database
from publisher.settings import Settings, load_settings
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.sms import FakeSeven
from tests.fakes.smtp import FakeSmtp
from workers import cli
from workers.health import run_checks

STAFF_NUMBER = "+4915112345678"


def test_a_failing_crisis_channel_also_reaches_the_staff_by_sms_through_a_working_gateway(
    channels: Settings,
    mastodon: FakeMastodon,
    seven: FakeSeven,
    smtp: FakeSmtp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ERNSTFALL_STAFF_SMS", STAFF_NUMBER)
    mastodon.token = "widerrufen"
    run_checks(load_settings())
    [sms] = seven.sent()
    assert sms.json()["to"] == STAFF_NUMBER
    assert "Krisenkanal gestört: mastodon" in sms.json()["text"]
    assert len(smtp.received) == 1
    run_checks(load_settings())  # the same state again: neither mail nor SMS
    assert len(seven.sent()) == 1 and len(smtp.received) == 1


def test_a_refused_mail_is_sent_with_the_next_check_instead_of_being_lost(
    channels: Settings, mastodon: FakeMastodon, smtp: FakeSmtp
) -> None:
    mastodon.token = "widerrufen"
    smtp.handler.script.append(("DATA", "451 4.3.0 bitte später"))
    run_checks(load_settings())
    assert smtp.received == []
    run_checks(load_settings())
    [mail] = smtp.received
    assert mail.message["Subject"] == "Ernstfall: Kanal mastodon gestört"


def test_additional_staff_addresses_from_the_settings_get_the_mail(
    channels: Settings, mastodon: FakeMastodon, smtp: FakeSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERNSTFALL_STAFF_EMAILS", "lagezentrum@kreis.example")
    mastodon.token = "widerrufen"
    run_checks(load_settings())
    [mail] = smtp.received
    assert sorted(mail.rcpt_tos) == ["krisenstab@stadt.example", "lagezentrum@kreis.example"]


def test_channels_check_exits_1_and_names_the_failing_channel(
    channels: Settings, mastodon: FakeMastodon, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["channels", "check"]) == 0
    mastodon.token = "widerrufen"
    assert cli.main(["channels", "check"]) == 1
    out, err = capsys.readouterr()
    assert "FEHLER  mastodon" in out and "OK      sms" in out
    assert "Gestörte Kanäle: mastodon" in err


def test_staff_numbers_in_the_wrong_form_are_refused_with_the_variable_named(
    instance: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERNSTFALL_STAFF_SMS", "0151 1234567")
    with pytest.raises(Exception, match="ERNSTFALL_STAFF_SMS must be numbers in E.164 form"):
        load_settings()


def test_the_weekly_digest_lists_open_warnings(
    db: Database, channels: Settings, mastodon: FakeMastodon
) -> None:
    from content_calendar.calendar.digest import compose

    mastodon.token = "widerrufen"
    run_checks(channels)
    with db.session() as session:
        body = compose(session, channels).body
    section = body.split("Kanäle mit offener Warnung oder Störung:\n", 1)[1]
    assert section.startswith("- mastodon: gestört – ")
    assert "- sms:" not in section.split("\n\n", 1)[0]
