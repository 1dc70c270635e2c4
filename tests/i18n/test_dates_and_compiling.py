"""Dates and weekdays in the reader's language; catalogues compiled on a fresh clone."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask

from content_calendar.catalogues import CATALOGUE_DIR, compile_catalogues
from content_calendar.web.i18n import local_datetime, short_date, weekday_short

MONDAY_EVENING_UTC = datetime(2026, 12, 7, 22, 30, 5, tzinfo=UTC)  # Tuesday 23:30 in Berlin


def test_weekdays_and_dates_in_german(app: Flask) -> None:
    with app.test_request_context("/login"):
        assert weekday_short(date(2026, 12, 7)) == "Mo"
        assert short_date(date(2026, 12, 7)) == "07.12.2026"
        assert local_datetime(MONDAY_EVENING_UTC, "Europe/Berlin") == "07.12.2026, 23:30"
        assert local_datetime(MONDAY_EVENING_UTC, "Europe/Berlin", "%d.%m. %H:%M:%S") == "07.12., 23:30:05"


def test_weekdays_and_dates_in_english(app: Flask) -> None:
    with app.test_request_context("/login?lang=en"):
        app.preprocess_request()  # ?lang= is read before the view, as for a real request
        assert weekday_short(date(2026, 12, 7)) == "Mon"
        assert short_date(date(2026, 12, 7)) == "12/7/2026"
        assert local_datetime(MONDAY_EVENING_UTC, "Europe/Berlin", "%d.%m.%Y") == "12/7/2026"
        assert local_datetime(MONDAY_EVENING_UTC, "Europe/Berlin") == "12/7/2026, 23:30"


def test_times_are_shown_in_the_city_time_zone(app: Flask) -> None:
    with app.test_request_context("/login"):
        assert local_datetime(datetime(2026, 7, 1, 22, 0, tzinfo=UTC), "Europe/Berlin", "%H:%M") == "00:00"
        assert local_datetime(None, "Europe/Berlin") == "—"


def test_a_fresh_clone_gets_its_mo_files_compiled(tmp_path: Path) -> None:
    copy = tmp_path / "translations"
    shutil.copytree(CATALOGUE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    assert not list(copy.glob("*/LC_MESSAGES/messages.mo"))
    written = compile_catalogues(copy)
    assert sorted(path.parent.parent.name for path in written) == ["de", "en"]
    assert compile_catalogues(copy) == []  # up to date: nothing written again
