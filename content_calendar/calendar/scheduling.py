"""The scheduler tick's content side: release due posts, expire unapproved ones, roll up states.

Scheduling lives in SQL: a post is due when its ``publish_at`` has passed, not when a
Celery ETA fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.calendar.emergency_stop import active_stop
from content_calendar.calendar.hold import hold_posts
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.crisis.mode import crisis_active
from publisher.channels.base import Media, Message
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import NewDelivery, adapter_for, crisis_busy, insert_deliveries
from publisher.settings import Settings
from publisher.vocabulary import ACTIVE_DELIVERY_STATES, DeliveryState, Lane

P = PostState
CLAIM_BATCH = 500  # ids per UPDATE ... IN (...); far below SQLite's variable limit


@dataclass
class TickReport:
    released: int = 0
    held: int = 0
    expired: int = 0
    finished: int = 0
    deliveries: list[tuple[int, str]] | None = None
    without_deliveries: list[int] = field(default_factory=list)  # released, no channel took them


def message_for_post(post: Post, media_dir: Path | None = None) -> Message:
    """The channel-independent message of a post.

    Posts keep bare media names; with ``media_dir`` they become file paths the
    adapters can upload (validation needs no files, sending does).
    """
    media = []
    for item in post.media or ():
        path = str(item["path"])
        if media_dir is not None and not Path(path).is_absolute():
            path = str(media_dir / path)
        media.append(Media(**{**item, "path": path}))
    return Message(
        text=post.text,
        title=post.title or None,
        link=post.link,
        kind="post",
        variants=dict(post.variants or {}),
        media=tuple(media),
        extras={"post_id": post.id, "theme": post.theme},
    )


# A community write transaction writes at most about this many rows (posts, deliveries,
# their log and audit rows) and is committed before the next starts, so a crisis write
# never waits behind a long one on SQLite's single writer (issue 16: the drain phase).
WRITE_BATCH = 50


def _yield_to_crisis(settings: Settings) -> Callable[[], float]:
    """What the scheduler runs before each community write batch: wait while an alert is sent."""
    return lambda: crisis_busy.wait_while_raised(settings.redis_url)


def _hold_reason(post: Post, now: datetime, settings: Settings, in_crisis: bool, stop: Any) -> str | None:
    if in_crisis:
        return "Krisenmodus: Community-Beiträge ruhen bis zur Entwarnung"
    if stop is not None:
        return f"Notstopp durch {stop.by}: {stop.reason}"
    if now - post.publish_at > timedelta(minutes=settings.late_post_minutes):
        return f"Mehr als {settings.late_post_minutes} Minuten verspätet — bitte entscheiden"
    return None


Handover = Callable[[list[tuple[int, str]]], None]


def release_due_posts(
    session: Session, settings: Settings, report: TickReport, handover: Handover | None = None
) -> None:
    """Hold or release every due post, committing after each small batch (see WRITE_BATCH).

    With ``handover`` each batch's deliveries are handed to it as soon as the batch is
    committed (the workers start sending while the rest is released); without, they are
    collected in ``report.deliveries`` for the caller to enqueue after the tick.
    """
    now = utcnow()
    due = session.scalars(
        select(Post).where(Post.state == P.APPROVED, Post.publish_at <= now).order_by(Post.publish_at)
    ).all()
    if not due:
        return
    in_crisis = crisis_active(session, settings)
    stop = active_stop(session)
    channels = {c.id: c for c in session.scalars(select(Channel))}
    to_hold: dict[str, list[int]] = {}
    releasable: list[Post] = []
    for post in due:
        reason = _hold_reason(post, now, settings, in_crisis, stop)
        if reason is None:
            releasable.append(post)
        else:
            to_hold.setdefault(reason, []).append(post.id)
    pause = _yield_to_crisis(settings)
    for reason, ids in to_hold.items():
        report.held += len(hold_posts(session, ids, reason, before_batch=pause))
    assert report.deliveries is not None
    for batch in release_batches(releasable):
        pause()
        created = _release(session, batch, channels, settings, now, report)
        session.commit()
        if handover is None:
            report.deliveries.extend(created)
        elif created:
            handover(created)


def release_batches(posts: list[Post]) -> list[list[Post]]:
    """Posts in batches whose claim, deliveries and delivery log rows stay within WRITE_BATCH.

    A post costs one row plus two per channel (its delivery and the delivery's first log
    row); a post with more channels than fit is released alone.
    """
    batches: list[list[Post]] = []
    current: list[Post] = []
    rows = 0
    for post in posts:
        cost = 1 + 2 * len(post.channel_ids or ())
        if current and rows + cost > WRITE_BATCH:
            batches.append(current)
            current, rows = [], 0
        current.append(post)
        rows += cost
    if current:
        batches.append(current)
    return batches


def _release(
    session: Session,
    posts: list[Post],
    channels: dict[int, Channel],
    settings: Settings,
    now: datetime,
    report: TickReport,
) -> list[tuple[int, str]]:
    """Claim posts in bulk and create their deliveries in two statements; returns (id, lane) of each.

    Every post's deliveries are rendered first, before the transaction writes anything: on
    SQLite the claim takes the one writer, and an alert that comes meanwhile waits only for
    the few statements below, not for the rendering. A conditional UPDATE ... RETURNING
    claims only posts still approved, so two scheduler processes never release the same post.
    """
    prepared = {post.id: _prepared(post, channels, settings) for post in posts}
    claimed: list[int] = []
    ids = list(prepared)
    for start in range(0, len(ids), CLAIM_BATCH):
        chunk = ids[start : start + CLAIM_BATCH]
        claimed += session.scalars(
            update(Post)
            .where(Post.id.in_(chunk), Post.state == P.APPROVED)
            .values(state=P.PUBLISHING, released_at=now, updated_at=now)
            .returning(Post.id)
            .execution_options(synchronize_session=False)
        ).all()
    by_id = {post.id: post for post in posts}
    items: list[tuple[NewDelivery, dict[str, Any], int | None]] = []
    for post_id in sorted(claimed, key=lambda i: by_id[i].publish_at):
        message, new = prepared[post_id]
        if not new:
            report.without_deliveries.append(post_id)
        items += [(item, message, post_id) for item in new]
        report.released += 1
    created = insert_deliveries(session, items, lane=Lane.COMMUNITY, settings=settings, source_kind="post")
    return [(delivery_id, Lane.COMMUNITY.value) for delivery_id in created]


def _prepared(
    post: Post, channels: dict[int, Channel], settings: Settings
) -> tuple[dict[str, Any], list[NewDelivery]]:
    """A post's serialised message and its rendering for each enabled community channel it names."""
    message = message_for_post(post, settings.media_dir)
    new = [
        NewDelivery(channel, f"post-{post.id}-{channel.id}", adapter_for(channel, settings).render(message))
        for channel_id in post.channel_ids
        if (channel := channels.get(channel_id)) is not None
        and channel.enabled
        and channel.serves(Lane.COMMUNITY)
    ]
    return message.to_dict(), new


