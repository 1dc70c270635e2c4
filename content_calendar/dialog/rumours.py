"""Rumour watch: how often the watched words appear in the inbox, per 10 minutes, against usual.

Staff keep a keyword list (``Trinkwasser vergiftet``, ``Damm gebrochen``). Each keyword's count in
the last 10 minutes is set against its usual level (the mean per 10 minutes over the 24 hours
before); a jump is shown at the top of the inbox and written to the log and audit trail, and the
correction is one click away: the pre-approved ``richtigstellung`` alert template.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.calendar.settings import get_value, set_value
from content_calendar.dialog.models import InboxItem
from publisher.db import utcnow

log = logging.getLogger(__name__)

KEYWORDS_KEY = "rumour_keywords"
WINDOW = timedelta(minutes=10)
BASELINE = timedelta(hours=24)
MIN_JUMP = 3  # fewer mentions than this are never a jump
JUMP_FACTOR = 3.0
KEYWORD_MAX = 80
CORRECTION_TEMPLATE = "richtigstellung"


@dataclass(frozen=True)
class RumourCount:
    keyword: str
    current: int  # in the last 10 minutes
    usual: float  # mean per 10 minutes over the 24 hours before
    jumped: bool


def keywords(session: Session) -> list[str]:
    value = get_value(session, KEYWORDS_KEY, [])
    return [str(v) for v in value] if isinstance(value, list) else []


def set_keywords(session: Session, raw: str, by_id: int | None) -> list[str]:
    """One keyword (or phrase) per line or comma; every problem named in German."""
    words = [w.strip() for part in raw.splitlines() for w in part.split(",") if w.strip()]
    too_long = [w for w in words if len(w) > KEYWORD_MAX]
    if too_long:
        raise ValueError(f"Suchwort zu lang (höchstens {KEYWORD_MAX} Zeichen): {too_long[0][:40]}…")
    unique = list(dict.fromkeys(words))
    set_value(session, KEYWORDS_KEY, unique)
    audit(session, "rumour.keywords_set", by_id, None, keywords=unique)
    return unique


def counts(session: Session, now: datetime | None = None) -> list[RumourCount]:
    now = now or utcnow()
    watched = keywords(session)
    if not watched:
        return []
    since = now - WINDOW - BASELINE
    rows = session.execute(
        select(InboxItem.text, InboxItem.received_at).where(InboxItem.received_at >= since)
    ).all()
    windows = BASELINE / WINDOW
    found = []
    for keyword in watched:
        needle = keyword.lower()
        hits = [received for text, received in rows if needle in text.lower()]
        current = sum(1 for when in hits if when >= now - WINDOW)
        usual = (len(hits) - current) / windows
        jumped = current >= MIN_JUMP and current >= JUMP_FACTOR * max(usual, 1.0)
        found.append(RumourCount(keyword, current, round(usual, 2), jumped))
    return found


def notify_jumps(session: Session, now: datetime | None = None) -> list[RumourCount]:
    """Record each jump (log and audit) so the staff see it; returns the jumps."""
    jumps = [c for c in counts(session, now) if c.jumped]
    for jump in jumps:
        log.warning(
            "rumour watch: %r %d times in 10 minutes (usual %.1f)", jump.keyword, jump.current, jump.usual
        )
        audit(session, "rumour.jump", None, None, keyword=jump.keyword, count=jump.current, usual=jump.usual)
    return jumps
