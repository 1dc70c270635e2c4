"""One rule for 429 and 503, for every channel (issue 15): transient, never the end of a
delivery, and the next attempt waits at least the response's Retry-After, given as
seconds or as an HTTP date, with or without the platform's own error body.

Each case is answered by the platform's fake on loopback and read by the real adapter
(facebook-sdk, tweepy, Mastodon.py underneath).
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from publisher.channels.base import ChannelAdapter, ChannelConfig, Message
from publisher.channels.facebook import FacebookChannel
from publisher.channels.mastodon import MastodonChannel
from publisher.channels.x import XChannel
from publisher.db import Database, utcnow
from publisher.models import Channel, Delivery
from publisher.outbox import create_delivery, process_delivery
from publisher.settings import Settings
from publisher.vocabulary import DeliveryState, Lane
from tests.channels.pipeline import send_error
from tests.conftest import configure_channels
from tests.fakes.graph import FakeGraph
from tests.fakes.http import FakeServer, Scripted
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX, problem

X_SECRETS = {"T_X_CK": "ck", "T_X_CS": "cs", "T_X_AT": "at", "T_X_ATS": "ats"}


def config(name: str, kind: str, fake: FakeServer, **options: object) -> ChannelConfig:
    return ChannelConfig(name=name, type=kind, base_url=fake.url, options=options, http_timeout=2.0)


def facebook(fake: FakeServer) -> ChannelAdapter:
    assert isinstance(fake, FakeGraph)
    return FacebookChannel(config("fb", "facebook", fake, page_token_env="T_FB", page_id=fake.page_id))


def x(fake: FakeServer) -> ChannelAdapter:
    names = ("consumer_key_env", "consumer_secret_env", "access_token_env", "access_token_secret_env")
    return XChannel(config("x", "x", fake, **dict(zip(names, X_SECRETS, strict=True))))


def mastodon(fake: FakeServer) -> ChannelAdapter:
    return MastodonChannel(config("mastodon", "mastodon", fake, token_env="T_MASTODON", max_characters=500))


@dataclass(frozen=True)
class Platform:
    fake: Callable[[], FakeServer]
    adapter: Callable[[FakeServer], ChannelAdapter]
    post_path: Callable[[FakeServer], str]
    own_body: dict[str, Any]  # what the platform itself says with a 429


PLATFORMS = {
    "facebook": Platform(
        lambda: FakeGraph(token="fb-token"),
        facebook,
        lambda fake: f"/v25.0/{fake.page_id}/feed" if isinstance(fake, FakeGraph) else "",
        {"error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "code": 4}},
    ),
    "x": Platform(
        lambda: FakeX(*X_SECRETS.values()),
        x,
        lambda _: "/2/tweets",
        problem(429, "Too Many Requests", "Too Many Requests"),
    ),
    "mastodon": Platform(
        lambda: FakeMastodon(token="m-token"),
        mastodon,
        lambda _: "/api/v1/statuses",
        {"error": "Too many requests"},
    ),
}


def http_date(seconds: int) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None
    body: str  # "own" (the platform's error body), "empty" or "html"
    waits: tuple[float, float] | None  # the retry_after range expected; None: nothing asked


ANSWERS = {
    "429_own_body_seconds": Answer(429, "120", "own", (119.0, 121.0)),
    "429_own_body_http_date": Answer(429, "date", "own", (290.0, 301.0)),
    "429_empty_body_seconds": Answer(429, "120", "empty", (119.0, 121.0)),
    "429_html_page_http_date": Answer(429, "date", "html", (290.0, 301.0)),
    "429_empty_body_no_retry_after": Answer(429, None, "empty", None),
    "503_html_page_seconds": Answer(503, "45", "html", (44.0, 46.0)),
    "503_html_page_http_date": Answer(503, "date", "html", (290.0, 301.0)),
}


def scripted(platform: Platform, fake: FakeServer, answer: Answer) -> Scripted:
    headers: dict[str, str] = {}
    if answer.retry_after:
        headers["Retry-After"] = http_date(300) if answer.retry_after == "date" else answer.retry_after
    path = platform.post_path(fake)
    if answer.body == "own":
        return Scripted(answer.status, platform.own_body, headers=headers, path_prefix=path)
    if answer.body == "html":
        headers["Content-Type"] = "text/html"
        page = b"<html><h1>Bitte warten</h1></html>"
        return Scripted(answer.status, raw=page, headers=headers, path_prefix=path)
    return Scripted(answer.status, raw=b"", headers=headers, path_prefix=path)


@pytest.fixture
def secrets(instance: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean instance (no Redis: nothing shared between cases) and every platform's secret."""
    for name, value in {**X_SECRETS, "T_FB": "fb-token", "T_MASTODON": "m-token"}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(params=list(PLATFORMS), ids=list(PLATFORMS))
def platform(request: pytest.FixtureRequest, secrets: None) -> Iterator[tuple[Platform, FakeServer]]:
    chosen = PLATFORMS[request.param]
    fake = chosen.fake().start()
    yield chosen, fake
    fake.stop()


@pytest.mark.parametrize("answer", list(ANSWERS.values()), ids=list(ANSWERS))
def test_a_429_or_503_is_transient_and_waits_for_retry_after_on_every_channel(
    platform: tuple[Platform, FakeServer], answer: Answer
) -> None:
    spec, fake = platform
    fake.enqueue(scripted(spec, fake, answer))
    error = send_error(spec.adapter(fake), Message(text="Hochwasser: Uferstraße gesperrt"))
    assert not error.permanent, error
    assert not error.outcome_unknown, error  # the platform refused: nothing went online
    assert error.status == answer.status
    if answer.waits is None:
        assert error.retry_after is None or error.retry_after <= 5  # only the library's own pause
    else:
        low, high = answer.waits
        assert error.retry_after is not None and low <= error.retry_after <= high, error.retry_after
    assert ("Rate-Limit" if answer.status == 429 else "503") in error.message


def test_facebook_429_without_a_graph_body_keeps_the_delivery_alive_until_retry_after(
    db: Database, secrets: None, instance: Settings
) -> None:
    fake = FakeGraph(token="fb-token")
    fake.start()
    try:
        configure_channels(
            db,
            f'[channels.fb]\ntype = "facebook"\nbase_url = "{fake.url}"\npage_id = "{fake.page_id}"\n'
            'page_token_env = "T_FB"\n',
        )
        fake.enqueue(Scripted(429, raw=b"", headers={"Retry-After": "120"}, path_prefix="/v25.0/"))
        with db.session() as session:
            channel = session.scalar(select(Channel).where(Channel.name == "fb"))
            assert channel is not None
            delivery = create_delivery(
                session, channel=channel, lane=Lane.COMMUNITY, message=Message(text="Hallo"),
                settings=instance, source_kind="manual", source_id=None,
            )
            session.flush()
            delivery_id = delivery.id
        before = utcnow()
        assert process_delivery(db, delivery_id, instance) == DeliveryState.FAILED  # not dead
        with db.session() as session:
            row = session.get(Delivery, delivery_id)
            assert row is not None
            assert row.next_attempt_at >= before + timedelta(seconds=119)
            assert row.attempts == 1 and "Rate-Limit" in (row.last_error or "")
        assert fake.feed == []
    finally:
        fake.stop()
