"""What a worker builds once instead of per send (issue 16, not timed).

Real outbox on SQLite, real fake platforms on 127.0.0.1, the worker's own ``process_many``:
a Bluesky client and a channel's HTTP session are built once per channel across alerts,
a send answered at once starts no lease thread and writes no lease renewal, the composer
builds each channel's text once, and the crisis worker imports its senders' SDKs at start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from content_calendar.crisis import compose
from publisher.channels import bluesky as bluesky_module
from publisher.channels import sessions
from publisher.channels.base import ChannelAdapter, Message
from publisher.channels.bluesky import BlueskyChannel
from publisher.db import Database
from publisher.models import Channel, Delivery
from publisher.outbox import NewDelivery, adapter_for, add_deliveries, lease, process_many
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState, Lane
from tests.conftest import REPO, configure_channels
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.webhook_receiver import FakeReceiver

HOOK_SECRET = "hook-secret"


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeReceiver]:
    fake = FakeReceiver(secret=HOOK_SECRET)
    fake.start()
    monkeypatch.setenv("TEST_HOOK_SECRET", HOOK_SECRET)
    yield fake
    fake.stop()


def channels(db: Database, hook: FakeReceiver, bsky: FakeBluesky) -> None:
    configure_channels(
        db,
        f"""
[channels.hook]
type = "webhook"
base_url = "{hook.url}/hook"
secret_env = "TEST_HOOK_SECRET"
lanes = ["crisis"]

[channels.bluesky]
type = "bluesky"
base_url = "{bsky.url}"
handle = "stadt.bsky.social"
app_password_env = "TEST_BSKY_PASSWORD"
lanes = ["crisis"]
""",
    )


def alert(db: Database, settings: Settings, text: str) -> list[int]:
    """One alert's deliveries to every channel, committed (what the alert request does)."""
    message = Message(text=text, kind="alert", level="severe")
    with db.session() as session:
        rows = session.scalars(select(Channel).order_by(Channel.name)).all()
        new = []
        for channel in rows:
            adapter = adapter_for(channel, settings)
            new.append(NewDelivery(channel, f"{text}-{channel.name}", adapter.render(message)))
        return add_deliveries(
            session,
            new,
            lane=Lane.CRISIS,
            message=message,
            settings=settings,
            source_kind="test",
            source_id=None,
        )


def test_a_bluesky_client_and_a_webhook_session_are_built_once_across_three_alerts(
    db: Database, instance: Settings, bsky: FakeBluesky, hook: FakeReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bluesky_module, "CLIENTS", {})
    built: list[str] = []
    new_client = BlueskyChannel.new_client

    def counting(self: BlueskyChannel):  # type: ignore[no-untyped-def]
        built.append(self.config.name)
        return new_client(self)

    monkeypatch.setattr(BlueskyChannel, "new_client", counting)
    channels(db, hook, bsky)
    sessions_before = sessions.built()
    for number in range(3):
        states = process_many(db, alert(db, instance, f"Unwetter {number}"), instance)
        assert set(states.values()) == {DeliveryState.SENT}
    assert built == ["bluesky"]  # one client (and one session restore) for three sends
    assert len(bsky.calls("com.atproto.server.createSession")) == 1
    assert len(bsky.calls("com.atproto.repo.createRecord")) == 3
    assert len(hook.posts()) == 3
    assert sessions.built() - sessions_before == 1  # the webhook's one kept-alive session


def test_closing_the_sessions_closes_the_connections_kept_alive_to_the_platforms(
    db: Database, instance: Settings, bsky: FakeBluesky, hook: FakeReceiver
) -> None:
    channels(db, hook, bsky)
    process_many(db, alert(db, instance, "Unwetter"), instance)
    assert hook.open_connections == 1  # kept alive for the next alert
    sessions.close_all()  # what tests do after each test (tests/conftest.py)
    deadline = time.monotonic() + 5
    while hook.open_connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hook.open_connections == 0  # closed at the platform's end too
    assert sessions.built() == 0
    process_many(db, alert(db, instance, "Unwetter 2"), instance)  # a new pool for the next send
    assert len(hook.posts()) == 2
    assert (hook.connections, sessions.built()) == (2, 1)


def test_a_refused_session_drops_the_cached_bluesky_client_and_logs_in_once_more(
    db: Database, instance: Settings, bsky: FakeBluesky, hook: FakeReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bluesky_module, "CLIENTS", {})
    channels(db, hook, bsky)
    process_many(db, alert(db, instance, "Unwetter 1"), instance)
    bsky.revoke_all()  # the server forgets every session: the cached client's is refused
    states = process_many(db, alert(db, instance, "Unwetter 2"), instance)
    assert set(states.values()) == {DeliveryState.SENT}
    assert len(bsky.calls("com.atproto.server.createSession")) == 2
    assert len(bsky.calls("com.atproto.repo.createRecord")) >= 2


def test_a_send_answered_at_once_starts_no_lease_thread_and_writes_no_renewal(
    db: Database, instance: Settings, bsky: FakeBluesky, hook: FakeReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    renewals: list[int] = []
    renew = lease.LeaseHeartbeat.renew

    def counting(self: lease.LeaseHeartbeat) -> bool:
        renewals.append(self.delivery_id)
        return renew(self)

    monkeypatch.setattr(lease.LeaseHeartbeat, "renew", counting)
    started: list[str] = []
    start = threading.Thread.start

    def noting(self: threading.Thread) -> None:
        started.append(self.name)
        start(self)

    monkeypatch.setattr(threading.Thread, "start", noting)
    channels(db, hook, bsky)
    for number in range(3):
        process_many(db, alert(db, instance, f"Unwetter {number}"), instance)
    assert renewals == []  # the lease of 90 s never needed renewing
    assert [name for name in started if name.startswith("lease")] in ([], ["lease-heartbeat"])
    with db.session() as session:
        assert {d.state for d in session.scalars(select(Delivery))} == {DeliveryState.SENT}


def test_the_composer_builds_each_channels_text_once(
    db: Database, instance: Settings, bsky: FakeBluesky, hook: FakeReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[str] = []
    build_text = ChannelAdapter.build_text

    def counting(self: ChannelAdapter, message: Message) -> str:
        builds.append(self.config.name)
        return build_text(self, message)

    monkeypatch.setattr(ChannelAdapter, "build_text", counting)
    channels(db, hook, bsky)
    with db.session() as session:
        rows = session.scalars(select(Channel).order_by(Channel.name)).all()
        renderings = compose.render_for(
            rows, Message(text="Unwetter", link="https://stadt.example"), instance
        )
    assert sorted(builds) == ["bluesky", "hook"]  # validate, render_text and render share it
    assert all(r.text.endswith("https://stadt.example") for r in renderings)


def test_the_crisis_worker_imports_its_senders_sdks_at_start_not_on_the_first_alert(
    db: Database, instance: Settings, bsky: FakeBluesky, hook: FakeReceiver, tmp_path: Path
) -> None:
    channels(db, hook, bsky)
    script = (
        "import sys, json, workers.celery_app as w\n"
        "before = 'atproto' in sys.modules\n"
        "w.warm_up_senders()\n"
        "print(json.dumps([before, 'atproto' in sys.modules, 'tweepy' in sys.modules]))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    before, after, unconfigured = json.loads(done.stdout.strip().splitlines()[-1])
    assert (before, after) == (False, True)  # lazy until the worker warms up, then loaded
    assert unconfigured is False  # no X channel configured: tweepy stays out
