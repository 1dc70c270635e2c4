"""The shape of an alert's fan-out (not timed): one claim, every channel at once, each recorded.

The alert is issued through the real lifecycle; its deliveries travel the way the
dispatcher groups them for the crisis worker (``batches``) and are processed by the worker's
own code (``process_many``), against eight webhook channels on fake receivers on loopback.
Only the broker in between is left out (tests/outbox and tests/crisis run it for real).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from content_calendar.crisis import lifecycle
from publisher.db import Database
from publisher.models import Delivery
from publisher.outbox import process_many
from publisher.outbox.dispatch import Dispatcher, batches
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState, Lane
from tests.conftest import configure_channels
from tests.crisis.helpers import approved_library
from tests.fakes.http import Recorded
from tests.fakes.webhook_receiver import FakeReceiver

CHANNELS = 8
SECRET = "hook-secret"
STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}


class Collecting(Dispatcher):
    """The dispatcher's grouping without a broker: what it would publish, kept for the test."""

    def __init__(self, settings: Settings, db: Database) -> None:
        super().__init__(settings, db)
        self.tasks: list[tuple[str, list[int]]] = []

    def enqueue(self, deliveries: Any) -> None:
        self.tasks.extend(batches(list(deliveries)))


class SlowReceiver(FakeReceiver):
    """A city-app endpoint that notes when each request arrived and answers ``delay`` s later."""

    def __init__(self) -> None:
        super().__init__(secret=SECRET)
        self.delay = 0.0
        self.arrivals: list[float] = []
        self.hold: threading.Event | None = None  # answer only once the test sets it

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.method == "POST":
            self.arrivals.append(time.monotonic())
        time.sleep(self.delay)
        if self.hold is not None:
            self.hold.wait(25)
        return super().handle(request)


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SlowReceiver]]:
    fakes = [SlowReceiver() for _ in range(CHANNELS)]
    for fake in fakes:
        fake.start()
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    yield fakes
    for fake in fakes:
        fake.stop()


def eight_hooks(db: Database, receivers: list[SlowReceiver]) -> None:
    configure_channels(
        db,
        "".join(
            f'[channels.hook-{i}]\ntype = "webhook"\nbase_url = "{fake.url}/hook"\n'
            'secret_env = "TEST_HOOK_SECRET"\nlanes = ["crisis"]\n'
            for i, fake in enumerate(receivers)
        ),
    )


def issue_alert(db: Database, settings: Settings) -> Collecting:
    dispatcher = Collecting(settings, db)
    lifecycle.issue(
        db,
        settings,
        dispatcher,
        template_key="unwetter",
        variables=STORM,
        idempotency_key="fanout-structure",
        user_id=None,
    )
    return dispatcher


@pytest.fixture
def claims(db: Database) -> Iterator[list[str]]:
    """Every claim statement (the conditional UPDATE that makes a delivery ``sending``)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        text = " ".join(statement.split()).lower()
        if text.startswith("update deliveries set state") and "attempts=(deliveries.attempts + ?)" in text:
            seen.append(text)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def states(db: Database) -> dict[str, str]:
    with db.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.source_kind == "alert")).all()
        return {d.channel.name: d.state for d in rows if d.channel.name.startswith("hook-")}


def test_an_alerts_deliveries_travel_as_one_task_and_are_claimed_with_one_statement(
    db: Database, instance: Settings, users: dict[str, int], receivers: list[SlowReceiver], claims: list[str]
) -> None:
    eight_hooks(db, receivers)
    approved_library(db, instance)
    dispatcher = issue_alert(db, instance)
    crisis_tasks = [ids for lane, ids in dispatcher.tasks if lane == Lane.CRISIS]
    assert len(crisis_tasks) == 1 and len(crisis_tasks[0]) >= CHANNELS
    process_many(db, crisis_tasks[0], instance)
    assert len(claims) == 1  # one claim transaction for the whole alert, not one per channel
    assert set(states(db).values()) == {DeliveryState.SENT}
    assert all(len(fake.posts()) == 1 for fake in receivers)
    # The same task delivered twice (a redelivered message) claims and sends nothing again.
    assert process_many(db, crisis_tasks[0], instance) == {}
    assert all(len(fake.posts()) == 1 for fake in receivers)


def test_every_channel_of_an_alert_is_sent_at_once_not_one_after_another(
    db: Database, instance: Settings, users: dict[str, int], receivers: list[SlowReceiver]
) -> None:
    delay = 1.5  # each platform takes this long to answer
    for fake in receivers:
        fake.delay = delay
    eight_hooks(db, receivers)
    approved_library(db, instance)
    (ids,) = [ids for lane, ids in issue_alert(db, instance).tasks if lane == Lane.CRISIS]
    process_many(db, ids, instance)
    # All eight requests arrived while the first was still being answered; one after
    # another, the last would have arrived 7 x 1.5 s after the first.
    arrivals = [when for fake in receivers for when in fake.arrivals]
    assert len(arrivals) == CHANNELS
    assert max(arrivals) - min(arrivals) < delay
    assert set(states(db).values()) == {DeliveryState.SENT}


def test_a_fast_channels_outcome_is_recorded_while_a_slow_one_is_still_sending(
    db: Database, instance: Settings, users: dict[str, int], receivers: list[SlowReceiver]
) -> None:
    slow = receivers[0]
    slow.hold = threading.Event()
    eight_hooks(db, receivers)
    approved_library(db, instance)
    (ids,) = [ids for lane, ids in issue_alert(db, instance).tasks if lane == Lane.CRISIS]
    patient = instance.model_copy(update={"http_timeout": 30.0})  # the slow answer is not a timeout
    worker = threading.Thread(target=process_many, args=(db, ids, patient))
    worker.start()
    try:
        deadline = time.monotonic() + 20
        seen = states(db)
        while sum(state == DeliveryState.SENT for state in seen.values()) < CHANNELS - 1:
            assert time.monotonic() < deadline, seen
            time.sleep(0.05)
            seen = states(db)
        assert seen["hook-0"] == DeliveryState.SENDING  # its platform has not answered yet
    finally:
        slow.hold.set()
        worker.join(30)
    assert states(db)["hook-0"] == DeliveryState.SENT
