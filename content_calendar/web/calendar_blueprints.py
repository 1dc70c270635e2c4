"""Registers the content calendar's blueprints (editor, calendar, settings, feeds)."""

from __future__ import annotations

from flask import Flask


def register_calendar(app: Flask) -> None:
    from content_calendar.web import (
        cadence_views,
        calendar_admin,
        calendar_io,
        calendar_views,
        contribution_views,
        post_editor,
    )

    for module in (
        post_editor,
        calendar_views,
        calendar_admin,
        cadence_views,
        contribution_views,
        calendar_io,
    ):
        app.register_blueprint(module.bp)
