"""The platform searches the rumour watch may use, and only those the platforms allow.

* Mastodon hashtag timeline ``GET /api/v1/timelines/tag/:hashtag`` (``#tag`` in a keyword line),
* Mastodon search ``GET /api/v2/search?type=statuses`` (``mastodon``; needs the token, and an
  instance searches full text only in posts their authors opened to search, besides our own
  and those mentioning us),
* Bluesky ``app.bsky.feed.searchPosts`` (``bluesky``; sorted by ``latest``, since the start of
  the counting period), through our PDS with the channel's session.

Each search takes one read from the channel's *read* budget, the one the inbox fetch uses
(``inbox_rate_limit``; a platform's 429 pauses reads only), and a channel whose inbox fetch is
told to wait (``not_before``) is not searched either. A search round reads what to search in
one short transaction, searches with none open, and stores what it found in another. A post
found counts once per word (unique word, channel, post id); our own posts are left out, so a
correction that repeats the rumour's hashtag does not count as the rumour.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from content_calendar.dialog import rumours
from content_calendar.dialog.inbox import inbox_channels
from content_calendar.dialog.models import InboxCursor, RumourHit
from publisher.channels import bluesky as bluesky_channel
from publisher.channels import mastodon as mastodon_channel
from publisher.channels.base import ChannelAdapter
from publisher.channels.bluesky import BlueskyChannel
from publisher.channels.mastodon import MastodonChannel
from publisher.channels.registry import make_adapter
from publisher.db import Database, utcnow
from publisher.errors import DeliveryError
from publisher.inbox import acquire_read, parse_time, pause_reads
from publisher.models import Delivery
from publisher.outbox import channel_config
from publisher.settings import Settings

if TYPE_CHECKING:  # the SDKs load only where a search runs (issue 16: memory)
    from atproto import Client

log = logging.getLogger(__name__)

# Searches take from the same read budget as each adapter's fetch_inbox: one budget per channel.
MASTODON_READ_RATE = mastodon_channel.READ_RATE
BLUESKY_READ_RATE = bluesky_channel.READ_RATE
MASTODON_LIMIT = 40  # the most a tag timeline or search page returns
BLUESKY_LIMIT = 100
KEEP = rumours.WINDOW + rumours.BASELINE + timedelta(hours=1)  # hits older than this count no more


@dataclass(frozen=True)
class Found:
    remote_id: str
    posted_at: datetime
    url: str | None = None


@dataclass(frozen=True)
class _Job:
    channel_id: int
    name: str
    adapter: ChannelAdapter
    searches: list[tuple[str, str]]  # (keyword, search)


@dataclass
class SearchReport:
    """Per channel, what the round did (German, for the CLI and the log)."""

    channels: dict[str, str] = field(default_factory=dict)
    new_hits: int = 0


def wanted_for(platform: str, watched: list[rumours.Watched]) -> list[tuple[str, str]]:
    """The (keyword, search) pairs a channel of ``platform`` runs."""
    pairs = []
    for item in watched:
        for search in item.searches:
            tag = search.startswith("#")
            if (platform == "mastodon" and (tag or search == rumours.MASTODON_SEARCH)) or (
                platform == "bluesky" and search == rumours.BLUESKY_SEARCH
            ):
                pairs.append((item.keyword, search))
    return pairs


def _jobs(db: Database, settings: Settings, now: datetime, report: SearchReport) -> list[_Job]:
    jobs = []
    with db.session() as session:
        watched = rumours.watch_list(session)
        for channel in inbox_channels(session):
            searches = wanted_for(channel.type, watched)
            if not searches:
                continue
            cursor = session.get(InboxCursor, channel.id)
            if cursor is not None and cursor.not_before is not None and cursor.not_before > now:
                report.channels[channel.name] = f"Suche wartet bis {cursor.not_before:%H:%M:%S} UTC"
                continue
            adapter = make_adapter(channel_config(channel, settings))
            if isinstance(adapter, MastodonChannel | BlueskyChannel):
                jobs.append(_Job(channel.id, channel.name, adapter, searches))
    return jobs


def search_all(db: Database, settings: Settings, now: datetime | None = None) -> SearchReport:
    """Run every keyword's searches once on every channel they name; store what is new."""
    now = now or utcnow()
    report = SearchReport()
    for job in _jobs(db, settings, now, report):
        found = _run_job(job, now, report)
        with db.session() as session:
            report.new_hits += store(session, job.channel_id, found, now)
    with db.session() as session:
        session.execute(delete(RumourHit).where(RumourHit.posted_at < now - KEEP))
    return report


