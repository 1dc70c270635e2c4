"""The one place that decides when to retry."""

from __future__ import annotations

import random


def backoff_seconds(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Delay before attempt ``attempt + 1``.

    Capped exponential backoff with full jitter in the upper half (so retries of many
    deliveries spread out but never come back sooner than half the step). A platform's
    own Retry-After wins when it asks for longer.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    step = min(cap, base * (2 ** (attempt - 1)))
    delay = step / 2 + (rng or random).uniform(0, step / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return float(delay)
