"""The inbox in the API: list, reply (block with variables, or free text), assign, close.

Routes are added to the API blueprint (like the alert lifecycle routes), so they share its token
check, permissions, typed bodies and generated OpenAPI document. Names and phone numbers are only
in the answer for roles that answer citizens. A reply commits before the outbox is nudged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from content_calendar.accounts.policy import Permission, allows
from content_calendar.calendar.limits import IDEMPOTENCY_KEY_MAX, TEXT_MAX, VARIABLES_MAX
from content_calendar.dialog import hours, inbox, replies
from content_calendar.dialog.models import InboxItem
from content_calendar.web.api import bp
from content_calendar.web.api.problems import problem
from content_calendar.web.api.schemas import ApiModel, StrictText
from content_calendar.web.api.spec import api_user, operation, validated
from content_calendar.web.helpers import db_session, dispatcher, settings
from publisher.db import utcnow

INBOX_LIMIT_MAX = 500
OFFSET_MAX = 1_000_000_000
HIDDEN_NAME = "Bürger:in"


class InboxQuery(ApiModel):
    state: Annotated[
        Literal["open", "new", "assigned", "answered", "closed"] | None,
        Field(title="Status", description="open = neu oder zugewiesen"),
    ] = None
    channel: Annotated[StrictText | None, Field(title="Kanal", max_length=80)] = None
    q: Annotated[StrictText | None, Field(title="Suche", max_length=200)] = None
    limit: Annotated[int, Field(title="Anzahl", ge=1, le=INBOX_LIMIT_MAX)] = 100
    offset: Annotated[int, Field(title="Versatz", ge=0, le=OFFSET_MAX)] = 0


class InboxItemOut(BaseModel):
    id: int
    channel: str
    platform: str
    kind: str
    state: str
    text: str
    author: str
    url: str | None
    thread_text: str | None
    received_at: datetime
    overdue: bool
    about_alert_id: int | None
    assigned_to_id: int | None

    @classmethod
    def of(cls, item: InboxItem, *, names: bool, overdue: bool) -> InboxItemOut:
        return cls(
            id=item.id,
            channel=item.channel.name,
            platform=item.platform,
            kind=item.kind,
            state=item.state,
            text=item.text if names else inbox.redacted(item.text),
            author=item.author_handle if names else HIDDEN_NAME,
            url=item.url if names else None,
            thread_text=item.thread_text,
            received_at=item.received_at,
            overdue=overdue,
            about_alert_id=item.about_alert_id,
            assigned_to_id=item.assigned_to_id,
        )


class InboxList(BaseModel):
    total: int
    items: list[InboxItemOut]


class ReplyIn(ApiModel):
    """Either an approved block with its values (sent at once) or free text (waits for four eyes)."""

    block: Annotated[StrictText | None, Field(title="Antwortbaustein", max_length=80)] = None
    variables: Annotated[
        dict[str, Annotated[StrictText, Field(max_length=TEXT_MAX)]] | None,
        Field(title="Werte", max_length=VARIABLES_MAX),
    ] = None
    text: Annotated[StrictText | None, Field(title="Freier Text", max_length=replies.TEXT_MAX)] = None
    idempotency_key: Annotated[
        StrictText | None,
        Field(
            title="Idempotenzschlüssel",
            description="gleicher Schlüssel = eine Antwort",
            max_length=IDEMPOTENCY_KEY_MAX,
        ),
    ] = None


class ReplyOut(BaseModel):
    id: int
    item_id: int
    state: str
    text: str
    delivery_id: int | None


class AssignIn(ApiModel):
    user_id: Annotated[int | None, Field(title="Benutzer", description="Standard: wer fragt", ge=1)] = None


class CloseIn(ApiModel):
    reason: Annotated[StrictText | None, Field(title="Grund", max_length=500)] = None


def _names() -> bool:
    return allows(api_user().role_list(), Permission.ANSWER_CITIZENS)


def _out(item: InboxItem) -> InboxItemOut:
    session = db_session()
    office = hours.reply_hours(session)
    late = hours.is_overdue(
        item.received_at, utcnow(), office, settings().timezone, settings().inbox_reply_within_hours
    )
    return InboxItemOut.of(item, names=_names(), overdue=late and item.state in ("new", "assigned"))


@bp.get("/inbox")
@operation(query=InboxQuery, ok={200: InboxList}, permissions=(Permission.VIEW_INBOX,))
def inbox_list() -> ResponseReturnValue:
    """Posteingang: zur aktiven Warnung zuerst, dann die am längsten wartenden"""
    query = validated(InboxQuery)
    wanted = inbox.InboxFilter(
        state=query.state, channel=query.channel, search=query.q, limit=query.limit, offset=query.offset
    )
    items, total = inbox.listing(db_session(), wanted)
    return InboxList(total=total, items=[_out(i) for i in items]).model_dump(mode="json")


@bp.post("/inbox/<int(min=1):item_id>/reply")
@operation(body=ReplyIn, ok={201: ReplyOut, 200: ReplyOut}, permissions=(Permission.ANSWER_CITIZENS,))
def inbox_reply(item_id: int) -> ResponseReturnValue:
    """Antworten: mit freigegebenem Baustein sofort, freier Text nach Freigabe (vier Augen)"""
    body = validated(ReplyIn)
    session = db_session()
    try:
        item = inbox.get_item(session, item_id)
        result = replies.reply(
            session,
            settings(),
            item,
            user_id=api_user().id,
            block_key=body.block,
            variables=dict(body.variables or {}),
            text=body.text,
            idempotency_key=body.idempotency_key,
        )
        out = ReplyOut(
            id=result.reply.id,
            item_id=item.id,
            state=result.reply.state,
            text=result.reply.text,
            delivery_id=result.delivery.id if result.delivery else None,
        )
        due = [(result.delivery.id, result.delivery.lane)] if result.delivery and result.created else []
        session.commit()
    except inbox.InboxError as exc:
        session.rollback()
        return problem(exc.status, exc.message)
    if due:
        dispatcher().enqueue(due)  # after the commit
    return out.model_dump(mode="json"), 201 if result.created else 200


@bp.post("/inbox/<int(min=1):item_id>/assign")
@operation(body=AssignIn, ok={200: InboxItemOut}, permissions=(Permission.ANSWER_CITIZENS,))
def inbox_assign(item_id: int) -> ResponseReturnValue:
    """Zuweisen (Standard: an sich selbst)"""
    body = validated(AssignIn)
    session = db_session()
    try:
        item = inbox.get_item(session, item_id)
        inbox.assign(session, item, body.user_id or api_user().id, api_user().id)
        session.commit()
    except inbox.InboxError as exc:
        session.rollback()
        return problem(exc.status, exc.message)
    return _out(item).model_dump(mode="json")


@bp.post("/inbox/<int(min=1):item_id>/close")
@operation(body=CloseIn, ok={200: InboxItemOut}, permissions=(Permission.ANSWER_CITIZENS,))
def inbox_close(item_id: int) -> ResponseReturnValue:
    """Ohne Antwort schließen"""
    body = validated(CloseIn)
    session = db_session()
    try:
        item = inbox.get_item(session, item_id)
        inbox.close(session, item, api_user().id, body.reason or "")
        session.commit()
    except inbox.InboxError as exc:
        session.rollback()
        return problem(exc.status, exc.message)
    return _out(item).model_dump(mode="json")