def expire_unapproved(session: Session, report: TickReport) -> None:
    """Posts not approved by their time are never published late silently."""
    now = utcnow()
    stale = session.scalars(
        select(Post).where(Post.state.in_([P.DRAFT, P.REVIEW]), Post.publish_at <= now)
    ).all()
    for post in stale:
        post.state = P.EXPIRED
        post.held_reason = "Nicht rechtzeitig freigegeben"
        audit(session, "post.expired", None, post)
        report.expired += 1


# The roll-up looks only at deliveries that changed since its last pass (index
# ix_deliveries_changed), so its cost follows the sending rate, not the backlog. The
# overlap covers a worker that stamped ``updated_at`` just before our last pass but
# committed just after it; the full pass (one anti-join in SQL, at start and then every
# minute) is the safety net for anything the window missed.
ROLL_UP_OVERLAP = timedelta(seconds=5)
FULL_ROLL_UP_EVERY = timedelta(seconds=60)


@dataclass
class RollUpMark:
    """Where the roll-up of one database stands, kept by the scheduler process."""

    since: datetime | None = None
    last_full: datetime | None = None

    def full_due(self, now: datetime) -> bool:
        return self.since is None or self.last_full is None or now - self.last_full >= FULL_ROLL_UP_EVERY


_marks: dict[str, RollUpMark] = {}


def roll_up_mark(session: Session) -> RollUpMark:
    bind = session.get_bind()
    return _marks.setdefault(str(bind.engine.url), RollUpMark())


def finished_publishing_posts(session: Session) -> list[int]:
    """Every publishing post without an active delivery: the full pass, in SQL."""
    active = (
        select(Delivery.id)
        .where(
            Delivery.source_kind == "post",
            Delivery.source_id == Post.id,
            Delivery.state.in_(ACTIVE_DELIVERY_STATES),
        )
        .exists()
    )
    return list(session.scalars(select(Post.id).where(Post.state == P.PUBLISHING, ~active)))


