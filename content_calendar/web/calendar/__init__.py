"""Registers the content calendar's blueprints (editor, calendar, settings, feeds)."""

from __future__ import annotations

from flask import Flask


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
