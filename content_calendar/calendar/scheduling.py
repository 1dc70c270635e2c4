"""The scheduler tick's content side: release due posts, expire unapproved ones, roll up states.

Scheduling lives in SQL: a post is due when its ``publish_at`` has passed, not when a
Celery ETA fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.calendar.emergency_stop import active_stop
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.crisis.mode import crisis_active
from publisher.channels.base import Media, Message
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import create_delivery
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


def _hold(session: Session, post: Post, reason: str) -> None:
    result = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.state == P.APPROVED)
        .values(state=P.HELD, held_reason=reason, updated_at=utcnow())
        .execution_options(synchronize_session=False)  # "auto" scanned every loaded post: O(n²)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        audit(session, "post.held", None, post, reason=reason)


def release_due_posts(session: Session, settings: Settings, report: TickReport) -> None:
    now = utcnow()
    due = session.scalars(
        select(Post).where(Post.state == P.APPROVED, Post.publish_at <= now).order_by(Post.publish_at)
    ).all()
    if not due:
        return
    in_crisis = crisis_active(session, settings)
    stop = active_stop(session)
    late_window = timedelta(minutes=settings.late_post_minutes)
    channels = {c.id: c for c in session.scalars(select(Channel))}
    releasable: list[Post] = []
    for post in due:
        if in_crisis:
            _hold(session, post, "Krisenmodus: Community-Beiträge ruhen bis zur Entwarnung")
            report.held += 1
            continue
        if stop is not None:
            _hold(session, post, f"Notstopp durch {stop.by}: {stop.reason}")
            report.held += 1
            continue
        if now - post.publish_at > late_window:
            _hold(
                session,
                post,
                f"Mehr als {settings.late_post_minutes} Minuten verspätet — bitte entscheiden",
            )
            report.held += 1
            continue
        releasable.append(post)
    _release(session, releasable, channels, settings, now, report)


def _release(
    session: Session,
    posts: list[Post],
    channels: dict[int, Channel],
    settings: Settings,
    now: datetime,
    report: TickReport,
) -> None:
    """Claim posts in bulk and create their deliveries with one flush.

    A conditional UPDATE ... RETURNING claims only posts still approved, so two
    scheduler processes never release the same post. One flush for all deliveries
    instead of one per delivery: 1,000 posts due in the same second are released
    in a fraction of the time (see bench/schedule_lateness.py).
    """
    by_id = {post.id: post for post in posts}
    claimed: list[int] = []
    ids = list(by_id)
    for start in range(0, len(ids), CLAIM_BATCH):
        chunk = ids[start : start + CLAIM_BATCH]
        claimed += session.scalars(
            update(Post)
            .where(Post.id.in_(chunk), Post.state == P.APPROVED)
            .values(state=P.PUBLISHING, released_at=now, updated_at=now)
            .returning(Post.id)
            .execution_options(synchronize_session=False)
        ).all()
    created: list[Delivery] = []
    for post_id in sorted(claimed, key=lambda i: by_id[i].publish_at):
        post = by_id[post_id]
        message = message_for_post(post, settings.media_dir)
        before = len(created)
        for channel_id in post.channel_ids:
            channel = channels.get(channel_id)
            if channel is None or not channel.enabled or not channel.serves(Lane.COMMUNITY):
                continue
            created.append(
                create_delivery(
                    session,
                    channel=channel,
                    lane=Lane.COMMUNITY,
                    message=message,
                    settings=settings,
                    source_kind="post",
                    source_id=post.id,
                    idempotency_key=f"post-{post.id}-{channel.id}",
                )
            )
        if len(created) == before:
            report.without_deliveries.append(post_id)
        report.released += 1
    session.flush()
    assert report.deliveries is not None
    report.deliveries.extend((d.id, d.lane) for d in created)


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


def roll_up_post_states(session: Session, report: TickReport, mark: RollUpMark | None = None) -> None:
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
        finish_posts(session, sorted(set(candidates)), report)


def finish_posts(session: Session, post_ids: list[int], report: TickReport) -> None:
    states: dict[int, list[str]] = {post_id: [] for post_id in post_ids}
    for start in range(0, len(post_ids), CLAIM_BATCH):
        rows = session.execute(
            select(Delivery.source_id, Delivery.state).where(
                Delivery.source_kind == "post", Delivery.source_id.in_(post_ids[start : start + CLAIM_BATCH])
            )
        )
        for source_id, state in rows:
            if source_id is not None:
                states[source_id].append(state)
    for post_id, found in states.items():
        if any(s in ACTIVE_DELIVERY_STATES for s in found):
            continue
        sent = sum(1 for s in found if s in (DeliveryState.SENT, DeliveryState.PREVIEWED))
        if found and sent == len(found):
            final = P.PUBLISHED
        elif sent:
            final = P.PARTLY_FAILED
        else:
            final = P.FAILED
        done = session.execute(
            update(Post).where(Post.id == post_id, Post.state == P.PUBLISHING).values(state=final)
        )
        report.finished += done.rowcount  # type: ignore[attr-defined]


def tick(db: Database, settings: Settings) -> TickReport:
    """One scheduler pass; the caller enqueues ``report.deliveries`` after this commits."""
    report = TickReport(deliveries=[])
    with db.session() as session:
        release_due_posts(session, settings, report)
        expire_unapproved(session, report)
        roll_up_post_states(session, report)
    return report
