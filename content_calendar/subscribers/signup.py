"""SMS subscriptions: double opt-in by code, STOP, export and deletion (GDPR).

We keep the number, a language, an area and the moment of consent — nothing else.
The code SMS goes out in the language the person chose (German where there is no catalogue);
every message for the page is a German message id that the page translates (``N_``).
The opt-in code exists only as a salted SHA-256 for 15 minutes and five tries.
Unsubscribing deletes the row and forgets the number everywhere else it was written
(see ``forget.py``); the audit log records the fact, never the number.
No database transaction is ever open while an SMS is being sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.catalogues import N_, translate
from content_calendar.crisis.alerts import effective_type
from content_calendar.subscribers.forget import forget_number
from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.channels.base import ChannelConfig, Message
from publisher.channels.registry import make_adapter
from publisher.db import Database, utcnow
from publisher.errors import DeliveryError
from publisher.models import Channel
from publisher.outbox import channel_config, sms_status
from publisher.settings import Settings, load_settings

LANGUAGES = {
    "de": "Deutsch",
    "de-x-ls": "Leichte Sprache",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "uk": "Українська",
}
CODE_MINUTES = 15
MAX_TRIES = 5
RESEND_SECONDS = 60
STOP_WORDS = {"STOP", "STOPP", "ENDE", "ABMELDEN", "UNSUBSCRIBE", "CANCEL"}


CODE_TEXTS = {
    "subscribe": N_("Ihr Code zur Anmeldung bei den SMS-Warnungen: %(code)s (%(minutes)d Minuten gültig)"),
    "unsubscribe": N_("Ihr Code zur Abmeldung bei den SMS-Warnungen: %(code)s (%(minutes)d Minuten gültig)"),
}


class SubscriptionError(ValueError):
    """``message_id`` is German with ``%(name)s`` places for ``params``; ``message`` is it filled in."""

    def __init__(self, message_id: str, field: str = "phone", status: int = 422, **params: object) -> None:
        self.message_id = message_id
        self.params = params
        self.message = message_id % params if params else message_id
        super().__init__(self.message)
        self.field = field
        self.status = status


def areas() -> list[str]:
    """Configured districts (ERNSTFALL_SMS_AREAS, comma separated); "" means everywhere."""
    return list(load_settings().sms_areas)


def normalise_phone(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw.strip(), "DE")
    except phonenumbers.NumberParseException as exc:
        raise SubscriptionError(
            N_("Telefonnummer nicht erkannt – bitte z. B. 0151 23456789 oder +49 151 23456789")
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise SubscriptionError(N_("Diese Telefonnummer ist ungültig – bitte prüfen Sie Vorwahl und Länge"))
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise SubscriptionError(N_("Bitte eine Mobilfunknummer angeben – Festnetz kann keine SMS empfangen"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _hash(phone: str, code: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def sms_channel(session: Session) -> Channel:
    for channel in session.scalars(select(Channel).where(Channel.enabled.is_(True)).order_by(Channel.name)):
        if effective_type(channel) == "sms":
            return channel
    raise SubscriptionError(
        N_("SMS-Dienst ist zurzeit nicht eingerichtet – bitte später erneut versuchen"), status=503
    )


def opt_in_config(session: Session, settings: Settings) -> ChannelConfig:
    """The SMS channel's configuration for one person's code: read inside a transaction,
    used after it ended (it holds no database objects)."""
    config = channel_config(sms_channel(session), settings)
    # Only this person: not the channel's fixed recipients (e.g. the crisis staff).
    options = {k: v for k, v in config.options.items() if k != "recipients"}
    return ChannelConfig(**{**config.__dict__, "options": options})


def send_text(config: ChannelConfig, phone: str, text: str, reference: str) -> None:
    """Send one SMS directly (not via the outbox: the code must not be stored in clear).

    Call it with no transaction open: the gateway may take many seconds.
    """
    adapter = make_adapter(config)
    message = Message(text=text, kind="post", extras={"recipients": [phone]})
    try:
        adapter.send(adapter.render(message), message, reference)
    except DeliveryError as exc:
        raise SubscriptionError(
            N_("SMS konnte nicht gesendet werden – bitte später erneut versuchen (%(reason)s)"),
            status=503,
            reason=exc.message,
        ) from exc


@dataclass(frozen=True)
class PendingCode:
    """A code that is stored (committed) and not yet sent."""

    subscriber_id: int
    created: bool  # the row was made for this request (a new sign-up)
    code_hash: str
    text: str
    config: ChannelConfig
    reference: str = field(default_factory=lambda: f"optin-{uuid.uuid4().hex}")


def request_code(
    db: Database,
    settings: Settings,
    secret: str,
    raw_phone: str,
    purpose: str,
    language: str = "de",
    area: str = "",
) -> bool:
    """Send a code to confirm subscribing (or unsubscribing). False if there was nobody to send to.

    Three steps, so that no database transaction is open while the SMS gateway works
    (on SQLite an open write transaction stops every other writer, alerts included):
    store the code and commit; send; record the outcome in a new short transaction.
    """
    phone = normalise_phone(raw_phone)
    if language not in LANGUAGES:
        raise SubscriptionError(N_("Bitte eine Sprache aus der Liste wählen"), field="language")
    if area and area not in areas():
        raise SubscriptionError(N_("Bitte ein Gebiet aus der Liste wählen"), field="area")
    pending = _store_code(db, settings, secret, phone, purpose, language, area)
    if pending is None:
        return False
    try:
        send_text(pending.config, phone, pending.text, pending.reference)
    except SubscriptionError:
        _code_not_sent(db, pending)
        raise
    with db.session() as session:
        # The code SMS needs no per-recipient status: keep the number in one table only.
        sms_status.forget_delivery(session, pending.reference)
    return True


def _store_code(
    db: Database, settings: Settings, secret: str, phone: str, purpose: str, language: str, area: str
) -> PendingCode | None:
    """Step 1: the code's hash on the subscriber's row, committed before anything is sent."""
    try:
        with db.session() as session:
            row = session.scalar(select(SmsSubscriber).where(SmsSubscriber.phone == phone))
            if purpose == "unsubscribe" and row is None:
                return None  # say nothing about whether a number is subscribed
            config = opt_in_config(session, settings)
            if row is not None and _code_is_fresh(row, utcnow()):
                raise _too_soon()
            created = row is None
            row = _row_for(session, row, phone, purpose, language, area)
            code = f"{secrets.randbelow(1_000_000):06d}"
            row.code_hash = _hash(phone, code, secret)
            row.code_expires_at = utcnow() + timedelta(minutes=CODE_MINUTES)
            row.code_attempts = 0
            row.code_purpose = purpose
            session.flush()
            text = code_text(purpose, language if purpose == "subscribe" else row.language, code)
            return PendingCode(row.id, created, row.code_hash, text, config)
    except IntegrityError as exc:  # the same new number, sent twice at the same moment
        raise _too_soon() from exc


def code_text(purpose: str, language: str, code: str) -> str:
    """The code SMS in the subscriber's language (German where there is no catalogue)."""
    return translate(CODE_TEXTS[purpose], language, code=code, minutes=CODE_MINUTES)


