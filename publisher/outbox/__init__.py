"""The delivery outbox: create, claim, send, record, sweep.

Every (message, channel) pair is a :class:`~publisher.models.Delivery` row. A worker
claims a row with one conditional UPDATE (so two workers never send the same row at
once), sends outside any transaction, and records the outcome. The sweep finds rows
that are due or whose lease expired and nudges them again.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from publisher.channels.base import ChannelAdapter, ChannelConfig, Message, Problem, Receipt
from publisher.channels.registry import adapter_class, make_adapter
from publisher.db import Database, utcnow
from publisher.errors import DeliveryError
from publisher.models import Channel, Delivery, DeliveryLog
from publisher.outbox import crisis_busy
from publisher.outbox.group_commit import GroupCommit
from publisher.outbox.lease import LeaseHeartbeat
from publisher.outbox.ready_threads import ReadyThreads
from publisher.outbox.retry import backoff_seconds
from publisher.outbox.trace import mark
from publisher.settings import Settings
from publisher.vocabulary import ChannelCategory, DeliveryState, Lane, channel_category

log = logging.getLogger(__name__)
S = DeliveryState
SEND_THREADS = 8  # parallel sends within one community batch
# Every delivery of an alert is sent at once: an alert goes to a dozen channels or so,
# and each waits on a platform, not on this process.
CRISIS_SEND_THREADS = 32
CRISIS_THREADS = ReadyThreads(CRISIS_SEND_THREADS)  # started by the crisis worker at worker_ready


def channel_config(channel: Channel, settings: Settings) -> ChannelConfig:
    return ChannelConfig(
        name=channel.name,
        type=channel.type,
        base_url=channel.base_url,
        options=dict(channel.options or {}),
        http_timeout=settings.http_timeout,
        platform_limits=dict(channel.platform_limits or {}),
        settings=settings,
    )


def adapter_for(channel: Channel, settings: Settings) -> ChannelAdapter:
    return make_adapter(channel_config(channel, settings))


def validate_for(channel: Channel, message: Message, settings: Settings) -> list[Problem]:
    return adapter_for(channel, settings).validate(message)


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def create_delivery(
    session: Session,
    *,
    channel: Channel,
    lane: str,
    message: Message,
    settings: Settings,
    source_kind: str,
    source_id: int | None,
    idempotency_key: str | None = None,
    not_before: datetime | None = None,
    refused: str | None = None,
    rendered: dict[str, Any] | None = None,
) -> Delivery:
    """Add a pending delivery; the caller commits, then enqueues (never before).

    ``refused`` records a delivery that cannot be sent (the channel's own check failed)
    as dead with that reason, so it is visible instead of silently missing. ``rendered`` is
    the adapter's rendering when the caller already made it (the alert composer): what was
    checked is stored, not a second rendering.
    """
    if rendered is None:
        rendered = adapter_for(channel, settings).render(message)
    values = _delivery_values(
        NewDelivery(channel, idempotency_key or new_idempotency_key(), rendered, refused),
        lane=lane,
        message=message.to_dict(),
        settings=settings,
        source_kind=source_kind,
        source_id=source_id,
        not_before=not_before,
    )
    delivery = Delivery(channel=channel, **values)
    session.add(delivery)
    for event, detail in _log_entries(channel, lane, refused):
        delivery.log.append(DeliveryLog(event=event, detail=detail))
    return delivery


@dataclass(frozen=True)
class NewDelivery:
    """One channel's delivery of a message that :func:`add_deliveries` writes with the others."""

    channel: Channel
    idempotency_key: str
    rendered: dict[str, Any]
    refused: str | None = None


def add_deliveries(
    session: Session,
    new: list[NewDelivery],
    *,
    lane: str,
    message: Message,
    settings: Settings,
    source_kind: str,
    source_id: int | None,
) -> list[int]:
    """The deliveries of one message to many channels: one multi-row INSERT, one for their log.

    What :func:`create_delivery` does per channel, for an alert's channels at once: the
    message is serialised once, the rows go in with one ``INSERT … RETURNING`` and the
    log rows with one more, instead of an ORM unit of work per delivery inside the
    alert's transaction. Returns the new ids in the order of ``new``; the caller commits,
    then enqueues.
    """
    shared = message.to_dict()
    items = [(item, shared, source_id) for item in new]
    return insert_deliveries(session, items, lane=lane, settings=settings, source_kind=source_kind)


def insert_deliveries(
    session: Session,
    items: list[tuple[NewDelivery, dict[str, Any], int | None]],
    *,
    lane: str,
    settings: Settings,
    source_kind: str,
) -> list[int]:
    """Deliveries of several messages at once: (delivery, serialised message, source id) each.

    The two statements behind :func:`add_deliveries`; the scheduler releases a batch of
    posts with them, each post with its own message, rendered before its transaction writes.
    Returns the new ids in the order of ``items``.
    """
    if not items:
        return []
    rows = [
        _delivery_values(
            item,
            lane=lane,
            message=message,
            settings=settings,
            source_kind=source_kind,
            source_id=source_id,
        )
        | {"channel_id": item.channel.id}
        for item, message, source_id in items
    ]
    ids = list(session.scalars(insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True), rows))
    logs = [
        {"delivery_id": delivery_id, "event": event, "detail": detail}
        for delivery_id, (item, _message, _source) in zip(ids, items, strict=True)
        for event, detail in _log_entries(item.channel, lane, item.refused)
    ]
    session.execute(insert(DeliveryLog), logs)
    return ids


