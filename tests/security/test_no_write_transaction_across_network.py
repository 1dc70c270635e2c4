"""No request path holds a database write transaction while it talks to the network (issue 15).

On SQLite one open write transaction stops every other writer, the crisis lane included;
a sign-up that waited for the SMS gateway inside one once delayed an alert by 28 s. The
engine is instrumented (``write_tracker.py``) and the main write paths run against fake
platforms on 127.0.0.1: sign-up (code SMS), an alert through the API (banner, SMS and
Mastodon, sent inline), a post created, submitted and approved on the web, then published
to Mastodon by the scheduler tick and the outbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.scheduling import tick
from content_calendar.calendar.timeutil import to_local
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import process_many
from publisher.settings import Settings
from tests.conftest import api_token, configure_channels, login
from tests.crisis.helpers import approved_library, wait_inline
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.sms import FakeSeven
from tests.security.write_tracker import WriteTracker, watching

CHANNELS = """
[channels.banner]
type = "banner"
lanes = ["crisis"]

[channels.sms]
type = "sms"
provider = "seven"
base_url = "{seven}"
api_key_env = "TEST_SEVEN_KEY"
lanes = ["crisis"]

[channels.mastodon]
type = "mastodon"
base_url = "{mastodon}"
token_env = "TEST_MASTODON_TOKEN"
lanes = ["community", "crisis"]
"""
STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeSeven, FakeMastodon]]:
    seven, mastodon = FakeSeven(api_key="seven-key"), FakeMastodon(token="mast-token")
    seven.start()
    mastodon.start()
    monkeypatch.setenv("TEST_SEVEN_KEY", "seven-key")
    monkeypatch.setenv("TEST_MASTODON_TOKEN", "mast-token")
    yield seven, mastodon
    seven.stop()
    mastodon.stop()


@pytest.fixture
def platforms(
    db: Database, instance: Settings, users: dict[str, int], fakes: tuple[FakeSeven, FakeMastodon]
) -> Database:
    seven, mastodon = fakes
    configure_channels(db, CHANNELS.format(seven=seven.base, mastodon=mastodon.url))
    with db.session() as session:
        for channel in session.scalars(select(Channel)):
            channel.options = {**(channel.options or {}), "every_alert": True}
    approved_library(db, instance)
    return db


@pytest.fixture
def tracker(platforms: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteTracker]:
    with watching(platforms.engine, monkeypatch) as watched:
        yield watched


def assert_clean(tracker: WriteTracker, *fakes: FakeSeven | FakeMastodon) -> None:
    """The path reached each fake platform (so something was checked), and never with a write open."""
    ports = {peer[1] for peer in tracker.connects if isinstance(peer, tuple)}
    for fake in fakes:
        assert int(fake.url.rsplit(":", 1)[1].split("/")[0]) in ports, f"{fake.url} was never called"
    assert not tracker.violations, "\n\n".join(str(v) for v in tracker.violations)


def test_the_tracker_finds_a_write_transaction_held_across_a_connect(
    platforms: Database, tracker: WriteTracker, fakes: tuple[FakeSeven, FakeMastodon]
) -> None:
    import requests

    with platforms.session() as session:
        session.add(Post(text="offen", channel_ids=[], state=PostState.DRAFT, publish_at=utcnow()))
        session.flush()
        requests.get(f"{fakes[1].url}/api/v1/instance", timeout=5)  # inside the transaction
    assert len(tracker.violations) >= 1
    assert tracker.violations[0].statement.startswith("INSERT INTO posts")


def test_sms_sign_up_sends_its_code_with_no_write_transaction_open(
    client: FlaskClient, tracker: WriteTracker, fakes: tuple[FakeSeven, FakeMastodon]
) -> None:
    response = client.post("/sms/", data={"phone": "0151 23456789", "language": "de", "consent": "1"})
    assert response.status_code == 200
    assert len(fakes[0].sent()) == 1
    assert_clean(tracker, fakes[0])


def test_an_alert_through_the_api_reaches_every_channel_with_no_write_transaction_open(
    client: FlaskClient, platforms: Database, tracker: WriteTracker, fakes: tuple[FakeSeven, FakeMastodon]
) -> None:
    created = client.post(
        "/api/v1/alerts",
        json={"template": "unwetter", "variables": STORM, "idempotency_key": "net-1"},
        headers={"Authorization": f"Bearer {api_token(platforms, 'krisenstab')}"},
    )
    assert created.status_code == 201, created.json
    wait_inline()
    assert len(fakes[1].posted_statuses) >= 1  # Mastodon got the alert
    assert_clean(tracker, fakes[1])


def test_a_post_created_approved_and_published_holds_no_write_transaction_across_the_send(
    client: FlaskClient,
    app: Flask,
    platforms: Database,
    instance: Settings,
    tracker: WriteTracker,
    fakes: tuple[FakeSeven, FakeMastodon],
) -> None:
    local = to_local(utcnow() + timedelta(days=2), instance.timezone)
    login(client, "redaktion")
    form = {
        "text": "Tierheim-Liebling der Woche: Kater Moritz",
        "channels": ["mastodon"],
        "date": local.strftime("%Y-%m-%d"),
        "time": "10:00",
        "theme": "Alltägliches und Lustiges (Tiere)",
        "action": "submit",
    }
    assert client.post("/posts/new", data=form).status_code == 302
    with platforms.session() as session:
        post_id = session.scalars(select(Post.id)).one()
    approver = app.test_client()
    login(approver, "freigabe")
    assert approver.post(f"/posts/{post_id}/review", data={"action": "approve"}).status_code == 302
    with platforms.session() as session:
        post = session.get(Post, post_id)
        assert post is not None and post.state == PostState.APPROVED
        post.publish_at = utcnow()  # due now
    report = tick(platforms, instance)
    assert report.deliveries
    process_many(platforms, [delivery_id for delivery_id, _ in report.deliveries], instance)
    with platforms.session() as session:
        assert session.scalars(select(Delivery.state)).all() == ["sent"]
    assert len(fakes[1].posted_statuses) == 1
    assert_clean(tracker, fakes[1])