def _too_soon() -> SubscriptionError:
    message = N_("Es wurde gerade erst ein Code gesendet – bitte eine Minute warten")
    return SubscriptionError(message, status=429)


def _row_for(
    session: Session, row: SmsSubscriber | None, phone: str, purpose: str, language: str, area: str
) -> SmsSubscriber:
    """The subscriber's row, new for a first sign-up; an unconfirmed one takes the new choices."""
    if row is None:
        row = SmsSubscriber(phone=phone, language=language, area=area, status=SubscriberStatus.PENDING)
        session.add(row)
    elif purpose == "subscribe" and row.status == SubscriberStatus.PENDING:
        row.language, row.area = language, area
    return row


def _code_is_fresh(row: SmsSubscriber, now: datetime) -> bool:
    """A code went out less than RESEND_SECONDS ago (or is being sent right now)."""
    if row.code_expires_at is None:
        return False
    issued = row.code_expires_at - timedelta(minutes=CODE_MINUTES)
    return issued > now - timedelta(seconds=RESEND_SECONDS)


def _code_not_sent(db: Database, pending: PendingCode) -> None:
    """Step 3 after a failed send: the code never arrived, so it must not block a new try,
    and a new sign-up that got no code keeps no number."""
    with db.session() as session:
        sms_status.forget_delivery(session, pending.reference)
        row = session.get(SmsSubscriber, pending.subscriber_id)
        if row is None or row.code_hash != pending.code_hash:
            return  # a newer request took over this row
        if pending.created and row.status == SubscriberStatus.PENDING:
            session.delete(row)
        else:
            row.code_hash = row.code_expires_at = row.code_purpose = None


