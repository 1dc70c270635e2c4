"""The dialog's web side: the inbox API (``/api/v1/inbox``), the staff pages under ``/dialog/``
(inbox, thread and reply form, reply blocks, approvals, rumour watch, settings) and the public
reply hours (``/antwortzeiten``)."""

from __future__ import annotations

from flask import Flask


def register_dialog(app: Flask) -> None:
    from content_calendar.web.dialog import (
        approval_pages,
        block_pages,
        citizen_data_pages,
        inbox_pages,
        rumour_pages,
        settings_page,
    )
    from content_calendar.web.public import reply_hours

    for module in (
        inbox_pages,
        block_pages,
        approval_pages,
        rumour_pages,
        settings_page,
        citizen_data_pages,
        reply_hours,
    ):
        app.register_blueprint(module.bp)
