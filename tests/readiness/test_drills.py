"""Drill plans: the rule's dates (the national warning day included), and bad plans refused in German."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from content_calendar.crisis.drill_plan import (
    DrillError,
    DrillPlan,
    DrillRule,
    Rule,
    due_at,
    last_occurrence,
    next_occurrence,
    parse_rule,
    parse_time,
    warning_day,
)
from publisher.db import Database
from publisher.settings import Settings
from tests.conftest import configure_channels
from tests.crisis.helpers import approved_library
from workers.cli import main


def test_the_national_warning_day_is_the_second_thursday_in_september() -> None:
    assert warning_day(2026) == date(2026, 9, 10)
    assert warning_day(2027) == date(2027, 9, 9)
    assert warning_day(2020) == date(2020, 9, 10)  # the first one after the reunification drills


def test_the_warning_day_drill_is_at_eleven_berlin_time_which_is_nine_utc_in_summer() -> None:
    rule = parse_rule("Warntag")
    assert rule == Rule(DrillRule.WARNING_DAY)
    assert parse_time(None, rule) == "11:00"
    assert due_at(date(2026, 9, 10), "11:00", "Europe/Berlin") == datetime(2026, 9, 10, 9, 0, tzinfo=UTC)


def test_monthly_rules_find_the_next_and_the_last_date() -> None:
    plan = DrillPlan(name="monatlich", rule=DrillRule.MONTHLY_WEEKDAY, ordinal=1, weekday=2, at_time="10:00")
    now = datetime(2026, 1, 7, 8, 30, tzinfo=UTC)  # 09:30 in Berlin on the first Wednesday
    assert next_occurrence(plan, now, "Europe/Berlin") == (
        date(2026, 1, 7),
        datetime(2026, 1, 7, 9, 0, tzinfo=UTC),
    )
    assert last_occurrence(plan, now, "Europe/Berlin") == (
        date(2025, 12, 3),
        datetime(2025, 12, 3, 9, 0, tzinfo=UTC),
    )
    last_friday = DrillPlan(name="x", rule=DrillRule.MONTHLY_WEEKDAY, ordinal=-1, weekday=4, at_time="09:15")
    assert next_occurrence(last_friday, now, "Europe/Berlin")[0] == date(2026, 1, 30)  # type: ignore[index]
    warntag = DrillPlan(name="warntag", rule=DrillRule.WARNING_DAY, at_time="11:00")
    assert next_occurrence(warntag, now, "Europe/Berlin")[0] == date(2026, 9, 10)  # type: ignore[index]
    assert next_occurrence(warntag, datetime(2026, 9, 10, 9, 1, tzinfo=UTC), "Europe/Berlin")[0] == date(
        2027, 9, 9
    )  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("monatlich 5. Mittwoch", "nur der 1. bis 4. oder der letzte Wochentag"),
        ("monatlich 31.", "Tag 31 gibt es nicht in jedem Monat"),
        ("monatlich 1. Mittwch", "„mittwch“ ist kein Wochentag"),
        ("jeden Tag", "nicht verstanden. Möglich sind"),
    ],
)
def test_it_refuses_a_rule_it_cannot_keep_with_a_german_message(text: str, problem: str) -> None:
    with pytest.raises(DrillError) as refused:
        parse_rule(text)
    assert problem in refused.value.message


def test_it_refuses_a_bad_time_with_a_german_message() -> None:
    with pytest.raises(DrillError, match="Uhrzeit „25:00“ ungültig"):
        parse_time("25:00", Rule(DrillRule.MONTHLY_DAY, day=1))


NO_DRILL_CHANNEL = """
[channels.banner]
type = "banner"
lanes = ["crisis"]
"""


def test_the_cli_refuses_a_plan_that_would_reach_no_drill_channel(
    db: Database, instance: Settings, users: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    configure_channels(db, NO_DRILL_CHANNEL)
    approved_library(db, instance)
    plan = ["drills", "plan", "monatlich", "--vorlage", "probealarm", "--regel", "monatlich 1. Mittwoch"]
    assert main(plan) == 2
    assert "zeit: Zeitpunkt des Probealarms: Angabe fehlt" in capsys.readouterr().err
    assert main([*plan, "--var", "zeit={uhrzeit}"]) == 2
    err = capsys.readouterr().err
    assert "erreicht keinen Übungskanal" in err and "drill = true" in err
    assert main(["drills", "plan", "monatlich", "--vorlage", "gibtsnicht", "--regel", "warntag"]) == 2
    assert "Unbekannte Vorlage 'gibtsnicht'" in capsys.readouterr().err
    assert main(["drills", "plan", "Monatlich!", "--vorlage", "probealarm", "--regel", "warntag"]) == 2
    assert "Name „Monatlich!“ ungültig" in capsys.readouterr().err
    assert main(["drills", "list"]) == 0
    assert "Keine Probewarnung geplant" in capsys.readouterr().out
