"""Delivery reports are taken once: a signed report sent again is refused (replay).

A valid signature proves who sent a report, not that it is new. Someone who recorded one
(seven.io's ``X-Nonce``/``X-Signature``, GatewayAPI's JWT) could send it again within its
validity window and, for example, turn "delivered" back into "undelivered". Each accepted
report's fingerprint is kept in ``sms_report_replays`` until its window has closed; a second
report with the same fingerprint for the same channel is refused. Expired fingerprints are
removed on the next claim, so the table stays small.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, UniqueConstraint, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from publisher.db import Base, Database, UTCDateTime, utcnow


class SeenReport(Base):
    __tablename__ = "sms_report_replays"
    __table_args__ = (
        UniqueConstraint("channel", "fingerprint", name="uq_sms_report_replays_channel_fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(80))
    fingerprint: Mapped[str] = mapped_column(String(64))
    keep_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class ReplayWindow:
    """What identifies one signed report, and until when a repeat of it must be refused."""

    fingerprint: str
    keep_until: datetime

    @classmethod
    def of(cls, kind: str, value: str, keep_until: datetime) -> ReplayWindow:
        return cls(hashlib.sha256(f"{kind}:{value}".encode()).hexdigest(), keep_until)


def claim(db: Database, channel: str, window: ReplayWindow) -> bool:
    """Record the report as taken; False when it was taken before (a replay). Own transaction."""
    try:
        with db.session() as session:
            session.execute(delete(SeenReport).where(SeenReport.keep_until < utcnow()))
            session.add(
                SeenReport(channel=channel, fingerprint=window.fingerprint, keep_until=window.keep_until)
            )
    except IntegrityError:
        return False
    return True


def release(db: Database, channel: str, window: ReplayWindow) -> None:
    """Forget a claim whose report could not be applied, so the provider's retry is taken."""
    with db.session() as session:
        session.execute(
            delete(SeenReport).where(
                SeenReport.channel == channel, SeenReport.fingerprint == window.fingerprint
            )
        )
