"""What the dialog pages share: who may see names, how an entry is shown, the reply preview.

Names, links and phone numbers are shown only to roles that answer citizens (the API does the
same). The reply preview uses the channel's own adapter, so the text and the length shown are
exactly what the outbox will send and check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import User
from content_calendar.accounts.policy import Permission, allows
from content_calendar.calendar.post_editing import check_channels
from content_calendar.catalogues import N_
from content_calendar.crisis.models import Alert
from content_calendar.dialog import hours, inbox, replies
from content_calendar.dialog.models import InboxItem, ReplyBlock
from content_calendar.web.helpers import settings
from content_calendar.web.i18n import gettext, localize
from publisher.outbox import validate_for
from publisher.vocabulary import OPEN_INBOX_STATES, InboxState

HIDDEN_NAME = N_("Bürger:in")
REDACTED = N_("[Telefonnummer]")  # what content_calendar.dialog.inbox.redacted puts in place of a number
# publisher.vocabulary.INBOX_STATE_LABELS, marked for extraction (tests/dialog checks they match)
INBOX_STATE_LABEL_IDS = (N_("neu"), N_("zugewiesen"), N_("beantwortet"), N_("ohne Antwort geschlossen"))


def shows_names() -> bool:
    return bool(current_user.can(Permission.ANSWER_CITIZENS))


@dataclass(frozen=True)
class ItemView:
    """One inbox entry as a page shows it (names and numbers hidden where the role says so)."""

    item: InboxItem
    text: str
    author: str
    url: str | None
    age: str
    overdue: bool
    state_label: str

    @property
    def is_open(self) -> bool:
        return self.item.state in OPEN_INBOX_STATES


def item_view(session: Session, item: InboxItem, now: datetime) -> ItemView:
    names = shows_names()
    office = hours.reply_hours(session)
    config = settings()
    late = item.state in OPEN_INBOX_STATES and hours.is_overdue(
        item.received_at, now, office, config.timezone, config.inbox_reply_within_hours
    )
    return ItemView(
        item=item,
        text=item.text if names else redacted(item.text),
        author=_author(item) if names else gettext(HIDDEN_NAME),
        url=item.url if names else None,
        age=localize(hours.age_text(item.received_at, now)),
        overdue=late,
        state_label=gettext(InboxState(item.state).label),
    )


def redacted(text: str) -> str:
    """The inbox's own redaction (one place decides what is hidden), its mark in the reader's language."""
    return inbox.redacted(text).replace(REDACTED, gettext(REDACTED))


def _author(item: InboxItem) -> str:
    if item.author_name and item.author_name != item.author_handle:
        return f"{item.author_name} ({item.author_handle})"
    return item.author_handle


def answerers(session: Session) -> list[User]:
    """Active users whose roles may answer citizens: the choice for "assign to"."""
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name))
    return [u for u in users if allows(u.role_list(), Permission.ANSWER_CITIZENS)]


def user_names(session: Session) -> dict[int, str]:
    return {u.id: u.display_name or u.username for u in session.scalars(select(User))}


@dataclass(frozen=True)
class ReplyPreview:
    """The reply exactly as the channel will post it, its length as the platform counts it."""

    channel: str
    channel_type: str
    text: str
    used: int
    limit: int | None
    unit: str
    problems: list[str]


def reply_preview(item: InboxItem, body: str) -> ReplyPreview:
    message = replies.reply_message(item, body)
    check = check_channels([item.channel], message, settings())[0]
    problems = [
        localize(p.text)
        for p in validate_for(item.channel, message, settings())
        if p.code not in replies.NOT_FOR_REPLIES
    ]
    return ReplyPreview(
        channel=item.channel.name,
        channel_type=item.platform,
        text=check.preview,
        used=check.used,
        limit=check.limit,
        unit=localize(check.unit),
        problems=problems,
    )


def suggested_blocks(session: Session, usable: list[ReplyBlock]) -> list[ReplyBlock]:
    """Blocks tied to the template of an active alert first (crisis mode), then by name."""
    active = {
        alert.template.key
        for alert in session.scalars(select(Alert).where(Alert.active.is_(True)))
        if alert.template is not None
    }
    return sorted(usable, key=lambda b: (b.alert_template_key not in active, b.name.lower()))
