"""What the benchmarks share: a throw-away instance and the percentile they all quote."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Variables that would point a benchmark at a real installation instead of its own.
OUTSIDE_STATE = ("DATABASE_URL", "REDIS_URL", "ERNSTFALL_CHANNELS")


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (``q`` in 0…100) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


@contextmanager
def temporary_home() -> Iterator[Path]:
    """``ERNSTFALL_HOME`` in a temporary folder, with no database, Redis or channel file
    from outside; removed afterwards. Import the application only inside it, so its
    settings are read from here."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "instance"
        os.environ["ERNSTFALL_HOME"] = str(home)
        for name in OUTSIDE_STATE:
            os.environ.pop(name, None)
        yield home
