"""Registers the content calendar's blueprints (editor, calendar, settings, feeds)."""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date, format_skeleton
from flask import Flask
from flask_babel import get_locale

from content_calendar.catalogues import DEFAULT_LANGUAGE
from content_calendar.web.i18n import short_date


def register_calendar(app: Flask) -> None:
    from content_calendar.web.calendar import admin as calendar_admin
    from content_calendar.web.calendar import cadence as cadence_views
    from content_calendar.web.calendar import contributions as contribution_views
    from content_calendar.web.calendar import io as calendar_io
    from content_calendar.web.calendar import post_editor
    from content_calendar.web.calendar import views as calendar_views

    for module in (
        post_editor,
        calendar_views,
        calendar_admin,
        cadence_views,
        contribution_views,
        calendar_io,
    ):
        app.register_blueprint(module.bp)
    app.context_processor(_calendar_context)


# -- dates on the calendar pages, in the reader's language (Babel) ---------------------------


def reader_locale() -> Locale:
    return get_locale() or Locale.parse(DEFAULT_LANGUAGE)


def day_month(day: date) -> str:
    """``07.12.`` in German, ``12/07`` in English."""
    return str(format_skeleton("MMdd", day, locale=reader_locale()))


def month_name(day: date) -> str:
    """The month standing alone: ``Dezember`` / ``December``."""
    return str(format_date(day, "LLLL", locale=reader_locale()))


def month_year(day: date) -> str:
    """``Dezember 2026`` / ``December 2026``."""
    return str(format_skeleton("yMMMM", day, locale=reader_locale()))


def _calendar_context() -> dict[str, object]:
    return {
        "day_month": day_month,
        "month_name": month_name,
        "month_year": month_year,
        "short_date": short_date,
    }
