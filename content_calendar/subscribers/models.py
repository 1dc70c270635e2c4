"""SMS subscribers: the least data that lets us warn a citizen by SMS.

Only the number (E.164), a language, an area, the state of the double opt-in and
the moment of consent. Opt-in codes are kept only as a SHA-256 and expire.

The number is stored in E.164 (``signup.normalise_phone``) and refused otherwise:
the SMS worker sends stored numbers as they are, so an alert to 100,000 people
does no per-number work.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from publisher.db import Base, UTCDateTime, utcnow


class SubscriberStatus:
    PENDING = "pending"  # number entered, code sent, not yet confirmed
    ACTIVE = "active"  # confirmed: receives alerts
    INVALID = "invalid"  # an old row whose number is no phone number (migration 0900): receives nothing


E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class SmsSubscriber(Base):
    __tablename__ = "sms_subscribers"
    # An alert asks DISTINCT areas and count(*) per language: answered from this index alone.
    __table_args__ = (Index("ix_sms_subscribers_audience", "status", "language", "area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    language: Mapped[str] = mapped_column(String(10), default="de")
    area: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(12), default=SubscriberStatus.PENDING, index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    code_purpose: Mapped[str | None] = mapped_column(String(12), nullable=True)  # subscribe | unsubscribe
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @validates("phone")
    def _e164_only(self, _key: str, phone: str) -> str:
        if not E164.match(phone):
            raise ValueError("phone must be stored in E.164 (signup.normalise_phone)")
        return phone
