"""Channel settings for admins: what is configured, and a check without posting."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from content_calendar.accounts.models import audit
from content_calendar.accounts.policy import Permission
from content_calendar.web.helpers import db_session, permission_required, settings
from content_calendar.web.i18n import gettext, localize
from publisher.models import Channel
from publisher.outbox import adapter_for

bp = Blueprint("channel_admin", __name__, url_prefix="/kanaele", template_folder="templates")


def credential_refs(channel: Channel) -> list[str]:
    """Names of the variables and files a channel reads its secrets from — never the values."""
    return [
        f"{key} = {value}"
        for key, value in sorted((channel.options or {}).items())
        if key.endswith("_env") or key.endswith("_file")
    ]


@bp.get("/")
@permission_required(Permission.CHECK_CHANNELS)
def index() -> str:
    channels = db_session().scalars(select(Channel).order_by(Channel.name)).all()
    return render_template(
        "channels.html",
        channels=channels,
        credential_refs=credential_refs,
        channels_file=settings().channels_file,
    )


@bp.post("/<int:channel_id>/pruefen")
@permission_required(Permission.CHECK_CHANNELS)
def check(channel_id: int) -> Response:
    session = db_session()
    channel = session.get(Channel, channel_id)
    if channel is None:
        flash(gettext("Kanal nicht gefunden."), "error")
        return redirect(url_for("channel_admin.index"))
    try:
        result = adapter_for(channel, settings()).check()
        ok, text = result.ok, result.text
    except Exception as exc:  # a check must report, never crash the page
        ok, text = False, gettext("Prüfung fehlgeschlagen: %(error)s", error=type(exc).__name__)
    audit(session, "channel.checked", None, channel, ok=ok)
    session.commit()
    shown = {"channel": channel.name, "text": localize(text)}
    if ok:
        flash(gettext("%(channel)s: in Ordnung – %(text)s", **shown), "info")
    else:
        flash(gettext("%(channel)s: FEHLER – %(text)s", **shown), "error")
    return redirect(url_for("channel_admin.index"))
