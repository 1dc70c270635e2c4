"""Registers the crisis-queue pages: console and board, templates, fallback, blackout, SMS."""

from __future__ import annotations

from flask import Flask

from publisher.settings import load_settings


def register_crisis(app: Flask) -> None:
    from content_calendar.web.crisis import blackout as blackout_views
    from content_calendar.web.crisis import console as crisis_console
    from content_calendar.web.crisis import drills as drill_views
    from content_calendar.web.crisis import fallback as fallback_console
    from content_calendar.web.crisis import template_admin
    from content_calendar.web.helpers import db_session
    from content_calendar.web.public import sms_subscribe

    pages = (crisis_console, template_admin, fallback_console, blackout_views, sms_subscribe, drill_views)
    for module in pages:
        app.register_blueprint(module.bp)
    from content_calendar.web import csrf

    csrf.exempt(sms_subscribe.inbound)  # the SMS provider cannot send a CSRF token; it is checked by secret
    app.config.setdefault("SSE_MAX_STREAMS", load_settings().sse_max_streams)

    @app.context_processor
    def _crisis_mode() -> dict[str, object]:
        """Every page (the calendar too) shows when crisis mode holds community posts."""
        from flask_login import current_user

        from content_calendar.crisis.mode import crisis_active

        if not current_user.is_authenticated:
            return {"crisis_mode": False}
        return {"crisis_mode": crisis_active(db_session())}