def changed_publishing_posts(session: Session, since: datetime) -> list[int]:
    """Publishing posts with a delivery that reached a final state since ``since``."""
    changed = (
        select(Delivery.source_id)
        .where(
            Delivery.source_kind == "post",
            Delivery.updated_at >= since,
            Delivery.state.not_in(ACTIVE_DELIVERY_STATES),
        )
        .distinct()
        .scalar_subquery()
    )
    return list(session.scalars(select(Post.id).where(Post.id.in_(changed), Post.state == P.PUBLISHING)))


def roll_up_post_states(
    session: Session,
    report: TickReport,
    mark: RollUpMark | None = None,
    before_batch: Callable[[], Any] | None = None,
) -> None:
    """Final post state from its deliveries, for the posts whose deliveries changed."""
    mark = mark or roll_up_mark(session)
    now = utcnow()
    if mark.full_due(now):
        candidates = finished_publishing_posts(session)
        mark.last_full = now
    else:
        assert mark.since is not None
        candidates = changed_publishing_posts(session, mark.since - ROLL_UP_OVERLAP)
    candidates += report.without_deliveries
    mark.since = now
    if candidates:
        finish_posts(session, sorted(set(candidates)), report, before_batch)


def finish_posts(
    session: Session,
    post_ids: list[int],
    report: TickReport,
    before_batch: Callable[[], Any] | None = None,
) -> None:
    """Set the final state of finished posts: one UPDATE per state and batch, committed per batch."""
    for start in range(0, len(post_ids), WRITE_BATCH):
        finals = _final_states(session, post_ids[start : start + WRITE_BATCH])
        if not finals:
            continue
        if before_batch is not None:
            before_batch()
        for final in sorted(set(finals.values())):
            ids = [post_id for post_id, state in finals.items() if state == final]
            done = session.execute(
                update(Post)
                .where(Post.id.in_(ids), Post.state == P.PUBLISHING)
                .values(state=final)
                .execution_options(synchronize_session=False)
            )
            report.finished += done.rowcount  # type: ignore[attr-defined]
        session.commit()


def _final_states(session: Session, post_ids: list[int]) -> dict[int, str]:
    """The final state of each post among ``post_ids`` whose deliveries have all ended."""
    states: dict[int, list[str]] = {post_id: [] for post_id in post_ids}
    rows = session.execute(
        select(Delivery.source_id, Delivery.state).where(
            Delivery.source_kind == "post", Delivery.source_id.in_(post_ids)
        )
    )
    for source_id, state in rows:
        if source_id is not None:
            states[source_id].append(state)
    finals: dict[int, str] = {}
    for post_id, found in states.items():
        if any(s in ACTIVE_DELIVERY_STATES for s in found):
            continue
        sent = sum(1 for s in found if s in (DeliveryState.SENT, DeliveryState.PREVIEWED))
        if found and sent == len(found):
            finals[post_id] = P.PUBLISHED
        elif sent:
            finals[post_id] = P.PARTLY_FAILED
        else:
            finals[post_id] = P.FAILED
    return finals


def seconds_until_next_due(db: Database, after: datetime | None = None) -> float | None:
    """How long until the next approved post due after ``after`` (default: now) is due.

    None: none is waiting. The scheduler sleeps at most this long, so a post is released
    at its time rather than at the next tick (index ``ix_posts_publish_at``: one row read).
    With ``after`` = when the last tick began, a post that fell due since then gives 0 or
    less (wake at once); one due before it (the tick could not release it) is not waited for.
    """
    now = utcnow()
    with db.session() as session:
        upcoming = session.scalar(
            select(Post.publish_at)
            .where(Post.state == P.APPROVED, Post.publish_at > (after or now))
            .order_by(Post.publish_at)
            .limit(1)
        )
    return None if upcoming is None else (upcoming - now).total_seconds()


def tick(db: Database, settings: Settings, handover: Handover | None = None) -> TickReport:
    """One scheduler pass; the caller enqueues ``report.deliveries`` after this commits.

    With ``handover``, released posts' deliveries go to it batch by batch right after each
    commit instead (see :func:`release_due_posts`).

    Every community write here is a small transaction of its own (WRITE_BATCH), and each
    waits while an alert is being issued or sent (``publisher.outbox.crisis_busy``).
    """
    report = TickReport(deliveries=[])
    with db.session() as session:
        release_due_posts(session, settings, report, handover)
        expire_unapproved(session, report)
        session.commit()
        roll_up_post_states(session, report, before_batch=_yield_to_crisis(settings))
    return report
