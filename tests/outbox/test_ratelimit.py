"""The shared rate limiter: one budget per channel across processes, never sleeping."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import redis as redis_lib

from publisher.channels.base import ChannelConfig
from publisher.errors import DeliveryError
from publisher.outbox import ratelimit
from tests.conftest import REPO


@pytest.fixture
def client(redis_server: str) -> Iterator[redis_lib.Redis]:
    connection = redis_lib.Redis.from_url(redis_server)
    connection.flushall()
    yield connection


def config(rate: str | None = None, name: str = "kanal") -> ChannelConfig:
    options = {"rate_limit": rate} if rate else {}
    return ChannelConfig(name=name, type="telegram", options=options)


@pytest.mark.parametrize(
    ("text", "limit", "period"),
    [
        ("300/10800", 300, 10800),
        ("300/3h", 300, 10800),
        ("30/1m", 30, 60),
        ("1/s", 1, 1),
        ("5/2d", 5, 172800),
    ],
)
def test_rate_text_is_parsed(text: str, limit: int, period: float) -> None:
    assert ratelimit.Rate.parse(text) == ratelimit.Rate(limit, period)


@pytest.mark.parametrize("text", ["viele/3h", "0/1m", "3/-1", "abc"])
def test_bad_rate_text_is_refused_in_german(text: str) -> None:
    with pytest.raises(ValueError, match="ungültig"):
        ratelimit.Rate.parse(text)


def test_over_the_limit_raises_transient_error_with_retry_after_instead_of_sleeping(
    client: redis_lib.Redis,
) -> None:
    channel = config("3/60")
    for _ in range(3):
        ratelimit.acquire(channel, client=client)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        ratelimit.acquire(channel, client=client)
    assert time.monotonic() - started < 0.5
    assert not caught.value.permanent
    assert caught.value.retry_after is not None and 55 <= caught.value.retry_after <= 60
    assert "Sendelimit erreicht" in caught.value.message


def test_channels_have_separate_budgets(client: redis_lib.Redis) -> None:
    ratelimit.acquire(config("1/60", "a"), client=client)
    ratelimit.acquire(config("1/60", "b"), client=client)
    with pytest.raises(DeliveryError):
        ratelimit.acquire(config("1/60", "a"), client=client)


def test_window_slides_so_sends_resume_after_the_period(client: redis_lib.Redis) -> None:
    channel = config("2/1s")
    ratelimit.acquire(channel, client=client)
    ratelimit.acquire(channel, client=client)
    with pytest.raises(DeliveryError):
        ratelimit.acquire(channel, client=client)
    time.sleep(1.1)
    ratelimit.acquire(channel, client=client)


def test_platform_pause_stops_every_worker_until_it_ends(client: redis_lib.Redis) -> None:
    channel = config("100/1m")
    ratelimit.pause(channel, 0.6, client=client)
    with pytest.raises(DeliveryError) as caught:
        ratelimit.acquire(channel, client=client)
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 0.6
    time.sleep(0.7)
    ratelimit.acquire(channel, client=client)


def test_pause_applies_even_without_an_own_budget(client: redis_lib.Redis) -> None:
    channel = config(None)
    ratelimit.pause(channel, 30, client=client)
    with pytest.raises(DeliveryError):
        ratelimit.acquire(channel, default=None, client=client)


def test_shorter_pause_does_not_shorten_a_longer_one(client: redis_lib.Redis) -> None:
    channel = config()
    ratelimit.pause(channel, 30, client=client)
    ratelimit.pause(channel, 1, client=client)
    assert client.pttl(ratelimit.KEY_PAUSE.format(channel="kanal")) > 20_000


def test_without_redis_the_send_is_allowed(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("ERNSTFALL_HOME", str(tmp_path))
    for _ in range(5):
        ratelimit.acquire(config("1/60"))


def test_unreachable_redis_lets_an_alert_through() -> None:
    dead = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    ratelimit.acquire(config("1/60"), client=dead)
    ratelimit.acquire(config("1/60"), client=dead)


def test_budget_is_shared_across_worker_processes(redis_server: str, client: redis_lib.Redis) -> None:
    script = (
        "import sys\n"
        "from publisher.outbox import ratelimit\n"
        "from publisher.channels.base import ChannelConfig\n"
        "from publisher.errors import DeliveryError\n"
        "c = ChannelConfig(name='geteilt', type='x', options={'rate_limit': '12/60'})\n"
        "ok = 0\n"
        "for _ in range(10):\n"
        "    try:\n"
        "        ratelimit.acquire(c, client=ratelimit.redis_client(sys.argv[1])); ok += 1\n"
        "    except DeliveryError:\n"
        "        pass\n"
        "print(ok)\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, redis_server], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    taken = sum(int(worker.communicate(timeout=60)[0].strip()) for worker in workers)
    assert taken == 12
