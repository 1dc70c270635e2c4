"""The inbox: fetch what citizens wrote from every platform, store it once, list and triage it.

A fetch never holds a transaction across a platform call: the cursors are read and committed,
each adapter's ``fetch_inbox`` runs with no transaction open, and what it found is stored in a
new short transaction. Entries are unique per (channel, remote id), so fetching twice stores
once. A platform that asks us to wait (429) is not asked again before ``not_before``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.catalogues import Msg
from content_calendar.crisis.models import Alert
from content_calendar.dialog.models import AutoReply, InboxCursor, InboxItem
from content_calendar.refusal import Refused
from publisher.channels.base import ChannelAdapter
from publisher.channels.registry import make_adapter
from publisher.db import Database, utcnow
from publisher.errors import DeliveryError
from publisher.inbox import InboxEntry, InboxPage
from publisher.models import Channel, Delivery
from publisher.outbox import channel_config
from publisher.settings import Settings
from publisher.vocabulary import OPEN_INBOX_STATES, InboxState

log = logging.getLogger(__name__)

# Platforms with a read API for comments, mentions and messages.
INBOX_TYPES = ("mastodon", "x", "facebook", "instagram", "bluesky", "telegram")
WAIT_AFTER_ERROR = timedelta(minutes=2)  # a failing platform is not asked again every tick
ALERT_WORD_MIN = 6  # headline words this long count as "about the alert"


class InboxError(Refused):
    """A refused request (see content_calendar.refusal)."""


@dataclass
class FetchReport:
    """What one fetch did, per channel (German, for the CLI and the log)."""

    new_item_ids: list[int] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Plan:
    channel_id: int
    name: str
    adapter: ChannelAdapter
    cursor: str | None


def inbox_channels(session: Session) -> list[Channel]:
    """Enabled real channels whose platform has a read API (``inbox = false`` opts out)."""
    rows = session.scalars(select(Channel).where(Channel.enabled.is_(True), Channel.type.in_(INBOX_TYPES)))
    return [c for c in rows if (c.options or {}).get("inbox", True) is not False]


def _plans(db: Database, settings: Settings, now: datetime, report: FetchReport) -> list[_Plan]:
    plans = []
    with db.session() as session:
        for channel in inbox_channels(session):
            cursor = session.get(InboxCursor, channel.id)
            if cursor is not None and cursor.not_before is not None and cursor.not_before > now:
                report.channels[channel.name] = f"wartet bis {cursor.not_before:%H:%M:%S} UTC"
                continue
            adapter = make_adapter(channel_config(channel, settings))
            plans.append(_Plan(channel.id, channel.name, adapter, cursor.cursor if cursor else None))
    return plans


def fetch_all(db: Database, settings: Settings, now: datetime | None = None) -> FetchReport:
    """Fetch once from every inbox channel; returns the new entries' ids per the report."""
    now = now or utcnow()
    report = FetchReport()
    for plan in _plans(db, settings, now, report):
        fetch_inbox = getattr(plan.adapter, "fetch_inbox", None)
        if fetch_inbox is None:
            continue
        try:
            page: InboxPage = fetch_inbox(plan.cursor)  # network: no transaction is open
        except DeliveryError as exc:
            _record_failure(db, plan, exc, now)
            report.channels[plan.name] = f"Fehler: {exc}"
            log.warning("inbox fetch from %s failed: %s", plan.name, exc)
            continue
        with db.session() as session:
            added = store(session, plan.channel_id, page, now)
        report.new_item_ids.extend(added)
        report.channels[plan.name] = f"{len(added)} neu"
    return report


def _record_failure(db: Database, plan: _Plan, exc: DeliveryError, now: datetime) -> None:
    wait = timedelta(seconds=exc.retry_after) if exc.retry_after else WAIT_AFTER_ERROR
    with db.session() as session:
        cursor = session.get(InboxCursor, plan.channel_id) or InboxCursor(channel_id=plan.channel_id)
        cursor.last_error = str(exc)[:1000]
        cursor.not_before = now + wait
        session.add(cursor)


def store(session: Session, channel_id: int, page: InboxPage, now: datetime) -> list[int]:
    """Store the entries not seen before; move the cursor. Returns the new items' ids."""
    channel = session.get(Channel, channel_id)
    assert channel is not None
    remote_ids = [e.remote_id for e in page.entries]
    seen = set(
        session.scalars(
            select(InboxItem.remote_id).where(
                InboxItem.channel_id == channel_id, InboxItem.remote_id.in_(remote_ids)
            )
        )
    )
    alerts = _active_alerts(session)
    items = []
    for entry in dict((e.remote_id, e) for e in page.entries).values():
        if entry.remote_id in seen:
            continue
        item = _item(session, channel, entry, now)
        item.about_alert_id = about_alert(session, entry, alerts)
        session.add(item)
        items.append(item)
    cursor = session.get(InboxCursor, channel_id) or InboxCursor(channel_id=channel_id)
    if page.cursor is not None:
        cursor.cursor = page.cursor
    cursor.fetched_at, cursor.last_error, cursor.not_before = now, None, None
    session.add(cursor)
    session.flush()
    return [item.id for item in items]


def _item(session: Session, channel: Channel, entry: InboxEntry, now: datetime) -> InboxItem:
    thread_text = entry.thread_text
    if thread_text is None and entry.thread_id:
        ours = session.scalar(select(Delivery).where(Delivery.remote_id == entry.thread_id).limit(1))
        if ours is not None:
            thread_text = str((ours.rendered or {}).get("text") or (ours.rendered or {}).get("caption") or "")
    return InboxItem(
        channel_id=channel.id,
        platform=channel.type,
        kind=str(entry.kind),
        remote_id=entry.remote_id[:300],
        text=entry.text,
        url=entry.url,
        author_id=entry.author_id[:200],
        author_handle=entry.author_handle[:200],
        author_name=entry.author_name[:200],
        thread_remote_id=entry.thread_id,
        thread_text=thread_text,
        reply_ref=dict(entry.reply),
        received_at=entry.created_at,
        fetched_at=now,
        state=InboxState.NEW,
    )


