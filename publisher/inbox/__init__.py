"""Reading what citizens wrote to us: the entries each adapter's ``fetch_inbox`` returns.

Publisher stays a library: an adapter reads its platform's own read API (Mastodon
notifications, X mentions, Graph comments, Bluesky notifications, Telegram updates) and
returns :class:`InboxPage`; content_calendar.dialog stores, de-duplicates and threads them.

Reads have their own rate budget (``inbox_rate_limit`` in channels.toml, else the adapter's
default), kept apart from the send budget: fetching comments must never use up what an
alert needs. A platform's 429 on a read pauses reads only.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from publisher.outbox import ratelimit

# A reply's extras carry what the platform needs to thread it: always ``in_reply_to`` (the
# remote id replied to), plus per platform: Mastodon ``visibility``, Bluesky ``reply_root``
# and ``reply_parent`` ({uri, cid}), Telegram ``chat_id``.
IN_REPLY_TO = "in_reply_to"


@dataclass(frozen=True)
class InboxEntry:
    """One comment, mention, reply or direct message as the platform reported it."""

    remote_id: str
    kind: str  # publisher.vocabulary.InboxKind
    text: str
    author_id: str
    author_handle: str
    created_at: datetime
    author_name: str = ""
    url: str | None = None
    thread_id: str | None = None  # remote id of the post it answers
    thread_text: str | None = None
    reply: dict[str, Any] = field(default_factory=dict)  # the extras a reply needs


@dataclass(frozen=True)
class InboxPage:
    """What one fetch found, and where the next fetch starts (None: keep the old cursor)."""

    entries: list[InboxEntry]
    cursor: str | None = None


@dataclass(frozen=True)
class _ReadBudget:
    name: str
    options: dict[str, Any]


def read_budget(config: Any, default: str) -> _ReadBudget:
    """The rate-limit identity of a channel's reads (``<name>:inbox``)."""
    options = getattr(config, "options", {}) or {}
    return _ReadBudget(f"{config.name}:inbox", {"rate_limit": options.get("inbox_rate_limit", default)})


def acquire_read(config: Any, default: str) -> None:
    """Take one read from the channel's read budget, or raise a transient DeliveryError."""
    ratelimit.acquire(read_budget(config, default), default)


def pause_reads(config: Any, seconds: float | None) -> None:
    ratelimit.pause(read_budget(config, ""), seconds)


_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def plain_text(markup: str) -> str:
    """Mastodon sends statuses as HTML: line breaks kept, tags dropped, entities decoded."""
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", markup or ""))).strip()


def parse_time(value: Any) -> datetime:
    """An aware UTC datetime from an ISO 8601 string (``Z`` or offset), epoch seconds or a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = str(value or "").strip()
    if not text:
        return datetime.now(UTC)
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):  # Graph: 2026-11-21T10:00:00+0000
        text = f"{text[:-2]}:{text[-2:]}"
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
