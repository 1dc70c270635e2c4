"""Time fields take what people type ("sofort", "14 Uhr", "morgen 9 Uhr") or say what they take."""

from __future__ import annotations

from datetime import datetime

import pytest

from content_calendar.calendar.timeutil import (
    MOMENT_FORMS,
    LocalTimeError,
    format_moment,
    parse_clock,
    parse_local,
    parse_moment,
)
from content_calendar.crisis.placeholders import PlaceholderError, validate_values

NOW = datetime(2026, 12, 2, 22, 15, 33)  # a Wednesday evening, local time
SPEC = {"bis": {"type": "time", "label": "Ende"}}


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("sofort", "22:15"),
        ("ab sofort", "22:15"),
        ("Jetzt", "22:15"),
        ("14 Uhr", "14:00"),
        ("14:30", "14:30"),
        ("14.30", "14:30"),
        ("14:30 Uhr", "14:30"),
        ("9h", "09:00"),
        ("um 9", "09:00"),
        ("heute 14 Uhr", "14:00"),
        ("morgen 9 Uhr", "03.12. 09:00"),
        ("Morgen, 9:30 Uhr", "03.12. 09:30"),
        ("übermorgen 07:30", "04.12. 07:30"),
        ("24.12. 18:30", "24.12. 18:30"),
        ("24.12.2026 18:30", "24.12. 18:30"),
        ("3.1.27 8 Uhr", "03.01.2027 08:00"),
        ("2026-12-24T18:30", "24.12. 18:30"),
    ],
)
def test_it_accepts_the_common_german_ways_to_say_a_time(typed: str, written: str) -> None:
    assert format_moment(parse_moment(typed, NOW), NOW) == written


@pytest.mark.parametrize("typed", ["25:99", "bald", "morgen", "32.12. 10:00", "14:3", "heute abend"])
def test_it_refuses_anything_else_and_lists_what_it_accepts_in_german(typed: str) -> None:
    with pytest.raises(LocalTimeError) as caught:
        parse_moment(typed, NOW)
    assert f"„{typed}“ nicht erkannt" in caught.value.message
    assert MOMENT_FORMS in caught.value.message
    assert "HH:MM" in caught.value.message and "sofort" in caught.value.message


def test_a_time_placeholder_is_normalised_so_the_alert_reads_bis_uhr_correctly() -> None:
    assert validate_values(SPEC, {"bis": "14 Uhr"}, now=NOW) == {"bis": "14:00"}
    assert validate_values(SPEC, {"bis": "sofort"}, now=NOW) == {"bis": "22:15"}
    assert validate_values(SPEC, {"bis": "morgen 9 Uhr"}, now=NOW) == {"bis": "03.12. 09:00"}


def test_normalising_a_time_twice_changes_nothing_so_send_repeats_the_preview() -> None:
    for typed in ("sofort", "14 Uhr", "morgen 9 Uhr", "24.12.2026 18:30", "3.1.27 8 Uhr"):
        once = validate_values(SPEC, {"bis": typed}, now=NOW)
        assert validate_values(SPEC, once, now=NOW) == once


def test_a_bad_time_placeholder_names_the_field_and_the_accepted_forms() -> None:
    with pytest.raises(PlaceholderError) as caught:
        validate_values(SPEC, {"bis": "gleich"}, now=NOW)
    message = caught.value.problems["bis"]
    assert message.startswith("Ende: Zeit „gleich“ nicht erkannt")
    assert "morgen 9 Uhr" in message


def test_the_editor_clock_takes_14_uhr_and_says_what_it_accepts_otherwise() -> None:
    assert parse_clock("14 Uhr").isoformat() == "14:00:00"
    assert parse_clock("8.05").isoformat() == "08:05:00"
    assert parse_local("01.07.2026", "10 Uhr", "Europe/Berlin").hour == 8  # UTC
    with pytest.raises(LocalTimeError) as caught:
        parse_clock("zehn")
    expected = "Uhrzeit „zehn“ nicht erkannt — bitte als HH:MM (z. B. 14:30, 14.30 oder 14 Uhr) angeben"
    assert caught.value.message == expected
