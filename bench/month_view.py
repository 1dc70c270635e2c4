"""Month view render time with N posts in the database (default 2,000).

Builds a temporary instance (SQLite, migrated), three preview channels and N posts
spread over six months around today, serves the app with waitress on a free port,
logs in as an editor and requests the month view repeatedly over real HTTP.

    .venv/bin/python -m bench.month_view [--posts 2000] [--runs 100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta

from bench.common import percentile, serve_and_log_in, temporary_home


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    with temporary_home():
        from content_calendar.accounts.auth import create_user
        from content_calendar.calendar.post_model import Post, PostState
        from content_calendar.database import get_database, migrate
        from content_calendar.web import create_app
        from publisher.channel_config import parse_channels, sync_channels
        from publisher.db import utcnow
        from publisher.settings import load_settings

        settings = load_settings()
        migrate(settings)
        db = get_database(settings)
        toml = "".join(f'[channels.{n}]\ntype = "preview"\nlanes = ["community"]\n' for n in ("a", "b", "c"))
        states = [PostState.APPROVED, PostState.REVIEW, PostState.DRAFT, PostState.PUBLISHED, PostState.HELD]
        rng = random.Random(4)
        with db.session() as session:
            ids = [c.id for c in sync_channels(session, parse_channels(toml))]
            create_user(session, "redaktion", ["editor"], "bench-passwort-1")
            now = utcnow()
            session.add_all(
                Post(
                    text=f"Beitrag {i} " + "x" * 200,
                    title=f"Beitrag {i}",
                    publish_at=now + timedelta(minutes=rng.randint(-90 * 24 * 60, 90 * 24 * 60)),
                    channel_ids=rng.sample(ids, rng.randint(1, 3)),
                    state=rng.choice(states),
                    theme="Kultur und Tourismus",
                )
                for i in range(args.posts)
            )
        base, http = serve_and_log_in(create_app(), "redaktion", "bench-passwort-1")
        url = f"{base}/kalender/monat"
        first = http.get(url, timeout=10)
        shown = first.text.count('class="entry')
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = http.get(url, timeout=10)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        # The server thread is a daemon and ends with the process; closing waitress from
        # another thread while it polls only produces a "Bad file descriptor" traceback.
    print(
        f"{args.posts} Beiträge in der Datenbank, {shown} im angezeigten Monat, {args.runs} Abrufe über HTTP"
    )
    print(
        f"Monatsansicht (ms): p50 {statistics.median(timings):.1f}  p95 {percentile(timings, 95):.1f}  "
        f"max {max(timings):.1f}"
    )
    print("Reproduzieren: .venv/bin/python -m bench.month_view " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
