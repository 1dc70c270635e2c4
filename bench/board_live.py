"""Database queries per second while 0, 10, 50 and 100 live delivery boards are open.

Serves the web app with waitress in this process (demo instance, one alert sent to the
demo channels), opens live boards (Server-Sent Events, ``/krise/live``) in steps and
counts the SQL statements the whole process runs per second at each step. One poller
per process feeds every board, so the figure must stay flat as boards are added.

    .venv/bin/python -m bench.board_live [--boards 0,10,50,100] [--seconds 5] [--port 0]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from typing import Any

import requests

from bench.common import temporary_home

CLI = [sys.executable, "-m", "workers.cli"]


def logged_in(base: str, user: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    data = {"username": user, "password": password}
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token:
        data["csrf_token"] = token.group(1)
    session.post(f"{base}/login", data=data, allow_redirects=False, timeout=10).raise_for_status()
    return session


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boards", default="0,10,50,100")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=0, help="web port (0: a free one)")
    args = parser.parse_args()
    steps = [int(n) for n in args.boards.split(",")]
    with temporary_home():
        subprocess.run([*CLI, "init", "--demo"], check=True, capture_output=True)
        token = subprocess.run([*CLI, "token", "krisenstab"], check=True, capture_output=True, text=True)
        return run(args, steps, token.stdout.strip())


def run(args: argparse.Namespace, steps: list[int], token: str) -> int:
    from sqlalchemy import event

    from content_calendar.accounts.auth import create_user
    from content_calendar.database import get_database
    from content_calendar.web import create_app
    from publisher.settings import load_settings
    from workers.supervisor import free_port
    from workers.web_server import web_server

    db = get_database(load_settings())
    with db.session() as session:
        create_user(session, "lagezentrum", ["crisis"], "bench-passwort-1")
    app = create_app({"SSE_MAX_STREAMS": max(steps) + 5, "SSE_KEEPALIVE_SECONDS": 1})
    port = args.port or free_port()
    server = web_server(app, "127.0.0.1", port, max(steps) + 16, connection_limit=2 * max(steps) + 50)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    alert = requests.post(
        f"{base}/api/v1/alerts",
        json={"template": "unwetter", "idempotency_key": "board-1", "variables": VARIABLES},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    alert.raise_for_status()
    alert_id = alert.json()["id"]
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    open_streams: list[requests.Response] = []
    print("| open boards | SQL statements per second (whole web process) |\n|---|---|")
    for target in steps:
        while len(open_streams) < target:
            session = logged_in(base, "lagezentrum", "bench-passwort-1")
            stream = session.get(f"{base}/krise/live?warnung={alert_id}", stream=True, timeout=10)
            if stream.status_code != 200:
                raise RuntimeError(f"board {len(open_streams) + 1}: HTTP {stream.status_code}")
            threading.Thread(target=drain, args=(stream,), daemon=True).start()
            open_streams.append(stream)
        time.sleep(1.0)  # the logins of this step are over
        before, started = statements[0], time.perf_counter()
        time.sleep(args.seconds)
        rate = (statements[0] - before) / (time.perf_counter() - started)
        print(f"| {target} | {rate:.1f} |", flush=True)
    for stream in open_streams:
        stream.close()
    print("reproduce: .venv/bin/python -m bench.board_live " + " ".join(sys.argv[1:]))
    return 0


VARIABLES = {"gebiet": "Nordstadt", "von": "10:00", "bis": "12:00"}


def drain(stream: requests.Response) -> None:
    """Read the board's events as a browser does (keep-alives included)."""
    try:
        for _ in stream.iter_content(chunk_size=None):
            pass
    except (requests.RequestException, OSError, AttributeError):
        return


if __name__ == "__main__":
    sys.exit(main())