def _delivery_values(
    item: NewDelivery,
    *,
    lane: str,
    message: dict[str, Any],
    settings: Settings,
    source_kind: str,
    source_id: int | None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """The columns of a new delivery (pending, or dead at once when it was refused)."""
    now = utcnow()
    crisis = lane == Lane.CRISIS
    return {
        "lane": lane,
        "source_kind": source_kind,
        "source_id": source_id,
        "message": message,
        "rendered": item.rendered,
        "state": S.DEAD if item.refused else S.PENDING,
        "last_error": f"Nicht gesendet: {item.refused}" if item.refused else None,
        "max_attempts": settings.max_attempts_crisis if crisis else settings.max_attempts_community,
        "next_attempt_at": not_before or now,
        "idempotency_key": item.idempotency_key,
        "last_enqueued_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _log_entries(channel: Channel, lane: str, refused: str | None) -> list[tuple[str, str]]:
    created = ("created", f"Kanal {channel.name}, {lane}")
    return [created, (S.DEAD, refused)] if refused else [created]


@dataclass(frozen=True)
class Claimed:
    """What a worker needs to send one delivery, read inside the claim transaction."""

    id: int
    attempt: int
    lane: str
    channel: ChannelConfig
    message: dict[str, Any]
    rendered: dict[str, Any]
    idempotency_key: str
    max_attempts: int = 1


def worker_identity(pid: int | None = None) -> str:
    """``host:pid``: the lease owner a process writes, and its supervisor recognises."""
    return f"{socket.gethostname()}:{pid if pid is not None else os.getpid()}"


def claim_many(
    session: Session, delivery_ids: list[int], settings: Settings, *, owner: str | None = None
) -> list[Claimed]:
    """Claim every due delivery among ``delivery_ids`` with one conditional UPDATE.

    A row already claimed, sent or not yet due is skipped, so two workers never send
    the same delivery at once, whatever the queue delivered twice. ``owner`` (default:
    this process) is recorded so that a supervisor can release a dead worker's claims.
    """
    if not delivery_ids:
        return []
    configs = _channel_configs(session, delivery_ids, settings)  # read before the first write
    now = utcnow()
    rows = session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.state.in_([S.PENDING, S.FAILED]),
            Delivery.next_attempt_at <= now,
        )
        .values(
            state=S.SENDING,
            attempts=Delivery.attempts + 1,
            lease_until=now + timedelta(seconds=settings.lease_seconds),
            lease_owner=owner or worker_identity(),
            updated_at=now,
        )
        .returning(
            Delivery.id,
            Delivery.attempts,
            Delivery.lane,
            Delivery.channel_id,
            Delivery.message,
            Delivery.rendered,
            Delivery.idempotency_key,
            Delivery.max_attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return []
    session.execute(
        insert(DeliveryLog),
        [{"delivery_id": row.id, "event": "attempt", "detail": f"Versuch {row.attempts}"} for row in rows],
    )
    return [
        Claimed(
            id=row.id,
            attempt=row.attempts,
            lane=row.lane,
            channel=configs[row.channel_id],
            message=row.message,
            rendered=row.rendered or {},
            idempotency_key=row.idempotency_key,
            max_attempts=row.max_attempts,
        )
        for row in rows
    ]


def _channel_configs(
    session: Session, delivery_ids: list[int], settings: Settings
) -> dict[int, ChannelConfig]:
    """The configuration of every channel these deliveries go to, by channel id.

    Read before the claim writes: on SQLite the claim's UPDATE takes the one writer, and
    everything done after it (building configurations included) would hold it longer.
    """
    channels = session.scalars(
        select(Channel).where(Channel.id.in_(select(Delivery.channel_id).where(Delivery.id.in_(delivery_ids))))
    )
    return {channel.id: channel_config(channel, settings) for channel in channels}


def claim(session: Session, delivery_id: int, settings: Settings) -> Claimed | None:
    jobs = claim_many(session, [delivery_id], settings)
    return jobs[0] if jobs else None


@dataclass(frozen=True)
class Outcome:
    job: Claimed
    receipt: Receipt | None
    error: DeliveryError | None
    idempotent: bool


def send_one(job: Claimed) -> Outcome:
    """Send outside any transaction; every failure becomes a DeliveryError."""
    adapter = make_adapter(job.channel)
    adapter.attempt = job.attempt
    message = Message.from_dict(job.message)
    mark(job.id, "adapter built")
    try:
        receipt = adapter.send(job.rendered, message, job.idempotency_key)
    except DeliveryError as exc:
        mark(job.id, "answered")
        return Outcome(job, None, exc, adapter.idempotent)
    except Exception as exc:  # an adapter bug must not lose the delivery
        log.exception("delivery %s: unexpected error in adapter %s", job.id, job.channel.type)
        error = DeliveryError(f"interner Fehler im Kanal {job.channel.name}: {type(exc).__name__}")
        return Outcome(job, None, error, adapter.idempotent)
    mark(job.id, "answered")
    return Outcome(job, receipt, None, adapter.idempotent)


def leased_sender(db: Database, settings: Settings) -> Callable[[Claimed], Outcome]:
    """``send_one`` with a heartbeat renewing the lease while the send runs (``lease.py``)."""

    def send(job: Claimed) -> Outcome:
        with LeaseHeartbeat(db, job.id, job.attempt, settings.lease_seconds):
            mark(job.id, "lease registered")
            return send_one(job)

    return send


def process_delivery(
    db: Database, delivery_id: int, settings: Settings, *, inline: bool = False
) -> str | None:
    """Claim, send and record one delivery. Returns the new state, or None if not claimed."""
    return process_many(db, [delivery_id], settings, inline=inline).get(delivery_id)


def process_many(
    db: Database,
    delivery_ids: list[int],
    settings: Settings,
    *,
    inline: bool = False,
    owner: str | None = None,
) -> dict[int, str]:
    """Claim a batch in one transaction, send each concurrently, record the outcomes.

    One claim for the batch: an alert's deliveries to every channel arrive as one task, so
    the crisis worker runs one short claim transaction instead of one per channel (SQLite
    serialises writers). Every claimed delivery is then sent in a thread of its own. A crisis
    outcome is recorded by its sending thread as soon as it is known (outcomes that arrive
    while another is written share the next transaction), so the board shows each platform's
    confirmation without waiting for the slowest one. Community outcomes of a batch are
    recorded together afterwards: a thousand posts due in the same second cost fewer
    transactions that way.
    """
    crisis_busy.yield_if_community(db, delivery_ids, settings.redis_url)  # issue 16: drain
    jobs = _claim_batch(db, delivery_ids, settings, inline=inline, owner=owner)
    for job in jobs:
        mark(job.id, "claimed")
    if not jobs:
        return {}
    send = leased_sender(db, settings)
    prefix = "inline-delivery" if inline else "delivery"
    crisis = [job for job in jobs if job.lane == Lane.CRISIS]
    community = [job for job in jobs if job.lane != Lane.CRISIS]

    # Each crisis outcome is recorded as soon as it is known; outcomes that arrive while
    # another is being written go in together right after it (group_commit.py).
    recorder = GroupCommit(lambda outcomes: record_outcomes(db, outcomes, settings), key=_outcome_id)

    def send_and_record(job: Claimed) -> tuple[int, str]:
        mark(job.id, "thread started")
        state = recorder.submit(send(job))
        mark(job.id, "recorded")
        return job.id, state

    crisis.sort(key=lambda job: -adapter_class(job.channel.type).requests_per_send)  # longest first
    if inline or len(crisis) < 2:
        states = dict(in_threads(send_and_record, crisis, CRISIS_SEND_THREADS, prefix))
    else:  # the crisis worker: threads that are already waiting
        states = dict(CRISIS_THREADS.map(send_and_record, crisis))
    if crisis:
        crisis_busy.lower_flag(settings.redis_url)  # recorded: the community lane may write again
    if community:
        outcomes = in_threads(after_alerts(send, settings.redis_url), community, SEND_THREADS, prefix)
        crisis_busy.wait_while_raised(settings.redis_url)  # record after the alert's writes
        states.update(record_outcomes(db, outcomes, settings))
    return states


def after_alerts(send: Callable[[Claimed], Outcome], redis_url: str | None) -> Callable[[Claimed], Outcome]:
    """A community send that first waits while an alert is being issued and sent.

    The alert's request, claim, sends and records then have the processor (and the
    network) to themselves; a community post goes out a fraction of a second later.
    One Redis ``EXISTS`` per send when no alert is under way (``crisis_busy``).
    """

    def send_after_alerts(job: Claimed) -> Outcome:
        crisis_busy.wait_while_raised(redis_url)
        return send(job)

    return send_after_alerts


def _claim_batch(
    db: Database, delivery_ids: list[int], settings: Settings, *, inline: bool, owner: str | None
) -> list[Claimed]:
    """The one claim transaction of a batch (committed before anything is sent)."""
    with db.session() as session:
        jobs = claim_many(session, delivery_ids, settings, owner=owner)
        if jobs and inline:
            session.execute(
                update(Delivery).where(Delivery.id.in_([j.id for j in jobs])).values(dispatched_inline=True)
            )
    return jobs


T = TypeVar("T")


def in_threads(work: Callable[[Claimed], T], jobs: list[Claimed], most: int, prefix: str) -> list[T]:
    """``work`` for every job at the same time (up to ``most`` threads); one job runs here."""
    if not jobs:
        return []
    if len(jobs) == 1:
        return [work(jobs[0])]
    threads = min(most, len(jobs))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"{prefix}-send") as pool:
        return list(pool.map(work, jobs))


def _outcome_id(outcome: Outcome) -> int:
    return outcome.job.id


def record_outcomes(db: Database, outcomes: list[Outcome], settings: Settings) -> dict[int, str]:
    """Record a batch: every confirmation in one transaction, each failure in its own."""
    states = {
        o.job.id: record_failure(db, o.job, o.error, settings, idempotent=o.idempotent)
        for o in outcomes
        if o.error is not None
    }
    confirmed = [o for o in outcomes if o.receipt is not None]
    if confirmed:
        states.update(record_confirmed(db, confirmed))
    return states


def confirmed_state(channel_type: str) -> DeliveryState:
    """What a send the channel confirmed ends in: the one place that decides it.

    A preview channel renders and keeps the text but reaches nobody, so it ends
    ``previewed`` and is never reported (or counted) as sent, whatever its adapter returns.
    """
    if channel_category(channel_type) is ChannelCategory.PREVIEW:
        return S.PREVIEWED
    return S.SENT


def _confirmed_values(outcome: Outcome, state: DeliveryState, now: datetime) -> dict[str, Any]:
    assert outcome.receipt is not None
    return {
        "id": outcome.job.id,
        "state": state,
        "remote_id": outcome.receipt.remote_id,
        "remote_url": outcome.receipt.url,
        "sent_at": now if state is S.SENT else None,
        "lease_until": None,
        "lease_owner": None,
        "last_error": None,
        "platform_message": None,
        "updated_at": now,
    }


def record_confirmed(db: Database, outcomes: list[Outcome]) -> dict[int, str]:
    """Record sends the channels confirmed (sent, or previewed for a preview channel)."""
    now = utcnow()
    states = {o.job.id: confirmed_state(o.job.channel.type) for o in outcomes}
    values = [_confirmed_values(o, states[o.job.id], now) for o in outcomes]
    logs = [
        {"delivery_id": o.job.id, "event": states[o.job.id], "detail": o.receipt.url or o.receipt.remote_id}
        for o in outcomes
        if o.receipt is not None
    ]
    with db.session() as session:  # two statements: the writer is held only for them
        session.execute(update(Delivery), values)
        session.execute(insert(DeliveryLog), logs)
    for o in outcomes:
        assert o.receipt is not None
        job = o.job
        log.info("delivery %s %s on %s (%s)", job.id, states[job.id], job.channel.name, o.receipt.remote_id)
    return dict(states)


def record_failure(
    db: Database, job: Claimed, error: DeliveryError, settings: Settings, *, idempotent: bool
) -> str:
    now = utcnow()
    if error.permanent:
        state, when = S.DEAD, None
    elif error.outcome_unknown and job.lane != Lane.CRISIS and not idempotent:
        # A community post may already be online; a person checks instead of a duplicate.
        state, when = S.UNKNOWN, None
    elif job.attempt >= job.max_attempts:
        state, when = S.DEAD, None
    else:
        delay = backoff_seconds(
            job.attempt,
            base=settings.backoff_base_seconds,
            cap=settings.backoff_cap_seconds,
            retry_after=error.retry_after,
        )
        state, when = S.FAILED, now + timedelta(seconds=delay)
    values: dict[str, Any] = {
        "state": state,
        "last_error": error.message,
        "platform_message": error.platform_message,
        "lease_until": None,
        "lease_owner": None,
        "updated_at": now,
        "last_enqueued_at": None,
    }
    if when is not None:
        values["next_attempt_at"] = when
    with db.session() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id == job.id, Delivery.state == S.SENDING, Delivery.attempts == job.attempt)
            .values(**values)
        )
        detail = str(error) + (f" — nächster Versuch {when.isoformat()}" if when else "")
        session.add(DeliveryLog(delivery_id=job.id, event=state, detail=detail))
    log.warning("delivery %s to %s: %s (%s)", job.id, job.channel.name, state, error)
    return state


