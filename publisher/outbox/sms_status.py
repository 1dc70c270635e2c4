"""SMS bookkeeping per batch and per recipient: what each provider accepted, and what
its delivery reports said.

``sms_batches`` is the ledger that makes a retry safe. Every batch of one delivery
has a stable key (the delivery's idempotency key + the batch index) and covers a
fixed range of recipient keys; its outcome is written (one short transaction) as
soon as the gateway answers, before the sending slot takes the next batch. A retry
of the delivery skips every batch the gateway accepted and resends only the rest.

``sms_recipient_status`` keeps one row per number, written in bulk (one INSERT per
batch): the delivery-report webhook records there whether the SMS actually arrived,
which a fallback operator needs when networks are failing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from publisher.db import Base, Database, UTCDateTime, database_for, utcnow

log = logging.getLogger(__name__)

# Our own states, whatever words the provider uses.
ACCEPTED = "accepted"  # the provider took it (not yet on the phone)
BUFFERED = "buffered"  # on its way (provider report: queued, sent, buffered)
DELIVERED = "delivered"
UNDELIVERED = "undelivered"  # the network gave up (report)
EXPIRED = "expired"
REJECTED = "rejected"  # the provider refused this number; resending cannot help
FAILED = "failed"  # not sent, transient; the next attempt sends it
UNKNOWN = "unknown"  # request left, no answer; the next attempt sends it again

FINAL = {DELIVERED, UNDELIVERED, EXPIRED, REJECTED}
# Recipients in these states are not sent again by a retry of the same delivery.
DONE = {ACCEPTED, BUFFERED, DELIVERED, UNDELIVERED, EXPIRED, REJECTED}
# What replaces a forgotten number: random, so it cannot be turned back into the
# number (a hash could: there are only ~10^10 mobile numbers to try).
FORGOTTEN_PREFIX = "deleted:"


class SmsRecipientStatus(Base):
    __tablename__ = "sms_recipient_status"
    __table_args__ = (
        UniqueConstraint("delivery_key", "msisdn", name="uq_sms_recipient_delivery_msisdn"),
        Index("ix_sms_recipient_message", "provider", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_key: Mapped[str] = mapped_column(String(100), index=True)  # Delivery.idempotency_key
    channel: Mapped[str] = mapped_column(String(80))
    provider: Mapped[str] = mapped_column(String(20))
    msisdn: Mapped[str] = mapped_column(String(20))  # E.164 with "+"
    message_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SmsBatch(Base):
    """One batch of one SMS delivery: recipient keys in (after_key, last_key], and its outcome."""

    __tablename__ = "sms_batches"
    __table_args__ = (UniqueConstraint("delivery_key", "batch_index", name="uq_sms_batch_delivery_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_key: Mapped[str] = mapped_column(String(100))  # Delivery.idempotency_key
    batch_index: Mapped[int] = mapped_column(Integer)
    after_key: Mapped[int] = mapped_column(Integer)
    last_key: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # accepted | failed | unknown
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class BatchRange:
    """What the ledger knows about one batch: its recipient-key range and its outcome."""

    index: int
    after_key: int
    last_key: int
    status: str


@dataclass(frozen=True)
class RecipientResult:
    msisdn: str
    status: str
    message_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Report:
    """One delivery report from a provider, already mapped to our states."""

    message_id: str
    status: str
    msisdn: str | None = None  # GatewayAPI: one message id covers many recipients
    error: str | None = None


def default_database(url: str | None = None) -> Database:
    """This process's Database for ``url`` (default: the environment's settings now)."""
    if url is None:
        from publisher.settings import load_settings

        url = load_settings().database_url
    return database_for(url)


def batch_ledger(db: Database, delivery_key: str) -> dict[int, BatchRange]:
    """Every batch an earlier attempt of this delivery recorded, by index (one query)."""
    with db.session() as session:
        rows = session.execute(
            select(SmsBatch.batch_index, SmsBatch.after_key, SmsBatch.last_key, SmsBatch.status).where(
                SmsBatch.delivery_key == delivery_key
            )
        )
        return {row.batch_index: BatchRange(*row) for row in rows}


def done_recipients(db: Database, delivery_key: str, among: Iterable[str] | None = None) -> set[str]:
    """Numbers a previous attempt of this delivery already handed to the provider.

    ``among`` limits the question to one batch's numbers (a batch that was cut short).
    """
    query = select(SmsRecipientStatus.msisdn).where(
        SmsRecipientStatus.delivery_key == delivery_key, SmsRecipientStatus.status.in_(DONE)
    )
    if among is not None:
        query = query.where(SmsRecipientStatus.msisdn.in_(list(among)))
    try:
        with db.session() as session:
            return set(session.scalars(query))
    except SQLAlchemyError as exc:  # bookkeeping must never stop an alert
        log.warning("sms status unavailable, sending to all recipients: %s", exc)
        return set()


@dataclass(frozen=True)
class BatchRecord:
    """One batch's outcome, written in one short transaction after the gateway answered."""

    delivery_key: str
    channel: str
    provider: str
    batch: BatchRange
    size: int
    results: list[RecipientResult]
    error: str | None = None


