"""The delivery state machine, driven through the real outbox against SQLite."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import select, update

from publisher.channels import registry
from publisher.channels.base import ChannelAdapter, Limits, Message, Receipt
from publisher.db import Database, utcnow
from publisher.errors import DeliveryError
from publisher.models import Channel, Delivery
from publisher.outbox import (
    claim,
    create_delivery,
    due_for_enqueue,
    expire_leases,
    process_delivery,
    sweep,
)
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState

S = DeliveryState


class ScriptedChannel(ChannelAdapter):
    """A channel whose send() outcomes are scripted per test (a test double of a platform,
    not of our own code: the outbox under test is real)."""

    type_name = "scripted"
    limits: ClassVar[Limits] = Limits(max_length=50)
    outcomes: ClassVar[list[Any]] = []
    sent: ClassVar[list[str]] = []

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(rendered["text"])
        return Receipt(remote_id="r1", url="https://example.invalid/r1")


class ScriptedIdempotent(ScriptedChannel):
    type_name = "scripted_idem"
    idempotent = True


@pytest.fixture(autouse=True)
def scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.ADAPTERS, "scripted", f"{__name__}:ScriptedChannel")
    monkeypatch.setitem(registry.ADAPTERS, "scripted_idem", f"{__name__}:ScriptedIdempotent")
    ScriptedChannel.outcomes = []
    ScriptedChannel.sent = []


def make(db: Database, settings: Settings, lane: str = "community", kind: str = "scripted") -> int:
    with db.session() as session:
        channel = session.scalar(select(Channel).where(Channel.name == kind))
        if channel is None:
            channel = Channel(name=kind, type=kind, lanes="crisis,community")
            session.add(channel)
        delivery = create_delivery(
            session,
            channel=channel,
            lane=lane,
            message=Message(text="Hallo"),
            settings=settings,
            source_kind="manual",
            source_id=None,
        )
        session.flush()
        return delivery.id


def state_of(db: Database, delivery_id: int) -> Delivery:
    with db.session() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


def test_success_records_sent_with_remote_url(db: Database, instance: Settings) -> None:
    delivery_id = make(db, instance)
    assert process_delivery(db, delivery_id, instance) == S.SENT
    delivery = state_of(db, delivery_id)
    assert delivery.state == S.SENT
    assert delivery.remote_url == "https://example.invalid/r1"
    assert delivery.attempts == 1
    assert delivery.sent_at is not None


def test_transient_error_schedules_retry_with_backoff(db: Database, instance: Settings) -> None:
    ScriptedChannel.outcomes = [DeliveryError("x: HTTP 503", platform_message="busy")]
    delivery_id = make(db, instance)
    assert process_delivery(db, delivery_id, instance) == S.FAILED
    delivery = state_of(db, delivery_id)
    assert delivery.platform_message == "busy"
    assert delivery.next_attempt_at > utcnow()
    # Not due yet: a second worker cannot claim it early.
    assert process_delivery(db, delivery_id, instance) is None


def test_retry_after_is_honoured(db: Database, instance: Settings) -> None:
    ScriptedChannel.outcomes = [DeliveryError("429", retry_after=600)]
    delivery_id = make(db, instance)
    process_delivery(db, delivery_id, instance)
    delivery = state_of(db, delivery_id)
    assert delivery.next_attempt_at >= utcnow() + timedelta(seconds=590)


def test_permanent_error_stops_and_keeps_platform_message(db: Database, instance: Settings) -> None:
    ScriptedChannel.outcomes = [DeliveryError("401", permanent=True, platform_message="bad token")]
    delivery_id = make(db, instance)
    assert process_delivery(db, delivery_id, instance) == S.DEAD
    delivery = state_of(db, delivery_id)
    assert (delivery.state, delivery.platform_message) == (S.DEAD, "bad token")
    assert process_delivery(db, delivery_id, instance) is None


def test_attempts_exhausted_become_dead(db: Database, instance: Settings) -> None:
    delivery_id = make(db, instance)
    with db.session() as session:
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(max_attempts=2))
    ScriptedChannel.outcomes = [DeliveryError("503"), DeliveryError("503")]
    assert process_delivery(db, delivery_id, instance) == S.FAILED
    with db.session() as session:
        session.execute(update(Delivery).values(next_attempt_at=utcnow()))
    assert process_delivery(db, delivery_id, instance) == S.DEAD


def test_unknown_outcome_of_community_post_waits_for_a_person(db: Database, instance: Settings) -> None:
    ScriptedChannel.outcomes = [DeliveryError("timeout", outcome_unknown=True)]
    delivery_id = make(db, instance, lane="community")
    assert process_delivery(db, delivery_id, instance) == S.UNKNOWN


def test_unknown_outcome_of_crisis_alert_is_sent_again(db: Database, instance: Settings) -> None:
    ScriptedChannel.outcomes = [DeliveryError("timeout", outcome_unknown=True)]
    delivery_id = make(db, instance, lane="crisis")
    assert process_delivery(db, delivery_id, instance) == S.FAILED


def test_unknown_outcome_on_idempotent_platform_is_retried(db: Database, instance: Settings) -> None:
    ScriptedChannel.outcomes = [DeliveryError("timeout", outcome_unknown=True)]
    delivery_id = make(db, instance, lane="community", kind="scripted_idem")
    assert process_delivery(db, delivery_id, instance) == S.FAILED


def test_claim_is_exclusive(db: Database, instance: Settings) -> None:
    delivery_id = make(db, instance)
    with db.session() as session:
        assert claim(session, delivery_id, instance) is not None
    with db.session() as session:
        assert claim(session, delivery_id, instance) is None


def test_expired_lease_of_crisis_delivery_is_resent(db: Database, instance: Settings) -> None:
    delivery_id = make(db, instance, lane="crisis")
    with db.session() as session:
        claim(session, delivery_id, instance)
        session.execute(update(Delivery).values(lease_until=utcnow() - timedelta(seconds=1)))
    with db.session() as session:
        assert expire_leases(session, instance) == 1
    assert state_of(db, delivery_id).state == S.PENDING
    assert process_delivery(db, delivery_id, instance) == S.SENT


def test_expired_lease_of_community_post_is_marked_unknown(db: Database, instance: Settings) -> None:
    delivery_id = make(db, instance, lane="community")
    with db.session() as session:
        claim(session, delivery_id, instance)
        session.execute(update(Delivery).values(lease_until=utcnow() - timedelta(seconds=1)))
    with db.session() as session:
        expire_leases(session, instance)
    delivery = state_of(db, delivery_id)
    assert delivery.state == S.UNKNOWN
    assert "bitte Konto prüfen" in (delivery.last_error or "")


def test_sweep_renudges_deliveries_whose_message_was_lost(db: Database, instance: Settings) -> None:
    delivery_id = make(db, instance, lane="crisis")
    with db.session() as session:
        # Enqueued just now: the sweep leaves it alone.
        assert due_for_enqueue(session, instance) == []
        session.execute(update(Delivery).values(last_enqueued_at=utcnow() - timedelta(seconds=3600)))
    nudged: list[tuple[int, str]] = []
    assert sweep(db, instance, nudged.extend) == 1
    assert nudged == [(delivery_id, "crisis")]


def test_sweep_puts_crisis_before_community(db: Database, instance: Settings) -> None:
    community = make(db, instance, lane="community")
    crisis = make(db, instance, lane="crisis")
    with db.session() as session:
        session.execute(update(Delivery).values(last_enqueued_at=None))
        order = [d for d, _ in due_for_enqueue(session, instance)]
    assert order == [crisis, community]


def test_unexpected_adapter_bug_does_not_lose_the_delivery(db: Database, instance: Settings) -> None:
    ScriptedChannel.outcomes = [ZeroDivisionError("bug")]
    delivery_id = make(db, instance)
    assert process_delivery(db, delivery_id, instance) == S.FAILED
    assert "interner Fehler" in (state_of(db, delivery_id).last_error or "")


def test_every_state_change_is_logged(db: Database, instance: Settings) -> None:
    ScriptedChannel.outcomes = [DeliveryError("503")]
    delivery_id = make(db, instance)
    process_delivery(db, delivery_id, instance)
    with db.session() as session:
        events = [entry.event for entry in session.get(Delivery, delivery_id).log]
    assert events == ["created", "attempt", "failed"]


def test_a_batch_is_claimed_sent_and_recorded_together(db: Database, instance: Settings) -> None:
    from publisher.outbox import process_many

    ids = [make(db, instance) for _ in range(5)]
    ScriptedChannel.outcomes = ["ok", DeliveryError("503"), "ok", "ok", "ok"]
    states = process_many(db, ids, instance)
    assert sorted(states.values()) == [S.FAILED, S.SENT, S.SENT, S.SENT, S.SENT]
    assert {state_of(db, i).state for i in ids} == {S.SENT, S.FAILED}
    # A second run of the same batch (a redelivered task) claims nothing new.
    assert process_many(db, ids, instance) == {}


def test_dispatcher_sends_an_alerts_deliveries_as_one_task_and_community_posts_in_batches() -> None:
    from publisher.outbox.dispatch import COMMUNITY_BATCH, CRISIS_BATCH, batches

    items = [(i, "community") for i in range(COMMUNITY_BATCH + 3)] + [(900 + i, "crisis") for i in range(9)]
    grouped = batches(items)
    assert grouped[0] == ("crisis", [900 + i for i in range(9)])  # one task, first
    community = [ids for lane, ids in grouped if lane == "community"]
    assert [len(ids) for ids in community] == [COMMUNITY_BATCH, 3]
    swept = batches([(i, "crisis") for i in range(CRISIS_BATCH + 1)])
    assert [len(ids) for _, ids in swept] == [CRISIS_BATCH, 1]
