"""Rumour watch: how often the watched words appear, per 10 minutes, against usual.

Staff keep a keyword list (``Trinkwasser vergiftet``, ``Damm gebrochen``). Each line says which
platform searches it also uses (``Damm gebrochen | #dammbruch mastodon bluesky``: the Mastodon
hashtag timeline, the Mastodon search, the Bluesky search; see ``searches``). A word's count in
the last 10 minutes (inbox entries naming it plus the posts its searches found, each post once)
is set against its usual level (the mean per 10 minutes over the 24 hours before). A jump is
shown at the top of the inbox, written to the log and audit trail once, and mailed to the crisis
staff once (``rumour_notify``); the next jump of that word is reported only after its count fell
back. The correction is one click away: the pre-approved ``richtigstellung`` alert template.
"""

from __future__ import annotations

import logging
import re
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.calendar.settings import get_value, set_value
from content_calendar.catalogues import Msg
from content_calendar.dialog.models import InboxItem, RumourHit, RumourJump
from publisher.db import Database, utcnow

log = logging.getLogger(__name__)

KEYWORDS_KEY = "rumour_keywords"
WINDOW = timedelta(minutes=10)
BASELINE = timedelta(hours=24)
MIN_JUMP = 3  # fewer mentions than this are never a jump
JUMP_FACTOR = 3.0
KEYWORD_MAX = 80
CORRECTION_TEMPLATE = "richtigstellung"

# The searches a line may name after "|": "#tag" (Mastodon hashtag timeline), and these words.
MASTODON_SEARCH = "mastodon"
BLUESKY_SEARCH = "bluesky"
SEARCH_WORDS = (MASTODON_SEARCH, BLUESKY_SEARCH)
HASHTAG_RE = re.compile(r"#(\w{1,100})")


@dataclass(frozen=True)
class Watched:
    """One watched word and the platform searches that look for it (empty: the inbox only)."""

    keyword: str
    searches: tuple[str, ...] = ()

    @property
    def line(self) -> str:
        return f"{self.keyword} | {' '.join(self.searches)}" if self.searches else self.keyword


@dataclass(frozen=True)
class RumourCount:
    keyword: str
    current: int  # in the last 10 minutes
    usual: float  # mean per 10 minutes over the 24 hours before
    jumped: bool


def watch_list(session: Session) -> list[Watched]:
    """The watched words with their searches (plain strings stored before searches existed)."""
    value = get_value(session, KEYWORDS_KEY, [])
    if not isinstance(value, list):
        return []
    found = []
    for entry in value:
        if isinstance(entry, dict):
            found.append(Watched(str(entry.get("keyword", "")), tuple(entry.get("searches") or ())))
        else:
            found.append(Watched(str(entry)))
    return [w for w in found if w.keyword]


def keywords(session: Session) -> list[str]:
    return [w.keyword for w in watch_list(session)]


def parse_searches(raw: str, keyword: str) -> tuple[str, ...]:
    """``#tag mastodon bluesky`` (spaces or commas) -> the searches, each problem named in German."""
    found: list[str] = []
    for token in raw.replace(",", " ").split():
        word = token.lower()
        if word in SEARCH_WORDS:
            found.append(word)
        elif HASHTAG_RE.fullmatch(token):
            found.append(token)
        else:
            raise ValueError(
                Msg(
                    "Unbekannte Suche „%(search)s“ bei „%(keyword)s“ — erlaubt sind #Hashtag "
                    "(Mastodon-Hashtag), mastodon (Mastodon-Suche) und bluesky (Bluesky-Suche)",
                    search=token[:40],
                    keyword=keyword[:40],
                )
            )
    return tuple(dict.fromkeys(found))


def parse_watch_list(raw: str) -> list[Watched]:
    """One line per keyword list: words (comma separated), optionally ``| searches`` for all of them."""
    watched: dict[str, Watched] = {}
    for line in raw.splitlines():
        words_part, _, search_part = line.partition("|")
        words = [w.strip() for w in words_part.split(",") if w.strip()]
        for word in words:
            if len(word) > KEYWORD_MAX:
                raise ValueError(
                    Msg(
                        "Suchwort zu lang (höchstens %(max)s Zeichen): %(word)s…",
                        max=KEYWORD_MAX,
                        word=word[:40],
                    )
                )
            watched.setdefault(word, Watched(word, parse_searches(search_part, word)))
        if search_part.strip() and not words:
            raise ValueError(Msg("Vor „|“ fehlt das Suchwort: %(line)s", line=line.strip()[:60]))
    return list(watched.values())


