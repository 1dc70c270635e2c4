"""The community lane yields to an alert: it pauses its writes while the crisis-busy flag is raised.

Against a real Redis: the alert request raises the flag, the crisis worker lowers it once the
alert's outcomes are recorded, and the community worker and the scheduler wait before each
write while it is raised, never longer than their timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis as redis_lib
from sqlalchemy import select

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.scheduling import TickReport, tick
from publisher.channels.base import Message
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import Claimed, Outcome, after_alerts, create_delivery, crisis_busy, process_many
from publisher.settings import Settings, load_settings
from publisher.vocabulary import DeliveryState, Lane
from tests.conftest import configure_channels

CHANNELS = """
[channels.vorschau]
type = "preview"
lanes = ["community", "crisis"]
"""


@pytest.fixture
def settings(redis_server: str, instance: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("REDIS_URL", redis_server)
    client = redis_lib.Redis.from_url(redis_server)
    client.delete(crisis_busy.KEY)
    yield load_settings()
    client.delete(crisis_busy.KEY)


def deliveries(db: Database, settings: Settings, lane: Lane, count: int) -> list[int]:
    with db.session() as session:
        channel = session.scalars(select(Channel).where(Channel.name == "vorschau")).one()
        rows = [
            create_delivery(
                session,
                channel=channel,
                lane=lane,
                message=Message(text=f"Beitrag {i}"),
                settings=settings,
                source_kind="manual",
                source_id=None,
            )
            for i in range(count)
        ]
        session.flush()
        return [row.id for row in rows]


def states(db: Database, ids: list[int]) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(Delivery.state).where(Delivery.id.in_(ids))))


def in_background(work: Callable[[], object]) -> tuple[threading.Thread, list[float]]:
    """Run ``work`` in a thread; the list gets the seconds it took."""
    took: list[float] = []

    def run() -> None:
        started = time.monotonic()
        work()
        took.append(time.monotonic() - started)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, took


def test_the_community_worker_waits_while_an_alert_is_under_way_and_claims_once_it_is_recorded(
    db: Database, settings: Settings
) -> None:
    configure_channels(db, CHANNELS)
    community = deliveries(db, settings, Lane.COMMUNITY, 5)
    alert = deliveries(db, settings, Lane.CRISIS, 1)
    crisis_busy.raise_flag(settings.redis_url, seconds=30)

    thread, _took = in_background(lambda: process_many(db, community, settings))
    time.sleep(0.5)
    assert states(db, community) == {DeliveryState.PENDING}  # not even claimed: it yields

    # The crisis delivery does not wait for anything, and recording it lowers the flag.
    assert process_many(db, alert, settings) == {alert[0]: DeliveryState.PREVIEWED}
    assert not crisis_busy.is_raised(settings.redis_url)
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert states(db, community) == {DeliveryState.PREVIEWED}


def test_the_community_worker_resumes_after_its_timeout_when_nobody_lowers_the_flag(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_channels(db, CHANNELS)
    community = deliveries(db, settings, Lane.COMMUNITY, 3)
    monkeypatch.setattr(crisis_busy, "MOST_WAIT_SECONDS", 0.6)
    crisis_busy.raise_flag(settings.redis_url, seconds=60)  # a crisis worker that died

    thread, took = in_background(lambda: process_many(db, community, settings))
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert states(db, community) == {DeliveryState.PREVIEWED}
    # It waited before the claim, before sending (the three sends at once) and before
    # recording, each at most its timeout.
    assert 1.7 <= took[0] < 6.0
    assert crisis_busy.is_raised(settings.redis_url)  # still raised; the community lane went on


def test_the_flag_expires_by_itself_and_then_nobody_waits(db: Database, settings: Settings) -> None:
    crisis_busy.raise_flag(settings.redis_url, seconds=0.3)
    assert crisis_busy.is_raised(settings.redis_url)
    waited = crisis_busy.wait_while_raised(settings.redis_url, most=10)
    assert 0.1 <= waited < 2.0
    assert crisis_busy.wait_while_raised(settings.redis_url, most=10) == 0.0


def test_the_scheduler_releases_no_post_while_an_alert_is_under_way(db: Database, settings: Settings) -> None:
    configure_channels(db, CHANNELS)
    with db.session() as session:
        channel_id = session.scalars(select(Channel.id)).one()
        session.add_all(
            Post(text=f"Beitrag {i}", publish_at=utcnow(), state=PostState.APPROVED, channel_ids=[channel_id])
            for i in range(30)
        )
    crisis_busy.raise_flag(settings.redis_url, seconds=30)
    result: list[TickReport] = []
    thread, _took = in_background(lambda: result.append(tick(db, settings)))
    time.sleep(0.5)
    with db.session() as session:
        approved = session.scalars(select(Post.id).where(Post.state == PostState.APPROVED)).all()
    assert len(approved) == 30  # waiting before its first write

    crisis_busy.lower_flag(settings.redis_url)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert result[0].released == 30


def test_without_redis_there_is_no_flag_and_nothing_waits(db: Database, instance: Settings) -> None:
    assert instance.redis_url is None
    crisis_busy.raise_flag(instance.redis_url)
    assert not crisis_busy.is_raised(instance.redis_url)
    assert crisis_busy.wait_while_raised(instance.redis_url) == 0.0


def test_a_community_send_waits_while_an_alert_is_under_way(settings: Settings) -> None:
    """Claimed just before the alert came: the post is sent after it, not beside it."""
    sent: list[float] = []

    def send(job: Claimed) -> Outcome:
        sent.append(time.monotonic())
        return Outcome(job, None, None, True)

    job = Claimed.__new__(Claimed)  # the send above reads nothing of it
    crisis_busy.raise_flag(settings.redis_url, seconds=30)
    thread, _took = in_background(lambda: after_alerts(send, settings.redis_url)(job))
    time.sleep(0.4)
    assert sent == []  # still waiting
    lowered = time.monotonic()
    crisis_busy.lower_flag(settings.redis_url)
    thread.join(timeout=5)
    assert len(sent) == 1 and sent[0] >= lowered
    # No alert under way: the send goes at once.
    assert after_alerts(send, settings.redis_url)(job).job is job and len(sent) == 2
