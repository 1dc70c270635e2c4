"""Forgetting a phone number everywhere it was written (STOP, GDPR Art. 17).

Deleting the subscriber row is not enough: sending an alert writes the number into
the delivery's message (its recipient list), into ``sms_recipient_status``, and
a provider's error text may quote it in the delivery, its log and the audit trail.
:func:`forget_number` removes it from all of them in the caller's transaction,
without any network call.

Recipient lists lose the number (a later retry of that delivery does not send to
it any more); free text keeps its meaning with the number replaced by
``[Nummer gelöscht]``; ``sms_recipient_status`` rows keep their state with the
number replaced by a random marker, so delivery counts stay right.

Candidate rows are found in SQL by the number's last four digits (any spelling
the system or a provider writes keeps them together), then redacted in Python
by a pattern that accepts every common spelling: E.164, ``0049…``, national
with leading 0, and spaces, dashes, slashes or dots between the digits.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session

from content_calendar.accounts.audit_chain import redact
from content_calendar.accounts.models import AuditEvent
from publisher.models import Delivery, DeliveryLog
from publisher.outbox import sms_status

REDACTED = "[Nummer gelöscht]"
_SEPARATOR = r"[\s\-/.]*"


def number_pattern(phone: str) -> re.Pattern[str]:
    """A pattern for ``phone`` (E.164) in any usual spelling, not inside a longer number."""
    number = phonenumbers.parse(phone, None)
    digits = _SEPARATOR.join(re.escape(d) for d in phonenumbers.national_significant_number(number))
    country = re.escape(str(number.country_code))
    prefix = rf"(?:(?:\+|00)?{country}{_SEPARATOR}(?:\(0\){_SEPARATOR})?|0{_SEPARATOR})?"
    return re.compile(rf"(?<!\d){prefix}{digits}(?!\d)")


def scrub_json(value: Any, pattern: re.Pattern[str]) -> Any:
    """``value`` without the number: list items that are only the number are dropped,
    other strings have it replaced (dict keys included)."""
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, list):
        return [
            scrub_json(item, pattern)
            for item in value
            if not (isinstance(item, str) and pattern.fullmatch(item.strip()))
        ]
    if isinstance(value, dict):
        return {scrub_json(k, pattern): scrub_json(v, pattern) for k, v in value.items()}
    return value


def _candidates(session: Session, model: type[Any], columns: list[Any], tail: str) -> list[Any]:
    """Rows of ``model`` whose text in any of ``columns`` contains the number's last digits."""
    # CAST makes JSON and text columns alike, with the same SQL on SQLite and PostgreSQL.
    found = or_(*[cast(column, Text).like(f"%{tail}%") for column in columns])
    return list(session.scalars(select(model).where(found)))


def _scrub_deliveries(session: Session, pattern: re.Pattern[str], tail: str) -> int:
    changed = 0
    columns = [Delivery.message, Delivery.rendered, Delivery.last_error, Delivery.platform_message]
    for delivery in _candidates(session, Delivery, columns, tail):
        message = scrub_json(delivery.message, pattern)
        rendered = scrub_json(delivery.rendered, pattern)
        last_error = scrub_json(delivery.last_error, pattern)
        platform_message = scrub_json(delivery.platform_message, pattern)
        if (message, rendered, last_error, platform_message) != (
            delivery.message,
            delivery.rendered,
            delivery.last_error,
            delivery.platform_message,
        ):
            # New objects: SQLAlchemy does not see changes made inside a JSON value.
            delivery.message, delivery.rendered = message, rendered
            delivery.last_error, delivery.platform_message = last_error, platform_message
            changed += 1
    return changed


def _scrub_logs(session: Session, pattern: re.Pattern[str], tail: str) -> int:
    changed = 0
    for entry in _candidates(session, DeliveryLog, [DeliveryLog.detail], tail):
        detail = scrub_json(entry.detail, pattern)
        if detail != entry.detail:
            entry.detail = detail
            changed += 1
    return changed


def _scrub_audit(session: Session, pattern: re.Pattern[str], tail: str) -> int:
    """The audit trail is never edited, except for this: the law says the number must go."""
    changed = 0
    for event in _candidates(session, AuditEvent, [AuditEvent.detail], tail):
        detail = scrub_json(event.detail, pattern)
        if detail != event.detail:
            redact(session, event, detail)  # the one edit the database lets through
            changed += 1
    return changed


def forget_number(session: Session, phone: str) -> int:
    """Remove ``phone`` (E.164) from deliveries, their logs, SMS status and the audit trail.

    Runs in the caller's transaction (no network call). Returns the rows changed.
    """
    pattern = number_pattern(phone)
    tail = phonenumbers.national_significant_number(phonenumbers.parse(phone, None))[-4:]
    changed = _scrub_deliveries(session, pattern, tail)
    changed += _scrub_logs(session, pattern, tail)
    changed += _scrub_audit(session, pattern, tail)
    changed += sms_status.forget_number(session, phone, lambda text: pattern.sub(REDACTED, text))
    session.flush()
    return changed