def set_keywords(session: Session, raw: str, by_id: int | None) -> list[str]:
    """Store the keyword lists; returns the words. Every problem is named in German."""
    watched = parse_watch_list(raw)
    set_value(session, KEYWORDS_KEY, [{"keyword": w.keyword, "searches": list(w.searches)} for w in watched])
    audit(session, "rumour.keywords_set", by_id, None, keywords=[w.line for w in watched])
    return [w.keyword for w in watched]


def counts(session: Session, now: datetime | None = None) -> list[RumourCount]:
    """Per watched word: inbox entries naming it and posts its searches found, each post once."""
    now = now or utcnow()
    watched = keywords(session)
    if not watched:
        return []
    since = now - WINDOW - BASELINE
    rows = session.execute(
        select(InboxItem.channel_id, InboxItem.remote_id, InboxItem.text, InboxItem.received_at).where(
            InboxItem.received_at >= since
        )
    ).all()
    hits = session.execute(
        select(RumourHit.keyword, RumourHit.channel_id, RumourHit.remote_id, RumourHit.posted_at).where(
            RumourHit.posted_at >= since, RumourHit.keyword.in_(watched)
        )
    ).all()
    windows = BASELINE / WINDOW
    found = []
    for keyword in watched:
        needle = keyword.lower()
        seen = {(c, r): when for c, r, text, when in rows if needle in text.lower()}
        for word, channel_id, remote_id, when in hits:
            if word == keyword:
                seen.setdefault((channel_id, remote_id), when)
        current = sum(1 for when in seen.values() if when >= now - WINDOW)
        usual = (len(seen) - current) / windows
        jumped = current >= MIN_JUMP and current >= JUMP_FACTOR * max(usual, 1.0)
        found.append(RumourCount(keyword, current, round(usual, 2), jumped))
    return found


def notify_jumps(session: Session, now: datetime | None = None) -> list[RumourCount]:
    """Record the jumps that are new (log and audit, once per jump) and return them.

    A word stays "jumping" until its count is no longer a jump; only then can it jump (and be
    reported) again. The claim is a conditional UPDATE, so two fetch rounds at once (the
    scheduler and ``ernstfall inbox fetch``) report a jump once.
    """
    now = now or utcnow()
    new = []
    for count in counts(session, now):
        if count.jumped and _claim(session, count, now):
            log.warning("rumour watch: %r %d times in 10 minutes (usual %.1f)", *astuple(count)[:3])
            audit(
                session,
                "rumour.jump",
                None,
                None,
                keyword=count.keyword,
                count=count.current,
                usual=count.usual,
            )
            new.append(count)
        elif not count.jumped:
            session.execute(
                update(RumourJump)
                .where(RumourJump.keyword == count.keyword, RumourJump.jumping.is_(True))
                .values(jumping=False)
            )
    return new


def _claim(session: Session, count: RumourCount, now: datetime) -> bool:
    if session.get(RumourJump, count.keyword) is None:
        try:
            with session.begin_nested():
                session.add(RumourJump(keyword=count.keyword, jumping=False, count=0))
        except IntegrityError:  # another round created it a moment ago
            pass
    hit = session.execute(
        update(RumourJump)
        .where(RumourJump.keyword == count.keyword, RumourJump.jumping.is_(False))
        .values(jumping=True, since=now, count=count.current)
        .execution_options(synchronize_session=False)
    )
    return bool(hit.rowcount)  # type: ignore[attr-defined]


def mark_notified(db: Database, keyword: str, now: datetime) -> None:
    with db.session() as session:
        session.execute(update(RumourJump).where(RumourJump.keyword == keyword).values(notified_at=now))


def release(db: Database, keyword: str) -> None:
    """Undo a claim whose mail did not go out, so the next round reports the jump again."""
    with db.session() as session:
        session.execute(update(RumourJump).where(RumourJump.keyword == keyword).values(jumping=False))
