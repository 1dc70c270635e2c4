"""Free-text replies waiting for a second person: approve (then it goes out) or send back."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.policy import Permission
from content_calendar.dialog import replies
from content_calendar.dialog.inbox import InboxError
from content_calendar.dialog.models import InboxReply
from content_calendar.web.dialog.common import item_view, reply_preview, user_names
from content_calendar.web.helpers import db_session, dispatcher, permission_required, settings
from content_calendar.web.i18n import gettext, localize
from publisher.db import utcnow
from publisher.vocabulary import ReplyState

bp = Blueprint("dialog_approvals", __name__, url_prefix="/dialog/freigaben", template_folder="templates")


def _waiting() -> list[InboxReply]:
    return list(
        db_session().scalars(
            select(InboxReply)
            .where(InboxReply.state == ReplyState.AWAITING_APPROVAL, InboxReply.automatic.is_(False))
            .order_by(InboxReply.created_at, InboxReply.id)
        )
    )


def _page(status: int = 200) -> ResponseReturnValue:
    session = db_session()
    now = utcnow()
    rows = [
        (answer, item_view(session, answer.item, now), reply_preview(answer.item, answer.text))
        for answer in _waiting()
    ]
    return render_template("dialog_approvals.html", rows=rows, names=user_names(session)), status


@bp.get("/")
@permission_required(Permission.APPROVE_REPLY_BLOCKS)
def index() -> ResponseReturnValue:
    return _page()


def _reply_or_404(reply_id: int) -> InboxReply:
    answer = db_session().get(InboxReply, reply_id)
    if answer is None:
        abort(404, gettext("Antwort %(id)d nicht gefunden", id=reply_id))
    return answer


@bp.post("/<int:reply_id>/freigeben")
@permission_required(Permission.APPROVE_REPLY_BLOCKS)
def approve(reply_id: int) -> ResponseReturnValue:
    session = db_session()
    answer = _reply_or_404(reply_id)
    try:
        delivery = replies.approve(session, settings(), answer, current_user.id)
        due = [(delivery.id, delivery.lane)]
        session.commit()
    except InboxError as exc:
        session.rollback()
        flash(localize(exc.message), "error")
        return _page(exc.status)
    dispatcher().enqueue(due)  # after the commit, never before
    flash(gettext("Antwort freigegeben und an den Kanal übergeben."), "info")
    return redirect(url_for("dialog_approvals.index"), code=303)


@bp.post("/<int:reply_id>/zurueckgeben")
@permission_required(Permission.APPROVE_REPLY_BLOCKS)
def send_back(reply_id: int) -> ResponseReturnValue:
    session = db_session()
    answer = _reply_or_404(reply_id)
    try:
        replies.reject(session, answer, current_user.id)
        session.commit()
    except InboxError as exc:
        session.rollback()
        flash(localize(exc.message), "error")
        return _page(exc.status)
    flash(gettext("Antwort zurückgegeben: sie geht nicht hinaus; der Eintrag bleibt offen."), "info")
    return redirect(url_for("dialog_approvals.index"), code=303)
