"""GDPR per author from an inbox entry: export everything stored about its author, or delete it.

Only roles with ``manage_citizen_data`` (admins). Both are POST requests: an export is personal
data, not a page to be cached or crawled; the audit log records the count, never the content.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from content_calendar.accounts.models import audit
from content_calendar.accounts.policy import Permission
from content_calendar.dialog import inbox
from content_calendar.dialog.inbox import InboxError
from content_calendar.dialog.models import InboxItem
from content_calendar.web.helpers import db_session, permission_required
from content_calendar.web.i18n import gettext, localize, ngettext

bp = Blueprint("dialog_citizen_data", __name__, url_prefix="/dialog")


def _item(item_id: int) -> InboxItem:
    try:
        return inbox.get_item(db_session(), item_id)
    except InboxError as exc:
        abort(exc.status, localize(exc.message))


@bp.post("/<int:item_id>/daten-export")
@permission_required(Permission.MANAGE_CITIZEN_DATA)
def export(item_id: int) -> ResponseReturnValue:
    session = db_session()
    item = _item(item_id)
    data = inbox.export_author(session, item.author_handle)
    audit(session, "inbox.author_exported", current_user.id, item, count=len(data))
    session.commit()
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="posteingang-{item_id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:item_id>/daten-loeschen")
@permission_required(Permission.MANAGE_CITIZEN_DATA)
def delete(item_id: int) -> ResponseReturnValue:
    session = db_session()
    item = _item(item_id)
    if request.form.get("bestaetigt") != "1":
        flash(gettext("Bitte bestätigen, dass alle Einträge dieser Person gelöscht werden sollen."), "error")
        return redirect(url_for("dialog.thread", item_id=item_id, _anchor="citizen-data-h"), code=303)
    count = inbox.delete_author(session, item.author_handle, current_user.id)
    session.commit()
    flash(
        ngettext(
            "%(num)d Eintrag dieser Person gelöscht.", "%(num)d Einträge dieser Person gelöscht.", count
        ),
        "info",
    )
    return redirect(url_for("dialog.index"), code=303)
