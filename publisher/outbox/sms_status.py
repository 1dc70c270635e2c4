"""Per-recipient SMS status: what each provider accepted, and what its delivery reports said.

The table serves two purposes. A retry of an SMS delivery skips every recipient
a provider already accepted, so a half-finished batch is completed instead of
repeated. And the delivery-report webhook records, per number, whether the SMS
actually arrived, which a fallback operator needs when networks are failing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from publisher.db import Base, Database, UTCDateTime, utcnow

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


_databases: dict[str, Database] = {}


def default_database() -> Database:
    from publisher.settings import load_settings

    url = load_settings().database_url
    db = _databases.get(url)
    if db is None:
        db = _databases[url] = Database(url)
    return db


def done_recipients(db: Database, delivery_key: str) -> set[str]:
    """Numbers a previous attempt of this delivery already handed to the provider."""
    try:
        with db.session() as session:
            rows = session.scalars(
                select(SmsRecipientStatus.msisdn).where(
                    SmsRecipientStatus.delivery_key == delivery_key,
                    SmsRecipientStatus.status.in_(DONE),
                )
            )
            return set(rows)
    except SQLAlchemyError as exc:  # bookkeeping must never stop an alert
        log.warning("sms status unavailable, sending to all recipients: %s", exc)
        return set()


def record(
    db: Database, delivery_key: str, channel: str, provider: str, results: Iterable[RecipientResult]
) -> None:
    try:
        with db.session() as session:
            for result in results:
                row = session.scalar(
                    select(SmsRecipientStatus).where(
                        SmsRecipientStatus.delivery_key == delivery_key,
                        SmsRecipientStatus.msisdn == result.msisdn,
                    )
                )
                if row is None:
                    row = SmsRecipientStatus(delivery_key=delivery_key, msisdn=result.msisdn)
                    session.add(row)
                row.channel = channel
                row.provider = provider
                row.status = result.status
                row.message_id = result.message_id or row.message_id
                row.error = result.error
                row.updated_at = utcnow()
    except SQLAlchemyError as exc:
        log.warning("sms status for %s not recorded: %s", delivery_key, exc)


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
    """Drop every recipient row of one delivery key (e.g. an opt-in code SMS, once sent)."""
    session.execute(delete(SmsRecipientStatus).where(SmsRecipientStatus.delivery_key == delivery_key))
