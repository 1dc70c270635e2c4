"""SMS batches at scale: stable, recorded, never resent once the gateway accepted them.

Real SQLite database with subscribers, the real audience source, fake gateways on
127.0.0.1 that count what they accepted per number (a number accepted twice is a
duplicate SMS a citizen would get).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import insert, select

import content_calendar.subscribers.audience  # noqa: F401  (registers the audience source)
from content_calendar.crisis.models import Alert
from content_calendar.crisis.plan_b import sms_deliveries
from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.channels.base import ChannelConfig, Message
from publisher.channels.sms import SmsChannel
from publisher.channels.sms_audience import Audience
from publisher.db import Database, utcnow
from publisher.errors import DeliveryError
from publisher.models import Delivery
from publisher.outbox import sms_status
from publisher.settings import Settings
from tests.conftest import configure_channels
from tests.fakes.http import Recorded
from tests.fakes.sms import FakeGatewayApi, FakeTwilio

STAFF = "+4917099999999"


def number(i: int) -> str:
    return f"+4915100{i:06d}"


def subscribe(db: Database, count: int, language: str = "de", area: str = "", start: int = 1) -> list[str]:
    numbers = [number(i) for i in range(start, start + count)]
    rows = [
        {"phone": n, "language": language, "area": area, "status": SubscriberStatus.ACTIVE}
        for n in numbers
    ]
    with db.session() as session:
        session.execute(insert(SmsSubscriber), rows)
    return numbers


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGatewayApi]:
    fake = FakeGatewayApi(token="gw-token")
    fake.start()
    monkeypatch.setenv("TEST_GW_TOKEN", "gw-token")
    yield fake
    fake.stop()


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    fake = FakeTwilio(token="twilio-token")
    fake.start()
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "twilio-token")
    yield fake
    fake.stop()


def gateway_channel(fake: FakeGatewayApi, **options: Any) -> SmsChannel:
    opts = {"provider": "gatewayapi", "api_token_env": "TEST_GW_TOKEN", "sender": "Stadt", **options}
    return SmsChannel(ChannelConfig("sms-gw", "sms", base_url=fake.url, options=opts, http_timeout=2.0))


def twilio_channel(fake: FakeTwilio, **options: Any) -> SmsChannel:
    opts = {
        "provider": "twilio",
        "account_sid": fake.sid,
        "auth_token_env": "TEST_TWILIO_TOKEN",
        "sender": "+4915100000000",
        **options,
    }
    return SmsChannel(ChannelConfig("sms-tw", "sms", base_url=fake.url, options=opts, http_timeout=2.0))


def to_everyone(count: int) -> Message:
    extras = {"audience": Audience().to_dict(), "audience_count": count}
    return Message(text="Hochwasser: Bitte meiden Sie das Ufer.", kind="alert", extras=extras)


def send(channel: SmsChannel, message: Message, key: str) -> Any:
    return channel.send(channel.render(message), message, key)


def gateway_numbers(request: Recorded) -> list[str]:
    return [f"+{r['msisdn']}" for r in request.json()["recipients"]]


def test_a_retry_after_the_gateway_failed_on_batch_3_of_5_resends_neither_batch_1_nor_2(
    instance: Settings, db: Database, gateway: FakeGatewayApi
) -> None:
    people = subscribe(db, 10)
    channel = gateway_channel(gateway, batch_size=2, concurrency=1)
    gateway.fail_sends = {3: 503}
    with pytest.raises(DeliveryError) as caught:
        send(channel, to_everyone(10), "alert-1-sms-de")
    assert not caught.value.permanent
    assert "bereits 4 von 10 Empfängern gesendet" in str(caught.value)
    first = [gateway_numbers(r) for r in gateway.sent()]
    assert first == [people[0:2], people[2:4], people[4:6]]  # the third was answered 503

    receipt = send(channel, to_everyone(10), "alert-1-sms-de")  # the outbox's retry

    retry = [gateway_numbers(r) for r in gateway.sent()[3:]]
    assert retry == [people[4:6], people[6:8], people[8:10]]
    assert not set(people[0:4]) & {n for batch in retry for n in batch}
    assert dict(gateway.accepted) == {n: 1 for n in people}
    assert receipt.detail["accepted"] == 10
    ledger = sms_status.batch_ledger(db, "alert-1-sms-de")
    assert sorted(ledger) == [0, 1, 2, 3, 4]
    assert {b.status for b in ledger.values()} == {"accepted"}


def test_batches_go_out_concurrently_and_a_retry_still_sends_every_number_exactly_once(
    instance: Settings, db: Database, gateway: FakeGatewayApi
) -> None:
    people = subscribe(db, 40)
    gateway.delay = 0.2
    gateway.fail_sends = {3: 503}
    channel = gateway_channel(gateway, batch_size=4, concurrency=4)
    with pytest.raises(DeliveryError):
        send(channel, to_everyone(40), "alert-2-sms-de")
    accepted_first = set(gateway.accepted)
    assert 0 < len(accepted_first) < 40
    before = len(gateway.sent())

    send(channel, to_everyone(40), "alert-2-sms-de")

    resent = {n for r in gateway.sent()[before:] for n in gateway_numbers(r)}
    assert not resent & accepted_first
    assert dict(gateway.accepted) == {n: 1 for n in people}
    assert gateway.duplicates() == 0


def test_ten_batches_at_four_at_a_time_take_about_a_quarter_of_the_time_one_after_another(
    instance: Settings, db: Database, gateway: FakeGatewayApi
) -> None:
    subscribe(db, 20)
    gateway.delay = 0.3
    sequential = gateway_channel(gateway, batch_size=2, concurrency=1)
    parallel = gateway_channel(gateway, batch_size=2, concurrency=4)
    started = time.monotonic()
    send(sequential, to_everyone(20), "alert-3-a")
    one_by_one = time.monotonic() - started
    started = time.monotonic()
    send(parallel, to_everyone(20), "alert-3-b")
    four_at_once = time.monotonic() - started
    assert one_by_one >= 10 * 0.3
    assert four_at_once < one_by_one / 2


def test_a_twilio_batch_cut_short_by_429_keeps_who_was_sent_and_the_retry_sends_only_the_rest(
    instance: Settings, db: Database, twilio: FakeTwilio
) -> None:
    people = subscribe(db, 3)
    twilio.fail_sends = {2: 429}
    channel = twilio_channel(twilio, batch_size=3, concurrency=1)
    with pytest.raises(DeliveryError) as caught:
        send(channel, to_everyone(3), "alert-4")
    assert caught.value.status == 429 and not caught.value.permanent
    assert sms_status.statuses_for(db, "alert-4") == {
        people[0]: "accepted",
        people[1]: "failed",
        people[2]: "failed",
    }

    send(channel, to_everyone(3), "alert-4")

    tos = [r.form()["To"][0] for r in twilio.sent()]
    assert tos == [people[0], people[1], people[1], people[2]]
    assert dict(twilio.accepted) == {n: 1 for n in people}


def test_a_staff_number_that_also_subscribed_gets_one_sms(
    instance: Settings, db: Database, gateway: FakeGatewayApi
) -> None:
    people = subscribe(db, 3)
    with db.session() as session:
        session.add(SmsSubscriber(phone=STAFF, status=SubscriberStatus.ACTIVE, consent_at=utcnow()))
    channel = gateway_channel(gateway, recipients=[STAFF, "0151 00000001"], concurrency=1)
    receipt = send(channel, to_everyone(4), "alert-5")
    assert dict(gateway.accepted) == {n: 1 for n in [*people, STAFF]}
    assert receipt.detail["accepted"] == 4


def test_a_number_that_unsubscribed_before_the_retry_is_not_sent_and_nobody_moves_batch(
    instance: Settings, db: Database, gateway: FakeGatewayApi
) -> None:
    people = subscribe(db, 6)
    channel = gateway_channel(gateway, batch_size=2, concurrency=1)
    gateway.fail_sends = {2: 503}
    with pytest.raises(DeliveryError):
        send(channel, to_everyone(6), "alert-6")
    with db.session() as session:  # people[0] (batch 1, already sent) and people[3] (batch 2) leave
        for gone in (people[0], people[3]):
            session.delete(session.scalars(select(SmsSubscriber).where(SmsSubscriber.phone == gone)).one())

    send(channel, to_everyone(6), "alert-6")

    retry = [gateway_numbers(r) for r in gateway.sent()[2:]]
    assert retry == [[people[2]], people[4:6]]
    assert dict(gateway.accepted) == {n: 1 for n in people if n != people[3]}


def test_the_alert_delivery_carries_the_audience_and_its_count_not_the_numbers(
    instance: Settings, db: Database, gateway: FakeGatewayApi
) -> None:
    subscribe(db, 5, area="Nordstadt")
    subscribe(db, 2, area="Südstadt", start=100)
    subscribe(db, 3, language="en", area="", start=200)
    configure_channels(
        db,
        f"""