def _run_job(job: _Job, now: datetime, report: SearchReport) -> list[tuple[str, str, Found]]:
    """One channel's searches, with no transaction open; stops at the first refusal or 429."""
    found: list[tuple[str, str, Found]] = []
    for done, (keyword, search) in enumerate(job.searches):
        try:
            posts = run_search(job.adapter, search, keyword, now)
        except DeliveryError as exc:
            # Budget used up, a 429 or a refusal: the channel's other searches wait for the next round.
            report.channels[job.name] = f"Suche: {done} von {len(job.searches)}, dann Fehler: {exc}"
            log.warning("rumour search %s on %s failed: %s", search, job.name, exc)
            return found
        found += [(keyword, search, post) for post in posts]
    report.channels[job.name] = f"Suche: {len(job.searches)} von {len(job.searches)}"
    return found


def run_search(adapter: ChannelAdapter, search: str, keyword: str, now: datetime) -> list[Found]:
    if isinstance(adapter, MastodonChannel):
        return mastodon_search(adapter, search, keyword)
    if isinstance(adapter, BlueskyChannel):
        return bluesky_search(adapter, keyword, now - rumours.WINDOW - rumours.BASELINE)
    return []


def mastodon_search(adapter: MastodonChannel, search: str, keyword: str) -> list[Found]:
    """A hashtag timeline (``#tag``) or the status search for ``keyword``."""
    from mastodon.errors import MastodonError, MastodonRatelimitError  # only where it searches

    client = adapter.client()
    acquire_read(adapter.config, MASTODON_READ_RATE)
    try:
        if search.startswith("#"):
            statuses: Any = client.timeline_hashtag(search[1:], limit=MASTODON_LIMIT)
        else:
            result = client.search_v2(keyword, resolve=False, result_type="statuses", limit=MASTODON_LIMIT)
            statuses = result["statuses"]
    except MastodonRatelimitError as exc:
        reset = client.ratelimit_reset
        wait = max(1.0, reset - time.time()) if reset else 60.0
        pause_reads(adapter.config, wait)  # reads wait; the send budget is untouched
        raise DeliveryError(f"{adapter.config.name}: Rate-Limit beim Suchen", retry_after=wait) from exc
    except MastodonError as exc:
        raise adapter.classify(exc, client) from exc
    return [
        Found(str(status["id"]), parse_time(status["created_at"]), status.get("url")) for status in statuses
    ]


def bluesky_search(adapter: BlueskyChannel, keyword: str, since: datetime) -> list[Found]:
    """``searchPosts`` for ``keyword``, newest first, not older than the counting period."""
    from atproto import models  # only where it searches
    from atproto_client.exceptions import AtProtocolError

    acquire_read(adapter.config, BLUESKY_READ_RATE)
    params = models.AppBskyFeedSearchPosts.Params(
        q=keyword, sort="latest", since=since.strftime("%Y-%m-%dT%H:%M:%S.000Z"), limit=BLUESKY_LIMIT
    )

    def searched(client: Client) -> Any:
        try:
            return client.app.bsky.feed.search_posts(params)
        except (AtProtocolError, httpx.HTTPError, ValueError) as exc:
            raise adapter.classify(exc, posting=False) from exc

    response = adapter.with_session(searched)
    return [
        Found(
            str(post.uri),
            parse_time(post.indexed_at),
            BlueskyChannel.post_url(str(post.author.handle), str(post.uri)),
        )
        for post in response.posts
    ]


def store(session: Session, channel_id: int, found: list[tuple[str, str, Found]], now: datetime) -> int:
    """Keep the hits not seen before and not our own posts, within the counting period."""
    recent = [(k, s, f) for k, s, f in found if f.posted_at >= now - KEEP]
    ids = {f.remote_id for _, _, f in recent}
    if not ids:
        return 0
    seen = {
        (keyword, remote_id)
        for keyword, remote_id in session.execute(
            select(RumourHit.keyword, RumourHit.remote_id).where(
                RumourHit.channel_id == channel_id, RumourHit.remote_id.in_(ids)
            )
        )
    }
    ours = set(
        session.scalars(
            select(Delivery.remote_id).where(Delivery.channel_id == channel_id, Delivery.remote_id.in_(ids))
        )
    )
    added = 0
    for keyword, search, post in recent:
        if (keyword, post.remote_id) in seen or post.remote_id in ours:
            continue
        seen.add((keyword, post.remote_id))
        session.add(
            RumourHit(
                keyword=keyword,
                search=search,
                channel_id=channel_id,
                remote_id=post.remote_id[:300],
                url=(post.url or "")[:1000] or None,
                posted_at=post.posted_at,
                found_at=now,
            )
        )
        added += 1
    return added


def channels_for_searches(session: Session) -> list[str]:
    """Names of the channels that can run searches (for the rumours page)."""
    return sorted(c.name for c in inbox_channels(session) if c.type in ("mastodon", "bluesky"))
