"""What the benchmarks share: a throw-away instance and the percentile they all quote."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def wait_http(url: str, timeout: float = 90.0) -> None:
    """Return once ``url`` answers at all (any status); raise after ``timeout`` seconds."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def serve_and_log_in(app: Any, username: str, password: str) -> tuple[str, Any]:
    """``app`` served by waitress on a free local port (a daemon thread), and a requests
    session logged in as ``username`` through the login form. Returns (base URL, session)."""
    import requests

    from workers.supervisor import free_port
    from workers.web_server import web_server

    port = free_port()
    server = web_server(app, "127.0.0.1", port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    http = requests.Session()
    page = http.get(f"{base}/login", timeout=10).text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    http.post(
        f"{base}/login", data={"username": username, "password": password, "csrf_token": csrf}, timeout=10
    )
    return base, http