[channels.sms-gw]
type = "sms"
provider = "gatewayapi"
base_url = "{gateway.url}"
api_token_env = "TEST_GW_TOKEN"
lanes = ["crisis"]
cost_per_segment = 0.05
""",
    )
    with db.session() as session:
        alert = Alert(
            identifier="a-1",
            idempotency_key="k-1",
            level="severe",
            headline="Hochwasser",
            texts={
                "de": {"headline": "Hochwasser", "text": "Ufer meiden"},
                "en": {"headline": "Flood", "text": "Avoid the river bank"},
            },
            variables={"gebiet": "Nordstadt"},
        )
        session.add(alert)
        session.flush()
        created = sms_deliveries(session, alert, instance, "Test")
        by_language = {d.idempotency_key.rsplit("-", 1)[1]: d for d in created}
        german, english = by_language["de"], by_language["en"]
        assert german.message["extras"]["audience"] == {
            "languages": [],
            "except_languages": ["en"],
            "areas": ["", "Nordstadt"],
        }
        assert german.message["extras"]["audience_count"] == 5
        assert english.message["extras"]["audience_count"] == 3
        assert "recipients" not in german.message["extras"]
        assert german.rendered is not None and german.rendered["recipients"] == 5
        assert "für 5 Empfänger" in german.rendered["summary"]
        assert "+49" not in str(german.message) + str(german.rendered)
        assert session.scalar(select(Delivery.id).where(Delivery.id == german.id)) is not None


def test_a_subscriber_number_must_be_stored_in_e164(db: Database) -> None:
    with pytest.raises(ValueError, match="E.164"):
        SmsSubscriber(phone="0151 23456789")


@pytest.mark.integration
def test_a_celery_crisis_worker_reads_the_audience_and_sends_every_subscriber_once(
    stack: Any, db: Database, gateway: FakeGatewayApi
) -> None:
    from tests.channels.pipeline import enqueue_delivery, wait_for_state

    people = subscribe(db, 30)
    configure_channels(
        db,
        f"""
[channels.sms-gw]
type = "sms"
provider = "gatewayapi"
base_url = "{gateway.url}"
api_token_env = "TEST_GW_TOKEN"
lanes = ["crisis"]
batch_size = 7
""",
    )
    stack.start("crisis")
    delivery_id = enqueue_delivery(stack, db, "sms-gw", to_everyone(30), "crisis")
    done = wait_for_state(db, delivery_id, "sent", "dead", "failed")
    assert done.state == "sent", done.last_error
    assert not done.dispatched_inline  # the worker process, not this one, read the subscribers
    assert dict(gateway.accepted) == {n: 1 for n in people}
    assert len(gateway.sent()) == 5
