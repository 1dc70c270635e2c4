"""STOP and GDPR deletion leave the number nowhere, down to the bytes of the database file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from content_calendar.accounts.models import AuditEvent
from content_calendar.subscribers.forget import REDACTED, number_pattern, scrub_json
from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.db import Database, utcnow
from publisher.models import Delivery, DeliveryLog
from publisher.outbox.sms_status import ACCEPTED, FORGOTTEN_PREFIX, SmsRecipientStatus
from tests.conftest import login
from tests.crisis.helpers import wait_inline
from tests.fakes.sms import FakeSeven
from tests.subscribers.conftest import send_alert

STOPPED = "+4915123456789"  # answers STOP
ERASED = "+4917698765432"  # asks the city for deletion (GDPR Art. 17)
KEPT = "+4916055501234"  # stays subscribed
FLOOD = {"gebiet": "Altstadt", "gewaesser": "Neckar", "sammelstellen": "Rathaus", "telefon": "06221 123456"}


def spellings(e164: str) -> list[bytes]:
    """The number as E.164, without "+", national, and with spaces, as bytes."""
    national = "0" + e164[3:]
    spaced = [f"{national[:4]} {national[4:]}", f"+49 {e164[3:6]} {e164[6:]}", f"0049 {e164[3:]}"]
    return [s.encode() for s in (e164, e164[1:], national, e164[3:], *spaced)]


def database_bytes(db: Database, path: Path) -> bytes:
    """The file as it lies on disk once the WAL is written back (what a stolen disk shows)."""
    with db.engine.connect() as connection:
        busy, _, _ = connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
        assert busy == 0, "checkpoint blocked by a reader"
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def subscribe(db: Database, *phones: str) -> None:
    with db.session() as session:
        for phone in phones:
            session.add(SmsSubscriber(phone=phone, status=SubscriberStatus.ACTIVE, consent_at=utcnow()))


def send_flood_alert(app: Any, user_id: int) -> int:
    result = send_alert(app, user_id, "hochwasser", FLOOD, "flood")  # extreme: SMS at once
    wait_inline()
    return result.alert_id


def leave_traces(db: Database, alert_id: int) -> None:
    """What a provider's error text or a person's note may leave in the log and the audit trail."""
    with db.session() as session:
        delivery = session.scalars(select(Delivery).where(Delivery.idempotency_key.like("%-sms-%"))).one()
        delivery.log.append(
            DeliveryLog(event="error", detail=f"The 'To' number {STOPPED} is not a valid phone number.")
        )
        delivery.last_error = f"Zustellung an 0176 98765432 verzögert; {KEPT} ok"
        session.add(
            AuditEvent(action="note", detail={"text": "Rückruf an +49 151 23456789", "alert": alert_id})
        )


def test_stop_and_deletion_remove_the_number_from_every_table_and_the_file(
    sms_setup: Database, app: Any, client: Any, seven: FakeSeven, users: dict[str, int]
) -> None:
    subscribe(sms_setup, STOPPED, ERASED, KEPT)
    alert_id = send_flood_alert(app, users["krisenstab"])
    assert sorted(seven.sent()[0].json()["to"].split(",")) == sorted([STOPPED, ERASED, KEPT])
    leave_traces(sms_setup, alert_id)
    path = Path(sms_setup.url.removeprefix("sqlite:///"))
    before = database_bytes(sms_setup, path)
    assert all(s in before for phone in (STOPPED, ERASED, KEPT) for s in spellings(phone)[:2])

    stop = client.post("/sms/eingang?token=inbound-secret", data={"From": STOPPED[1:], "Body": "STOP"})
    assert stop.json == {"unsubscribed": True}
    login(client, "admin")
    erased = client.post("/sms/verwaltung", data={"phone": "0176 98765432", "action": "delete"})
    assert erased.status_code == 200 and "Gelöscht." in erased.get_data(as_text=True)

    after = database_bytes(sms_setup, path)
    for phone in (STOPPED, ERASED):
        found = [s.decode() for s in spellings(phone) if s in after]
        assert not found, f"{phone} still in the database file as {found}"
    assert KEPT.encode() in after  # the search does find a number that is still stored
    with sms_setup.session() as session:
        statuses = session.scalars(select(SmsRecipientStatus)).all()
        assert len(statuses) == 3 and {s.status for s in statuses} == {ACCEPTED}  # counts stay right
        assert sum(s.msisdn.startswith(FORGOTTEN_PREFIX) for s in statuses) == 2
        delivery = session.scalars(select(Delivery).where(Delivery.idempotency_key.like("%-sms-%"))).one()
        assert "recipients" not in delivery.message["extras"]  # it holds the audience, not numbers
        assert delivery.last_error == f"Zustellung an {REDACTED} verzögert; {KEPT} ok"
        assert delivery.state == "sent"
        assert [e.detail for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "note"))] == [
            {"text": f"Rückruf an {REDACTED}", "alert": alert_id}
        ]
        assert session.scalars(select(SmsSubscriber.phone)).all() == [KEPT]


def test_the_number_is_recognised_in_every_usual_spelling_and_only_there() -> None:
    pattern = number_pattern("+4915123456789")
    for spelling in (
        "+4915123456789",
        "004915123456789",
        "015123456789",
        "0151 23456789",
        "0151/234 567-89",
        "+49 (0)151 23456789",
        "+49 151 23456789",
        "4915123456789",
    ):
        assert pattern.fullmatch(spelling), spelling
    for other in ("+4915123456788", "+49151234567890", "+4315123456789", "015223456789"):
        assert not pattern.search(other), other


def test_a_recipient_list_loses_the_number_and_text_keeps_its_meaning() -> None:
    pattern = number_pattern("+4915123456789")
    message = {"text": "Hochwasser", "extras": {"recipients": ["+4915123456789", "+4916055501234"]}}
    assert scrub_json(message, pattern) == {
        "text": "Hochwasser",
        "extras": {"recipients": ["+4916055501234"]},
    }
    assert scrub_json("an 0151 23456789 (abgelehnt)", pattern) == f"an {REDACTED} (abgelehnt)"
