"""A send that outlasts its lease is not handed to a second worker while it still runs.

A real SQLite outbox, a fake seven.io on 127.0.0.1 that takes 6 s to answer, a lease
of 2 s, and the real sweep running twice during the send with a second "worker"
(process_many in another thread) ready to take whatever the sweep hands out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from publisher.channels.base import Message
from publisher.db import Database
from publisher.models import Channel, Delivery
from publisher.outbox import create_delivery, lease, process_delivery, process_many, sweep
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState, Lane
from tests.conftest import configure_channels
from tests.fakes.sms import FakeSeven

SEND_SECONDS = 6.0
LEASE_SECONDS = 2


@pytest.fixture
def slow_seven(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSeven]:
    fake = FakeSeven(api_key="seven-key", delay=SEND_SECONDS)
    fake.start()
    monkeypatch.setenv("TEST_SEVEN_KEY", "seven-key")
    yield fake
    fake.stop()


@pytest.fixture
def short_lease(instance: Settings) -> Settings:
    return instance.model_copy(update={"lease_seconds": LEASE_SECONDS, "http_timeout": 10.0})


def sms_delivery(db: Database, fake: FakeSeven, settings: Settings) -> int:
    configure_channels(
        db,
        f"""
[channels.sms]
type = "sms"
provider = "seven"
base_url = "{fake.base}"
api_key_env = "TEST_SEVEN_KEY"
recipients = ["+4915123456789"]
""",
    )
    with db.session() as session:
        channel = session.scalars(select(Channel).where(Channel.name == "sms")).one()
        delivery = create_delivery(
            session,
            channel=channel,
            lane=Lane.CRISIS,
            message=Message(text="Unwetter", kind="alert"),
            settings=settings,
            source_kind="test",
            source_id=None,
        )
        session.flush()
        return delivery.id


def run_with_sweeps(db: Database, settings: Settings, delivery_id: int) -> list[threading.Thread]:
    """The first worker sends; the sweep runs at 3 s and 5 s and hands out what it finds."""
    started = time.monotonic()
    workers = [threading.Thread(target=process_delivery, args=(db, delivery_id, settings))]
    workers[0].start()

    def second_worker(items: list[tuple[int, str]]) -> None:
        ids = [i for i, _ in items]
        thread = threading.Thread(target=process_many, args=(db, ids, settings))
        thread.start()
        workers.append(thread)

    for at in (3.0, 5.0):
        time.sleep(at - (time.monotonic() - started))
        sweep(db, settings, second_worker)
    for worker in list(workers):
        worker.join(30)
    return workers


def test_a_send_longer_than_its_lease_is_not_started_twice_by_the_sweep(
    db: Database, short_lease: Settings, slow_seven: FakeSeven
) -> None:
    delivery_id = sms_delivery(db, slow_seven, short_lease)
    workers = run_with_sweeps(db, short_lease, delivery_id)
    assert len(workers) == 1  # the sweep found nothing to hand out
    assert len(slow_seven.sent()) == 1
    with db.session() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        assert delivery.state == DeliveryState.SENT and delivery.attempts == 1


def test_without_the_heartbeat_the_same_sweep_would_send_it_twice(
    db: Database, short_lease: Settings, slow_seven: FakeSeven, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: proves the test above can fail (the 2,000 duplicate SMS of issue 16)."""
    monkeypatch.setattr(lease.LeaseHeartbeat, "renew", lambda self: True)
    delivery_id = sms_delivery(db, slow_seven, short_lease)
    run_with_sweeps(db, short_lease, delivery_id)
    assert len(slow_seven.sent()) == 2
