"""Replies to inbox entries, through the outbox, as real replies on the platform.

A reply with an approved block goes out at once: the block was signed off in advance. Free text
waits for a second person (four eyes) and goes out when approved. Either way the reply is a
``Message`` of kind ``reply`` whose extras say what it answers (``in_reply_to`` and the
platform's own reference), sent by the outbox like every post: idempotent, rate-limited, with
the channel's own length rules checked before it is queued. The caller commits, then enqueues.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.calendar.settings import get_value, set_value
from content_calendar.calendar.timeutil import to_local
from content_calendar.catalogues import Msg
from content_calendar.crisis.models import Alert
from content_calendar.crisis.placeholders import PlaceholderError
from content_calendar.dialog import blocks, hours
from content_calendar.dialog.inbox import InboxError
from content_calendar.dialog.models import AutoReply, InboxItem, InboxReply
from publisher.channels.base import Message
from publisher.db import utcnow
from publisher.models import Delivery
from publisher.outbox import create_delivery, validate_for
from publisher.settings import Settings
from publisher.vocabulary import CapStatus, InboxState, Lane, ReplyState

TEXT_MAX = 2000
# Problems that concern posts, not replies (a reply on Instagram needs no image).
NOT_FOR_REPLIES = frozenset({"image_required", "public_url_missing", "config"})
AUTO_REPLY_KEY = "dialog_auto_reply"


@dataclass(frozen=True)
class ReplyResult:
    reply: InboxReply
    created: bool
    delivery: Delivery | None  # enqueue (delivery.id, delivery.lane) after the commit


def reply(
    session: Session,
    settings: Settings,
    item: InboxItem,
    *,
    user_id: int,
    block_key: str | None = None,
    variables: dict[str, Any] | None = None,
    text: str | None = None,
    idempotency_key: str | None = None,
) -> ReplyResult:
    """Answer ``item`` with an approved block (sent at once) or free text (waits for four eyes)."""
    key = (idempotency_key or uuid.uuid4().hex)[:100]
    existing = session.scalar(select(InboxReply).where(InboxReply.idempotency_key == key))
    if existing is not None:
        if existing.item_id != item.id:
            raise InboxError(Msg("Dieser Idempotenzschlüssel gehört zu einer anderen Antwort"), status=409)
        return ReplyResult(existing, False, _delivery_of(session, existing))
    if item.state == InboxState.CLOSED:
        raise InboxError(Msg("Der Eintrag ist geschlossen; bitte erst wieder öffnen"), status=409)
    if bool(block_key) == bool(text and text.strip()):
        raise InboxError(Msg("Bitte entweder einen Antwortbaustein oder einen freien Text angeben"))
    block = None
    values: dict[str, str] = {}
    if block_key:
        block = blocks.usable(session, block_key)
        if block is None:
            raise InboxError(
                Msg("Antwortbaustein „%(key)s“ gibt es nicht oder er ist nicht freigegeben", key=block_key)
            )
        try:
            body, values = blocks.filled(block, variables or {})
        except PlaceholderError as exc:
            raise InboxError("; ".join(exc.problems.values())) from exc
    else:
        body = (text or "").strip()
        if len(body) > TEXT_MAX:
            raise InboxError(
                Msg("Antwort: %(used)d von höchstens %(max)d Zeichen", used=len(body), max=TEXT_MAX)
            )
    message = reply_message(item, body)
    _check_fits(session, settings, item, message)
    answer = InboxReply(
        item=item,
        text=body,
        block_id=block.id if block else None,
        variables=values,
        state=ReplyState.AWAITING_APPROVAL,
        idempotency_key=key,
        written_by_id=user_id,
    )
    session.add(answer)
    session.flush()
    audit(session, "inbox.reply_written", user_id, item, block=block_key, reply=answer.id)
    if item.state == InboxState.NEW:
        item.state, item.assigned_to_id = InboxState.ASSIGNED, user_id
    delivery = _queue(session, settings, answer) if block is not None else None
    return ReplyResult(answer, True, delivery)


def approve(session: Session, settings: Settings, answer: InboxReply, approver_id: int) -> Delivery:
    """Four eyes for free text: a second person approves, then it goes to the outbox."""
    if answer.state != ReplyState.AWAITING_APPROVAL:
        raise InboxError(Msg("Diese Antwort wartet nicht auf Freigabe"), status=409)
    if answer.written_by_id == approver_id:
        raise InboxError(
            Msg("Vier-Augen-Prinzip: Wer eine Antwort geschrieben hat, kann sie nicht selbst freigeben"),
            status=403,
        )
    answer.approved_by_id = approver_id
    audit(session, "inbox.reply_approved", approver_id, answer.item, reply=answer.id)
    return _queue(session, settings, answer)


def reject(session: Session, answer: InboxReply, by_id: int) -> None:
    if answer.state != ReplyState.AWAITING_APPROVAL:
        raise InboxError(Msg("Diese Antwort wartet nicht auf Freigabe"), status=409)
    answer.state = ReplyState.REJECTED
    audit(session, "inbox.reply_rejected", by_id, answer.item, reply=answer.id)


def reply_message(item: InboxItem, body: str) -> Message:
    """The reply as the outbox sends it. Mastodon notifies only whom a status mentions."""
    mention = str(item.reply_ref.get("mention") or "")
    if mention and mention.lower() not in body.lower():
        body = f"{mention} {body}"
    return Message(text=body, kind="reply", extras=dict(item.reply_ref))


def _check_fits(session: Session, settings: Settings, item: InboxItem, message: Message) -> None:
    problems = [
        p.text for p in validate_for(item.channel, message, settings) if p.code not in NOT_FOR_REPLIES
    ]
    if problems:
        raise InboxError("; ".join(problems))


def _queue(session: Session, settings: Settings, answer: InboxReply) -> Delivery:
    item = answer.item
    delivery = create_delivery(
        session,
        channel=item.channel,
        lane=Lane.COMMUNITY,
        message=reply_message(item, answer.text),
        settings=settings,
        source_kind="reply",
        source_id=answer.id,
        idempotency_key=f"reply-{answer.idempotency_key}",
    )
    session.flush()
    answer.delivery_id = delivery.id
    answer.state = ReplyState.QUEUED
    if not answer.automatic:
        item.state, item.answered_at = InboxState.ANSWERED, utcnow()
    return delivery


def _delivery_of(session: Session, answer: InboxReply) -> Delivery | None:
    return session.get(Delivery, answer.delivery_id) if answer.delivery_id else None


# -- the automatic answer outside the reply hours -----------------------------------------------


def auto_reply_enabled(session: Session) -> bool:
    value = get_value(session, AUTO_REPLY_KEY, {})
    return bool(value.get("enabled")) if isinstance(value, dict) else False


def set_auto_reply(session: Session, enabled: bool, by_id: int | None) -> None:
    set_value(session, AUTO_REPLY_KEY, {"enabled": enabled})
    audit(session, "inbox.auto_reply_set", by_id, None, enabled=enabled)


def auto_reply_text(session: Session, settings: Settings) -> str:
    """Points to the reply hours and, while an alert is active, to the current alert."""
    text = (
        "Danke für Ihre Nachricht! Wir antworten "
        f"{hours.hours_text(hours.reply_hours(session))}. In Lebensgefahr: 112."
    )
    alert = session.scalar(
        select(Alert)
        .where(Alert.active.is_(True), Alert.status == CapStatus.ACTUAL)
        .order_by(Alert.created_at.desc())
    )
    if alert is not None:
        text += f" Aktuelle Warnung: {alert.headline} – {alert.link or settings.public_base_url}"
    return text


def auto_replies(session: Session, settings: Settings, item_ids: list[int], now: datetime) -> list[Delivery]:
    """Automatic answers for new entries that arrived outside the reply hours, once a day per person."""
    if not item_ids or not auto_reply_enabled(session):
        return []
    office = hours.reply_hours(session)
    if hours.is_open(now, office, settings.timezone):
        return []
    text = auto_reply_text(session, settings)
    day = to_local(now, settings.timezone).date().isoformat()
    queued = []
    for item in session.scalars(select(InboxItem).where(InboxItem.id.in_(item_ids))):
        if hours.is_open(item.received_at, office, settings.timezone) or not item.author_id:
            continue
        try:
            with session.begin_nested():
                session.add(
                    AutoReply(channel_id=item.channel_id, author_id=item.author_id, day=day, item_id=item.id)
                )
        except IntegrityError:
            continue  # this person already got today's automatic answer on this channel
        answer = InboxReply(
            item=item,
            text=text,
            automatic=True,
            state=ReplyState.AWAITING_APPROVAL,
            idempotency_key=f"auto-{item.id}",
        )
        session.add(answer)
        session.flush()
        queued.append(_queue(session, settings, answer))
    return queued