def hand_back(session: Session, delivery: Delivery, settings: Settings, event: str) -> None:
    """A send whose worker is gone: resend it now (crisis, or an idempotent channel) or ask a person.

    A crisis alert is sent again even if the lost attempt may have arrived: a duplicate
    alert is better than a missing one. A community post on a channel without an
    idempotency key could already be online, so a person checks instead.
    """
    if delivery.lane == Lane.CRISIS or adapter_for(delivery.channel, settings).idempotent:
        delivery.state = S.PENDING
        delivery.next_attempt_at = utcnow()
        delivery.last_enqueued_at = None  # the next sweep nudges it at once
        delivery.last_error = "Worker verloren während des Sendens — wird erneut gesendet"
    else:
        delivery.state = S.UNKNOWN
        delivery.last_error = "Ergebnis unbekannt (Worker verloren) — bitte Konto prüfen"
    delivery.lease_until = None
    delivery.lease_owner = None
    session.add(DeliveryLog(delivery_id=delivery.id, event=event, detail=delivery.state))


def expire_leases(session: Session, settings: Settings) -> int:
    """Deliveries whose worker vanished mid-send unnoticed (its lease ran out)."""
    expired = session.scalars(
        select(Delivery).where(Delivery.state == S.SENDING, Delivery.lease_until < utcnow())
    ).all()
    for delivery in expired:
        hand_back(session, delivery, settings, "lease_expired")
    return len(expired)


