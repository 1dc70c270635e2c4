import random

import pytest

from publisher.outbox.retry import backoff_seconds


def test_backoff_grows_exponentially_within_jitter_bounds() -> None:
    rng = random.Random(1)
    for attempt, step in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0)]:
        delay = backoff_seconds(attempt, base=2, cap=300, rng=rng)
        assert step / 2 <= delay <= step


def test_backoff_is_capped() -> None:
    delays = [backoff_seconds(30, base=2, cap=60, rng=random.Random(i)) for i in range(50)]
    assert max(delays) <= 60
    assert min(delays) >= 30


def test_jitter_spreads_retries_of_many_deliveries() -> None:
    rng = random.Random(7)
    delays = {round(backoff_seconds(5, base=2, cap=300, rng=rng), 3) for _ in range(20)}
    assert len(delays) > 15


def test_retry_after_from_the_platform_wins_when_longer() -> None:
    assert backoff_seconds(1, base=2, cap=300, retry_after=120) == 120


def test_retry_after_shorter_than_backoff_does_not_shorten_it() -> None:
    delay = backoff_seconds(4, base=2, cap=300, retry_after=0.5, rng=random.Random(3))
    assert delay >= 8


def test_attempt_counts_from_one() -> None:
    with pytest.raises(ValueError):
        backoff_seconds(0, base=2, cap=300)
