"""The inbox pages: the list (filters, assign), one thread with its reply form, closing.

A reply with an approved block goes to the outbox at once; free text waits for a second person
(four eyes). The reply is committed before the outbox is nudged: no transaction is open while
anything talks to a platform.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.models import User
from content_calendar.accounts.policy import Permission, allows
from content_calendar.catalogues import N_
from content_calendar.crisis.placeholders import TYPE_LABELS, PlaceholderError
from content_calendar.dialog import blocks, inbox, replies, rumours
from content_calendar.dialog.inbox import InboxError, InboxFilter
from content_calendar.dialog.models import InboxItem, ReplyBlock
from content_calendar.dialog.replies import TEXT_MAX
from content_calendar.web.dialog.common import (
    ItemView,
    ReplyPreview,
    answerers,
    item_view,
    reply_preview,
    suggested_blocks,
    user_names,
)
from content_calendar.web.helpers import db_session, dispatcher, permission_required, settings
from content_calendar.web.i18n import gettext, localize, translated_labels
from publisher.db import utcnow
from publisher.models import Channel
from publisher.vocabulary import InboxState, ReplyState

bp = Blueprint("dialog", __name__, url_prefix="/dialog", template_folder="templates")

PAGE_SIZE = 100
PAGE_MAX = 100_000
STATE_FILTERS = {
    "open": N_("offen (neu oder zugewiesen)"),
    InboxState.NEW.value: N_("neu"),
    InboxState.ASSIGNED.value: N_("zugewiesen"),
    InboxState.ANSWERED.value: N_("beantwortet"),
    InboxState.CLOSED.value: N_("geschlossen"),
    "all": N_("alle"),
}
REASON_MAX = 500
NO_BLOCK = N_("Antwortbaustein „%(key)s“ gibt es nicht oder er ist nicht freigegeben")
CLOSED = N_("Der Eintrag ist geschlossen; er kann nicht mehr beantwortet werden")
NOT_AN_ANSWERER = N_("Bitte eine Person wählen, die Bürger:innen antworten darf")
REPLY_STATES = {
    ReplyState.AWAITING_APPROVAL.value: N_("wartet auf Freigabe"),
    ReplyState.QUEUED.value: N_("an den Kanal übergeben"),
    ReplyState.REJECTED.value: N_("zurückgegeben"),
}


# -- the list --------------------------------------------------------------------------------


def _filters() -> tuple[InboxFilter, dict[str, str], dict[str, str]]:
    """The list's filters from the query string, and a problem per bad one (reader's language)."""
    errors: dict[str, str] = {}
    state = request.args.get("status", "open")
    if state not in STATE_FILTERS:
        errors["status"] = gettext(
            "Unbekannter Status „%(state)s“; bitte aus der Liste wählen", state=state[:40]
        )
        state = "open"
    channel = request.args.get("kanal", "")
    names = set(db_session().scalars(select(Channel.name)))
    if channel and channel not in names:
        errors["kanal"] = gettext("Kanal „%(channel)s“ gibt es nicht", channel=channel[:40])
        channel = ""
    page_text = request.args.get("seite", "1")
    page = int(page_text) if page_text.isascii() and page_text.isdigit() else 0
    if not 1 <= page <= PAGE_MAX:
        errors["seite"] = gettext("Seite muss eine Zahl von 1 bis %(max)d sein", max=PAGE_MAX)
        page = 1
    wanted = InboxFilter(
        state=None if state == "all" else state,
        channel=channel or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return wanted, {"status": state, "kanal": channel, "seite": str(page)}, errors


@bp.get("/")
@permission_required(Permission.VIEW_INBOX)
def index() -> ResponseReturnValue:
    session = db_session()
    wanted, chosen, errors = _filters()
    items, total = inbox.listing(session, wanted)
    now = utcnow()
    channels = inbox.inbox_channels(session)
    return (
        render_template(
            "dialog_inbox.html",
            rows=[item_view(session, item, now) for item in items],
            total=total,
            chosen=chosen,
            errors=errors,
            states=translated_labels(STATE_FILTERS),
            channels=sorted({c.name for c in channels} | {i.channel.name for i in items}),
            answerers=answerers(session),
            names=user_names(session),
            jumps=[c for c in rumours.counts(session, now) if c.jumped],
            page_size=PAGE_SIZE,
        ),
        422 if errors else 200,
    )


# -- one thread ------------------------------------------------------------------------------


@dataclass
class ReplyForm:
    """What the reply form shows: the chosen block, its values, the free text, problems, preview."""

    block: ReplyBlock | None = None
    values: dict[str, str] = field(default_factory=dict)
    text: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    preview: ReplyPreview | None = None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)


def _item_or_404(item_id: int) -> InboxItem:
    try:
        return inbox.get_item(db_session(), item_id)
    except InboxError as exc:
        abort(exc.status, localize(exc.message))


def _usable_blocks() -> list[ReplyBlock]:
    session = db_session()
    usable = list(session.scalars(select(ReplyBlock).where(ReplyBlock.current.is_(True))))
    return suggested_blocks(session, [b for b in usable if b.usable])


def _thread(item: InboxItem, form: ReplyForm, status: int = 200) -> ResponseReturnValue:
    session = db_session()
    view: ItemView = item_view(session, item, utcnow())
    return (
        render_template(
            "dialog_thread.html",
            row=view,
            item=item,
            form=form,
            blocks=_usable_blocks(),
            answerers=answerers(session),
            names=user_names(session),
            type_labels=translated_labels(TYPE_LABELS),
            reply_states=translated_labels(REPLY_STATES),
            text_max=TEXT_MAX,
            reason_max=REASON_MAX,
        ),
        status,
    )


@bp.get("/<int:item_id>")
@permission_required(Permission.VIEW_INBOX)
def thread(item_id: int) -> ResponseReturnValue:
    item = _item_or_404(item_id)
    form = ReplyForm()
    chosen = request.args.get("baustein", "")
    if chosen:
        form.block = blocks.usable(db_session(), chosen)
        if form.block is None:
            form.errors["baustein"] = gettext(NO_BLOCK, key=chosen[:60])
            return _thread(item, form, 422)
        form.values = {name: "" for name in form.block.placeholders}
    return _thread(item, form)


def _read_reply_form(item: InboxItem) -> ReplyForm:
    form = ReplyForm(key=(request.form.get("idempotency_key") or uuid.uuid4().hex)[:100])
    chosen = request.form.get("baustein", "")
    if chosen:
        form.block = blocks.usable(db_session(), chosen)
        if form.block is None:
            form.errors["baustein"] = gettext(NO_BLOCK, key=chosen[:60])
            return form
        form.values = {name: request.form.get(f"v_{name}", "") for name in form.block.placeholders}
        try:
            body, form.values = blocks.filled(form.block, form.values)
        except PlaceholderError as exc:
            form.errors.update({f"v_{name}": localize(text) for name, text in exc.problems.items()})
            return form
    else:
        form.text = request.form.get("text", "")
        body = form.text.strip()
        if not body:
            form.errors["text"] = gettext(
                "Antworttext fehlt: bitte einen Text schreiben oder einen Baustein wählen"
            )
            return form
        if len(body) > TEXT_MAX:
            form.errors["text"] = gettext(
                "Antwort: %(used)d von höchstens %(max)d Zeichen", used=len(body), max=TEXT_MAX
            )
            return form
    form.preview = reply_preview(item, body)
    if form.preview.problems:
        form.errors["reply"] = "; ".join(form.preview.problems)
    return form


@bp.post("/<int:item_id>/antworten")
@permission_required(Permission.ANSWER_CITIZENS)
def answer(item_id: int) -> ResponseReturnValue:
    item = _item_or_404(item_id)
    if item.state == InboxState.CLOSED:
        form = ReplyForm(errors={"reply": gettext(CLOSED)})
        return _thread(item, form, 409)
    form = _read_reply_form(item)
    if form.errors:
        return _thread(item, form, 422)
    if request.form.get("action") != "send":
        return _thread(item, form)  # the preview: nothing stored yet
    return _send(item, form)


def _send(item: InboxItem, form: ReplyForm) -> ResponseReturnValue:
    session = db_session()
    try:
        result = replies.reply(
            session,
            settings(),
            item,
            user_id=current_user.id,
            block_key=form.block.key if form.block else None,
            variables=form.values,
            text=None if form.block else form.text,
            idempotency_key=form.key,
        )
        due = [(result.delivery.id, result.delivery.lane)] if result.delivery and result.created else []
        waiting = result.reply.state == ReplyState.AWAITING_APPROVAL
        session.commit()
    except InboxError as exc:
        session.rollback()
        form.errors["reply"] = localize(exc.message)
        return _thread(item, form, exc.status)
    if due:
        dispatcher().enqueue(due)  # after the commit, never before
    if waiting:
        flash(
            gettext("Antwort gespeichert: Sie geht hinaus, sobald eine zweite Person sie freigibt."), "info"
        )
    else:
        flash(gettext("Antwort mit freigegebenem Baustein an den Kanal übergeben."), "info")
    return redirect(url_for("dialog.thread", item_id=item.id), code=303)


@bp.post("/<int:item_id>/zuweisen")
@permission_required(Permission.ANSWER_CITIZENS)
def assign(item_id: int) -> ResponseReturnValue:
    session = db_session()
    item = _item_or_404(item_id)
    chosen = request.form.get("an", "")
    assignee_id = current_user.id
    if chosen:
        user = session.get(User, int(chosen)) if chosen.isascii() and chosen.isdigit() else None
        if user is None or not user.active or not allows(user.role_list(), Permission.ANSWER_CITIZENS):
            return _thread(item, ReplyForm(errors={"an": gettext(NOT_AN_ANSWERER)}), 422)
        assignee_id = user.id
    try:
        inbox.assign(session, item, assignee_id, current_user.id)
        session.commit()
    except InboxError as exc:
        session.rollback()
        return _thread(item, ReplyForm(errors={"an": localize(exc.message)}), exc.status)
    names = user_names(session)
    flash(gettext("Zugewiesen an %(name)s.", name=names.get(assignee_id) or gettext("mich")), "info")
    if request.form.get("zurueck") == "liste":
        return redirect(url_for("dialog.index"), code=303)
    return redirect(url_for("dialog.thread", item_id=item.id), code=303)


@bp.post("/<int:item_id>/schliessen")
@permission_required(Permission.ANSWER_CITIZENS)
def close(item_id: int) -> ResponseReturnValue:
    session = db_session()
    item = _item_or_404(item_id)
    reason = request.form.get("grund", "").strip()
    form = ReplyForm(reason=reason)
    if not reason:
        form.errors["grund"] = gettext("Bitte einen Grund angeben (z. B. Werbung, anderswo beantwortet)")
    elif len(reason) > REASON_MAX:
        form.errors["grund"] = gettext(
            "Grund: %(used)d von höchstens %(max)d Zeichen", used=len(reason), max=REASON_MAX
        )
    if form.errors:
        return _thread(item, form, 422)
    try:
        inbox.close(session, item, current_user.id, reason)
        session.commit()
    except InboxError as exc:
        session.rollback()
        form.errors["grund"] = localize(exc.message)
        return _thread(item, form, exc.status)
    flash(gettext("Ohne Antwort geschlossen."), "info")
    return redirect(url_for("dialog.index"), code=303)