def confirm_code(session: Session, secret: str, raw_phone: str, code: str) -> str:
    """Check the code; subscribes or deletes. Returns "subscribed" or "unsubscribed".

    Database only, no network call: the caller commits.
    """
    phone = normalise_phone(raw_phone)
    row = session.scalar(select(SmsSubscriber).where(SmsSubscriber.phone == phone))
    wrong = SubscriptionError(N_("Code falsch oder abgelaufen – bitte neuen Code anfordern"), field="code")
    if row is None or row.code_hash is None or row.code_expires_at is None:
        raise wrong
    if row.code_expires_at < utcnow() or row.code_attempts >= MAX_TRIES:
        raise wrong
    row.code_attempts += 1
    if not hmac.compare_digest(row.code_hash, _hash(phone, code.strip(), secret)):
        session.flush()
        raise wrong
    if row.code_purpose == "unsubscribe":
        delete_subscriber(session, row, "page")
        return "unsubscribed"
    row.status = SubscriberStatus.ACTIVE
    row.consent_at = utcnow()
    row.code_hash = row.code_expires_at = row.code_purpose = None
    audit(session, "subscriber.confirmed", None, row)
    return "subscribed"


def delete_subscriber(session: Session, row: SmsSubscriber, how: str) -> None:
    """Delete the subscription and forget the number everywhere (STOP, page, GDPR).

    Database only, no network call: the caller commits.
    """
    forget_number(session, row.phone)
    audit(session, "subscriber.deleted", None, row, how=how)
    session.delete(row)
    session.flush()


def handle_inbound(session: Session, sender: str, text: str) -> bool:
    """An SMS reply: STOP (and friends) deletes the subscription. True if it did."""
    words = text.strip().upper().split()
    if not words or words[0] not in STOP_WORDS:
        return False
    try:
        phone = normalise_phone(sender if sender.startswith("+") or sender.startswith("0") else f"+{sender}")
    except SubscriptionError:
        return False
    row = session.scalar(select(SmsSubscriber).where(SmsSubscriber.phone == phone))
    if row is None:
        return False
    delete_subscriber(session, row, "stop")
    return True


def export(row: SmsSubscriber) -> dict[str, Any]:
    """Everything we store about one subscriber (GDPR Art. 15)."""
    return {
        "telefonnummer": row.phone,
        "sprache": row.language,
        "gebiet": row.area or "gesamtes Gebiet",
        "status": "bestätigt" if row.status == SubscriberStatus.ACTIVE else "unbestätigt",
        "eingetragen": row.created_at.isoformat(),
        "einwilligung": row.consent_at.isoformat() if row.consent_at else None,
    }


def counts(session: Session) -> dict[str, int]:
    query = select(SmsSubscriber.status, func.count()).group_by(SmsSubscriber.status)
    return {status: count for status, count in session.execute(query)}