def release_leases(db: Database, settings: Settings, owner: str) -> list[int]:
    """A worker known to be dead (its supervisor saw it exit): hand back its sends at once.

    No waiting for the lease to run out; returns the ids handed back. Each was ``sending``
    under ``owner``, so a delivery another worker took over meanwhile is left alone.
    """
    with db.session() as session:
        held = session.scalars(
            select(Delivery).where(Delivery.lease_owner == owner, Delivery.state == S.SENDING)
        ).all()
        for delivery in held:
            hand_back(session, delivery, settings, "lease_released")
        released = [delivery.id for delivery in held]
    if released:
        log.warning("released %d sends of dead worker %s: %s", len(released), owner, released)
    return released


# While a lane's broker queue still holds messages, its earlier nudges are waiting there,
# not lost: nudging them again every requeue interval only grew the queue during a drain
# (192 -> 699 community tasks for 5,000 posts). Such a lane is nudged again only this many
# intervals later, so a message lost while the queue is busy still gets its second nudge.
BUSY_REQUEUE_FACTOR = 10


def due_for_enqueue(
    session: Session, settings: Settings, limit: int = 500, busy_lanes: tuple[str, ...] = ()
) -> list[tuple[int, str]]:
    """Deliveries that are due and not nudged recently; marks them as nudged now."""
    now = utcnow()
    stale = now - timedelta(seconds=settings.requeue_after_seconds)
    very_stale = now - timedelta(seconds=settings.requeue_after_seconds * BUSY_REQUEUE_FACTOR)
    again = Delivery.last_enqueued_at < stale
    if busy_lanes:
        again = and_(again, or_(Delivery.lane.not_in(busy_lanes), Delivery.last_enqueued_at < very_stale))
    rows = session.execute(
        select(Delivery.id, Delivery.lane)
        .where(
            Delivery.state.in_([S.PENDING, S.FAILED]),
            Delivery.next_attempt_at <= now,
            or_(Delivery.last_enqueued_at.is_(None), again),
        )
        .order_by((Delivery.lane == Lane.CRISIS).desc(), Delivery.next_attempt_at)
        .limit(limit)
    ).all()
    ids = [row.id for row in rows]
    if ids:
        session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(last_enqueued_at=now))
    return [(row.id, row.lane) for row in rows]


def sweep(
    db: Database,
    settings: Settings,
    enqueue: Callable[[list[tuple[int, str]]], Any],
    busy_lanes: tuple[str, ...] = (),
) -> int:
    with db.session() as session:
        expire_leases(session, settings)
        due = due_for_enqueue(session, settings, busy_lanes=busy_lanes)
    if due:
        enqueue(due)
    return len(due)