def _active_alerts(session: Session) -> list[Alert]:
    return list(
        session.scalars(select(Alert).where(Alert.active.is_(True)).order_by(Alert.created_at.desc()))
    )


def about_alert(session: Session, entry: InboxEntry, alerts: list[Alert]) -> int | None:
    """The active alert an entry is about: it answers the alert's post, or names its headline's words."""
    for alert in alerts:
        if entry.thread_id and session.scalar(
            select(func.count(Delivery.id)).where(
                Delivery.source_kind == "alert",
                Delivery.source_id == alert.id,
                Delivery.remote_id == entry.thread_id,
            )
        ):
            return alert.id
        words = {w.lower() for w in re.findall(r"\w+", alert.headline) if len(w) >= ALERT_WORD_MIN}
        if words & {w.lower() for w in re.findall(r"\w+", entry.text)}:
            return alert.id
    return None


# -- listing and triage ----------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    state: str | None = None  # a state, "open" (new + assigned) or None for all
    channel: str | None = None
    search: str | None = None
    assigned_to_id: int | None = None
    limit: int = 100
    offset: int = 0


def listing(session: Session, wanted: InboxFilter) -> tuple[list[InboxItem], int]:
    """Entries about an active alert first, then the longest waiting; and the total count."""
    query = select(InboxItem)
    if wanted.state == "open":
        query = query.where(InboxItem.state.in_(OPEN_INBOX_STATES))
    elif wanted.state:
        query = query.where(InboxItem.state == wanted.state)
    if wanted.channel:
        query = query.join(Channel).where(Channel.name == wanted.channel)
    if wanted.search:
        pattern = f"%{wanted.search.lower()}%"
        query = query.where(
            or_(func.lower(InboxItem.text).like(pattern), func.lower(InboxItem.author_handle).like(pattern))
        )
    if wanted.assigned_to_id is not None:
        query = query.where(InboxItem.assigned_to_id == wanted.assigned_to_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(InboxItem.about_alert_id.is_(None), InboxItem.received_at, InboxItem.id)
        .limit(wanted.limit)
        .offset(wanted.offset)
    )
    return list(rows), total


def get_item(session: Session, item_id: int) -> InboxItem:
    item = session.get(InboxItem, item_id)
    if item is None:
        raise InboxError(Msg("Eintrag %(id)d nicht gefunden", id=item_id), status=404)
    return item


def assign(session: Session, item: InboxItem, assignee_id: int, by_id: int) -> None:
    if item.state not in OPEN_INBOX_STATES:
        raise InboxError(
            Msg("Eintrag ist schon %(state)s", state=Msg(InboxState(item.state).label)), status=409
        )
    item.state = InboxState.ASSIGNED
    item.assigned_to_id = assignee_id
    audit(session, "inbox.assigned", by_id, item, assignee=assignee_id)


def close(session: Session, item: InboxItem, by_id: int, reason: str = "") -> None:
    if item.state == InboxState.CLOSED:
        raise InboxError(Msg("Eintrag ist schon geschlossen"), status=409)
    item.state = InboxState.CLOSED
    item.closed_at = utcnow()
    audit(session, "inbox.closed", by_id, item, reason=reason[:500])


# -- privacy ---------------------------------------------------------------------------------

PHONE_RE = re.compile(r"(?<!\w)(?:\+|00)?\d[\d /().-]{6,}\d")


def redacted(text: str) -> str:
    """Phone numbers hidden, for roles that do not answer citizens."""
    return PHONE_RE.sub("[Telefonnummer]", text)


def author_items(session: Session, handle: str) -> list[InboxItem]:
    return list(session.scalars(select(InboxItem).where(InboxItem.author_handle == handle)))


def export_author(session: Session, handle: str) -> list[dict[str, Any]]:
    """Everything stored about one author (GDPR Art. 15), as JSON-able data."""
    return [
        {
            "kanal": item.channel.name,
            "eingegangen": item.received_at.isoformat(),
            "text": item.text,
            "name": item.author_name,
            "konto": item.author_handle,
            "status": item.state,
            "antworten": [reply.text for reply in item.replies],
        }
        for item in author_items(session, handle)
    ]


def delete_author(session: Session, handle: str, by_id: int | None) -> int:
    """Delete every entry of one author (GDPR Art. 17); the audit log keeps only the count."""
    ids = [item.id for item in author_items(session, handle)]
    _delete_items(session, ids)
    audit(session, "inbox.author_deleted", by_id, None, count=len(ids))
    return len(ids)


def purge_expired(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Delete entries older than the retention period (``ERNSTFALL_INBOX_RETENTION_DAYS``)."""
    limit = (now or utcnow()) - timedelta(days=settings.inbox_retention_days)
    ids = list(session.scalars(select(InboxItem.id).where(InboxItem.received_at < limit)))
    _delete_items(session, ids)
    return len(ids)


def _delete_items(session: Session, ids: list[int]) -> None:
    from content_calendar.dialog.models import InboxReply

    if not ids:
        return
    session.execute(delete(InboxReply).where(InboxReply.item_id.in_(ids)))
    session.execute(delete(AutoReply).where(AutoReply.item_id.in_(ids)))
    session.execute(delete(InboxItem).where(InboxItem.id.in_(ids)))