def record_batch(db: Database, record: BatchRecord) -> None:
    """The ledger row and every recipient row of one batch: two statements, one transaction."""
    with db.session() as session:
        _upsert_batch(session, record)
        if record.results:
            _upsert_recipients(session, record)


def _insert_for(session: Session) -> Any:
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


def _upsert_batch(session: Session, record: BatchRecord) -> None:
    values = {
        "delivery_key": record.delivery_key,
        "batch_index": record.batch.index,
        "after_key": record.batch.after_key,
        "last_key": record.batch.last_key,
        "size": record.size,
        "status": record.batch.status,
        "error": record.error,
        "updated_at": utcnow(),
    }
    statement = _insert_for(session)(SmsBatch).values(values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["delivery_key", "batch_index"],
            set_={k: statement.excluded[k] for k in ("status", "error", "size", "updated_at")},
            where=SmsBatch.status != ACCEPTED,  # an accepted batch stays accepted
        )
    )


# One statement per batch, executed by the driver's own executemany: the ORM's per-row
# parameter processing cost 64 ms for 500 rows, and 200 batches share one interpreter
# lock. The same ON CONFLICT syntax works on SQLite (>= 3.24) and PostgreSQL. A number
# the provider already took is never set back to failed/unknown.
_UPSERT_RECIPIENTS = (
    "INSERT INTO sms_recipient_status "
    "(delivery_key, channel, provider, msisdn, message_id, status, error, created_at, updated_at) "
    "VALUES ({marks}) ON CONFLICT (delivery_key, msisdn) DO UPDATE SET "
    "status = excluded.status, "
    "message_id = coalesce(excluded.message_id, sms_recipient_status.message_id), "
    "error = excluded.error, updated_at = excluded.updated_at "
    "WHERE sms_recipient_status.status NOT IN ({done})"
)


def _upsert_recipients(session: Session, record: BatchRecord) -> None:
    connection = session.connection()
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = _UPSERT_RECIPIENTS.format(
        marks=", ".join([mark] * 9), done=", ".join(f"'{state}'" for state in sorted(DONE))
    )
    to_db = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)  # exactly as the ORM writes it
    now = to_db(utcnow()) if to_db else utcnow()
    key, channel, provider = record.delivery_key, record.channel, record.provider
    rows = [
        (key, channel, provider, r.msisdn, r.message_id, r.status, r.error, now, now) for r in record.results
    ]
    connection.exec_driver_sql(sql, rows)


def tally(db: Database, delivery_key: str) -> dict[str, int]:
    """Recipients per state for one delivery (one GROUP BY, not one row per number)."""
    with db.session() as session:
        rows = session.execute(
            select(SmsRecipientStatus.status, func.count())
            .where(SmsRecipientStatus.delivery_key == delivery_key)
            .group_by(SmsRecipientStatus.status)
        )
        return {str(status): int(count) for status, count in rows}


def apply_reports(db: Database, provider: str, reports: Iterable[Report]) -> int:
    """Update recipients from delivery reports; returns how many rows changed.

    Reports can arrive out of order (Twilio sends "sent" and "delivered" as
    separate requests), so a final state is never replaced by an intermediate one.
    """
    changed = 0
    with db.session() as session:
        for report in reports:
            query = select(SmsRecipientStatus).where(
                SmsRecipientStatus.provider == provider,
                SmsRecipientStatus.message_id == report.message_id,
            )
            if report.msisdn:
                query = query.where(SmsRecipientStatus.msisdn == report.msisdn)
            for row in session.scalars(query):
                if row.status in FINAL and report.status not in FINAL:
                    continue
                row.status = report.status
                row.error = report.error
                row.updated_at = utcnow()
                changed += 1
    return changed


def statuses_for(db: Database, delivery_key: str) -> dict[str, str]:
    with db.session() as session:
        rows = session.scalars(
            select(SmsRecipientStatus).where(SmsRecipientStatus.delivery_key == delivery_key)
        )
        return {row.msisdn: row.status for row in rows}


def forgotten_marker() -> str:
    """A fresh marker for one forgotten number in one row (fits ``msisdn``, 20 chars)."""
    return FORGOTTEN_PREFIX + secrets.token_hex(6)


def forget_number(session: Session, msisdn: str, redact: Callable[[str], str]) -> int:
    """Replace ``msisdn`` by a random marker in every row, in the caller's transaction.

    Used for STOP and GDPR deletion. The rows stay (the counts of sent, delivered
    and rejected SMS stay right), only the number goes; ``redact`` removes it from
    error texts (a provider may quote it, e.g. Twilio's 21211). Returns the rows changed.
    """
    rows = session.scalars(select(SmsRecipientStatus).where(SmsRecipientStatus.msisdn == msisdn)).all()
    for row in rows:
        row.msisdn = forgotten_marker()
        row.error = redact(row.error) if row.error else row.error
    return len(rows)


def forget_delivery(session: Session, delivery_key: str) -> None:
    """Drop every recipient and batch row of one delivery key (e.g. an opt-in code SMS, once sent)."""
    session.execute(delete(SmsRecipientStatus).where(SmsRecipientStatus.delivery_key == delivery_key))
    session.execute(delete(SmsBatch).where(SmsBatch.delivery_key == delivery_key))
