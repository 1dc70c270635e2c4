"""Local time entry across the DST changes in Europe/Berlin (2026: 29 March, 25 October)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from content_calendar.calendar.timeutil import (
    AmbiguousLocalTime,
    LocalTimeError,
    Recurrence,
    expand,
    local_to_utc,
    parse_local,
    to_local,
)

TZ = "Europe/Berlin"


def test_spring_gap_time_is_refused_with_german_message() -> None:
    with pytest.raises(LocalTimeError) as caught:
        local_to_utc(datetime(2026, 3, 29, 2, 30), TZ)
    assert "29.03.2026 02:30 Uhr gibt es nicht" in caught.value.message
    assert "Sommerzeit" in caught.value.message


def test_times_next_to_the_spring_gap_are_accepted() -> None:
    assert local_to_utc(datetime(2026, 3, 29, 1, 59), TZ) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert local_to_utc(datetime(2026, 3, 29, 3, 0), TZ) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_autumn_fold_asks_which_and_offers_both_options() -> None:
    with pytest.raises(AmbiguousLocalTime) as caught:
        local_to_utc(datetime(2026, 10, 25, 2, 30), TZ)
    labels = [o.label for o in caught.value.options]
    assert labels == ["erste (Sommerzeit, +02:00)", "zweite (Winterzeit, +01:00)"]
    utcs = [o.utc for o in caught.value.options]
    assert utcs == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)]


def test_autumn_fold_choice_decides_the_instant() -> None:
    first = parse_local("25.10.2026", "02:30", TZ, fold=0)
    second = parse_local("2026-10-25", "02:30", TZ, fold=1)
    assert second - first == (datetime(2026, 1, 1, 1) - datetime(2026, 1, 1, 0))
    assert to_local(second, TZ).strftime("%H:%M %z") == "02:30 +0100"


def test_ordinary_local_time_is_stored_in_utc() -> None:
    assert parse_local("01.07.2026", "10:00", TZ) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert parse_local("01.12.2026", "10:00", TZ) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_bad_date_and_time_get_specific_messages() -> None:
    with pytest.raises(LocalTimeError, match="Datum „32.13.2026“ nicht erkannt"):
        parse_local("32.13.2026", "10:00", TZ)
    with pytest.raises(LocalTimeError, match="Uhrzeit „25:99“ nicht erkannt"):
        parse_local("01.07.2026", "25:99", TZ)


def test_weekly_series_keeps_wall_clock_time_across_both_changes() -> None:
    # Every Tuesday 10:00 from mid-March to mid-November: crosses both DST changes.
    start = datetime(2026, 3, 17, 10, 0)
    occurrences = expand(start, Recurrence("weekly", until=date(2026, 11, 10)), TZ)
    assert len(occurrences) == 35
    assert all(to_local(o, TZ).strftime("%a %H:%M") == "Tue 10:00" for o in occurrences)
    assert occurrences[0] == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)  # winter time
    assert occurrences[2] == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # summer time
    assert occurrences[-1] == datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # winter again
    assert {o.minute for o in occurrences} == {0}


def test_weekly_series_on_two_weekdays() -> None:
    occurrences = expand(
        datetime(2026, 10, 20, 10, 0), Recurrence("weekly", count=4, byweekday=("TU", "TH")), TZ
    )
    local = [to_local(o, TZ).strftime("%d.%m. %H:%M") for o in occurrences]
    assert local == ["20.10. 10:00", "22.10. 10:00", "27.10. 10:00", "29.10. 10:00"]


def test_monthly_series_keeps_wall_clock_time() -> None:
    occurrences = expand(datetime(2026, 1, 15, 18, 30), Recurrence("monthly", count=12), TZ)
    assert [to_local(o, TZ).strftime("%H:%M") for o in occurrences] == ["18:30"] * 12
    assert occurrences[5] == datetime(2026, 6, 15, 16, 30, tzinfo=UTC)


def test_series_landing_in_the_spring_gap_is_refused() -> None:
    with pytest.raises(LocalTimeError, match="29.03.2026 02:30 Uhr gibt es nicht"):
        expand(datetime(2026, 3, 22, 2, 30), Recurrence("weekly", count=3), TZ)


def test_series_without_end_is_refused() -> None:
    with pytest.raises(LocalTimeError, match="Anzahl oder Enddatum"):
        expand(datetime(2026, 3, 22, 10, 0), Recurrence("weekly"), TZ)
