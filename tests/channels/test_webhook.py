"""Webhook channel: signed JSON to a receiver on 127.0.0.1, and how each answer is classified."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from publisher.channels.base import ChannelConfig, Message
from publisher.channels.webhook import WebhookChannel, sign, verify_signature
from tests.channels.pipeline import enqueue_delivery, send_error, wait_for_state
from tests.conftest import configure_channels
from tests.fakes.http import Scripted
from tests.fakes.webhook_receiver import FakeReceiver

ALERT = Message(
    text="Stromausfall in Nordstadt.",
    title="Stromausfall",
    kind="alert",
    level="severe",
    extras={
        "alert_id": 7,
        "identifier": "ernstfall-abc",
        "msg_type": "Alert",
        "texts": {"de": {"text": "x"}},
    },
)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeReceiver]:
    fake = FakeReceiver(secret="hook-secret").start()
    monkeypatch.setenv("TEST_HOOK_SECRET", "hook-secret")
    yield fake
    fake.stop()


def channel(receiver: FakeReceiver) -> WebhookChannel:
    return WebhookChannel(
        ChannelConfig(
            "stadt-app",
            "webhook",
            base_url=f"{receiver.url}/hook",
            options={"secret_env": "TEST_HOOK_SECRET"},
            http_timeout=1.0,
        )
    )


def test_posts_signed_json_the_receiver_accepts(receiver: FakeReceiver) -> None:
    hook = channel(receiver)
    receipt = hook.send(hook.render(ALERT), ALERT, "key-1")
    [request] = receiver.posts()
    body = request.json()
    assert body["id"] == "key-1" and body["event"] == "alert" and body["level"] == "severe"
    assert body["alert"]["identifier"] == "ernstfall-abc"
    assert request.headers["x-ernstfall-delivery"] == "key-1"
    assert request.headers["x-ernstfall-signature"].startswith("sha256=")
    assert receipt.remote_id == "app-1"


def test_signature_covers_timestamp_and_body_and_expires() -> None:
    body = json.dumps({"a": 1}).encode()
    now = int(time.time())
    signature = sign("s", str(now), body)
    assert verify_signature("s", str(now), body, signature)
    assert not verify_signature("s", str(now), body + b" ", signature)  # body changed
    assert not verify_signature("s", str(now + 1), body, signature)  # timestamp changed
    assert not verify_signature("other", str(now), body, signature)
    assert not verify_signature("s", str(now), body, signature, now=now + 301)  # replayed later


def test_wrong_secret_is_permanent_and_says_what_to_check(
    receiver: FakeReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_HOOK_SECRET", "stale")
    error = send_error(channel(receiver), ALERT)
    assert error.permanent and error.status == 401
    assert "Geheimnis/Signatur prüfen" in str(error)


@pytest.mark.parametrize(
    ("scripted", "permanent", "unknown", "retry_after"),
    [
        (Scripted(403, {"error": "forbidden"}), True, False, None),
        (Scripted(400, {"error": "bad payload"}), True, False, None),
        (Scripted(410, {"error": "gone"}), True, False, None),
        (Scripted(429, {"error": "slow down"}, headers={"Retry-After": "20"}), False, False, 20.0),
        (Scripted(500, {"error": "boom"}), False, False, None),
        (Scripted(503, raw=b"<html>maintenance</html>"), False, False, None),
        (Scripted(200, {"id": "late"}, delay=1.5), False, True, None),
    ],
)
def test_classifies_receiver_answers(
    receiver: FakeReceiver, scripted: Scripted, permanent: bool, unknown: bool, retry_after: float | None
) -> None:
    receiver.enqueue(scripted)
    error = send_error(channel(receiver), ALERT)
    assert (error.permanent, error.outcome_unknown) == (permanent, unknown)
    assert error.retry_after == (pytest.approx(retry_after, abs=1) if retry_after else None)


def test_a_2xx_with_a_broken_body_is_still_delivered(receiver: FakeReceiver) -> None:
    receiver.enqueue(Scripted(202, raw=b"{not json"))
    hook = channel(receiver)
    assert hook.send(hook.render(ALERT), ALERT, "key-9").remote_id == "key-9"


def test_check_does_not_post(receiver: FakeReceiver) -> None:
    assert channel(receiver).check().ok
    assert receiver.posts() == []


@pytest.mark.integration
def test_webhook_alert_goes_out_through_a_crisis_worker_and_retries_after_500(
    stack: Any, db: Any, receiver: FakeReceiver
) -> None:
    configure_channels(
        db,
        f"""
[channels.stadt-app]
type = "webhook"
base_url = "{receiver.url}/hook"
secret_env = "TEST_HOOK_SECRET"
""",
    )
    receiver.enqueue(Scripted(500, {"error": "boom"}))
    stack.start("crisis")
    stack.start("scheduler")
    delivery_id = enqueue_delivery(stack, db, "stadt-app", ALERT, "crisis")
    done = wait_for_state(db, delivery_id, "sent", "dead")
    assert done.state == "sent", done.last_error
    assert done.attempts == 2
    keys = {r.headers["x-ernstfall-delivery"] for r in receiver.posts()}
    assert keys == {done.idempotency_key}  # the retry carries the same key for the receiver to dedupe
