"""Inbox list with 10,000 entries: the page and the API, listed and filtered, p95 against 100 ms.

Builds a temporary instance (SQLite, migrated) with the six inbox platforms as channels (no
network: listing never calls a platform) and N inbox entries (default 10,000): several
platforms, every state, ages up to 90 days, 2,000 authors, some about the same rumours. Serves
the app with waitress on a free port and requests, over real HTTP, the inbox page (open, all,
one platform, answered; every shown row marked overdue or not against the reply hours) and
``GET /api/v1/inbox`` (by state, platform, text search, state and text, 100 per page; each
entry with its ``overdue`` flag).

    .venv/bin/python -m bench.inbox_list [--items 10000] [--runs 50]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import sys
import time
from datetime import timedelta
from typing import Any

from bench.common import percentile, serve_and_log_in, temporary_home

GOAL_MS = 100.0
PLATFORMS = ("mastodon", "x", "facebook", "instagram", "bluesky", "telegram")
WORDS = (
    "Wann kommt der Sperrmüll?",
    "Ist das Trinkwasser sicher?",
    "Der Damm ist gebrochen, stimmt das?",
    "Danke für die Info!",
    "Wo ist der nächste Leuchtturm?",
    "Stromausfall in der Nordstadt seit 10 Uhr",
    "Wer ist zuständig für Schlaglöcher? Tel. 06221 123456",
)
PAGE_QUERIES = ("status=open", "status=all", "kanal=bluesky", "status=answered")
API_QUERIES = (
    "state=open",
    "channel=x&limit=100",
    "q=trinkwasser",
    "state=new&q=damm",
    "limit=100&offset=5000",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fill(db: Any, count: int) -> None:
    """``count`` entries over the six platforms, every state, up to 90 days old."""
    from content_calendar.dialog.models import InboxItem
    from publisher.channel_config import parse_channels, sync_channels
    from publisher.db import utcnow
    from publisher.vocabulary import InboxState

    toml = "".join(f'[channels.{p}]\ntype = "{p}"\nbase_url = "http://127.0.0.1:9"\n' for p in PLATFORMS)
    rng = random.Random(14)
    states = [InboxState.NEW] * 3 + [InboxState.ASSIGNED, InboxState.ANSWERED, InboxState.CLOSED] * 2
    with db.session() as session:
        channels = sync_channels(session, parse_channels(toml))
        now = utcnow()
        session.add_all(
            InboxItem(
                channel_id=(channel := rng.choice(channels)).id,
                platform=channel.type,
                kind="mention",
                remote_id=f"r{i}",
                text=f"{rng.choice(WORDS)} ({i})",
                author_id=f"a{(author := rng.randrange(2000))}",
                author_handle=f"@buerger{author}",
                author_name=f"Bürger {author}",
                reply_ref={"in_reply_to": f"r{i}"},
                received_at=now - timedelta(minutes=rng.randint(0, 90 * 24 * 60)),
                fetched_at=now,
                state=rng.choice(states),
            )
            for i in range(count)
        )


def measure(
    http: Any, url: str, runs: int, headers: dict[str, str] | None = None
) -> tuple[list[float], list[float]]:
    """Wall time and CPU time (this process: server and client together) per request, in ms.

    The CPU time does not grow with the machine's load the way wall time does, so a run on a
    busy machine still says what one request costs.
    """
    first = http.get(url, headers=headers, timeout=30)
    assert first.status_code == 200, (url, first.status_code, first.text[:300])
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = http.get(url, headers=headers, timeout=30)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    results: list[tuple[str, list[float], list[float]]] = []
    with temporary_home():
        import requests

        from content_calendar.accounts.auth import create_user, mint_token
        from content_calendar.database import get_database, migrate
        from content_calendar.web import create_app
        from publisher.settings import load_settings

        settings = load_settings()
        migrate(settings)
        db = get_database(settings)
        started = time.perf_counter()
        fill(db, args.items)
        filled = time.perf_counter() - started
        with db.session() as session:
            user = create_user(session, "redaktion", ["editor"], "bench-passwort-1")
            session.flush()
            token = mint_token(session, user, "bench")
        base, http = serve_and_log_in(create_app(), "redaktion", "bench-passwort-1")
        for query in PAGE_QUERIES:
            results.append((f"Seite /dialog/?{query}", *measure(http, f"{base}/dialog/?{query}", args.runs)))
        api = requests.Session()
        bearer = {"Authorization": f"Bearer {token}"}
        for query in API_QUERIES:
            wall, cpu = measure(api, f"{base}/api/v1/inbox?{query}", args.runs, bearer)
            results.append((f"API /api/v1/inbox?{query}", wall, cpu))
        # The waitress thread is a daemon and ends with the process (see bench.month_view).
    load = os.getloadavg()
    print(
        f"{args.items} Einträge im Posteingang ({filled:.1f} s angelegt), "
        f"{args.runs} Abrufe je Anfrage über HTTP"
    )
    print(f"{os.cpu_count()} Kerne, Load average beim Ende {load[0]:.1f}")
    print(f"{'Anfrage':<44} {'p50':>7} {'p95':>7} {'max':>7} {'CPU p50':>8} {'CPU p95':>8}  (ms)")
    worst = worst_cpu = 0.0
    for label, wall, cpu in results:
        worst, worst_cpu = max(worst, percentile(wall, 95)), max(worst_cpu, percentile(cpu, 95))
        print(
            f"{label:<44} {statistics.median(wall):7.1f} {percentile(wall, 95):7.1f} {max(wall):7.1f} "
            f"{statistics.median(cpu):8.1f} {percentile(cpu, 95):8.1f}"
        )
    for name, value in (("Wanduhr", worst), ("CPU-Zeit", worst_cpu)):
        verdict = "erreicht" if value < GOAL_MS else "VERFEHLT"
        print(f"Ziel p95 < {GOAL_MS:.0f} ms ({name}): {verdict} (schlechtestes p95 {value:.1f} ms)")
    print("Reproduzieren: .venv/bin/python -m bench.inbox_list " + " ".join(sys.argv[1:]))
    return 0 if worst < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
