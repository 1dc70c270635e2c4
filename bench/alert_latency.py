"""Time from the alert API call to the fake Mastodon server receiving the status.

Runs the real embedded stack (`ernstfall up`: Redis, Celery workers, scheduler, web)
in a temporary instance folder, sends N alerts one after another through the API and
prints the distribution.

With ``--trace N`` it traces N alerts in-process from the request's commit to each
platform's answer (the worker's own ``process_many`` called at once, so without Celery's
hand-over), with monotonic marks per delivery (``publisher.outbox.trace``): claimed, send
thread started, lease registered, adapter built, answered, recorded; per channel type,
the first (cold) alert apart from the median of the rest.

With ``--profile N`` it instead profiles N alert requests in-process (cProfile, the Flask
test client, the eight bench platforms as channels; nothing is sent: the dispatcher only
collects the ids) and prints where the request's time goes.

    .venv/bin/python -m bench.alert_latency [--runs 20]
    .venv/bin/python -m bench.alert_latency --profile 30 [--top 25]
    .venv/bin/python -m bench.alert_latency --trace 20
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.fakes.mastodon import FakeMastodon
from workers.supervisor import free_port

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def demo_instance(platforms: Any) -> Iterator[str]:
    """A throw-away demo instance with the fake platforms as channels (no Redis: sends run
    in-process); yields the crisis staff's API token."""
    from bench.platforms import SECRETS

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "instance"
        home.mkdir()
        (home / "channels.toml").write_text(platforms.channels_toml())
        os.environ.pop("REDIS_URL", None)
        os.environ.pop("DATABASE_URL", None)
        os.environ.update(
            SECRETS, ERNSTFALL_HOME=str(home), ERNSTFALL_PUBLIC_URL="https://warnung.bench.example"
        )
        run = [sys.executable, "-m", "workers.cli"]
        subprocess.run([*run, "init", "--demo"], env=os.environ, check=True, capture_output=True)
        token = subprocess.run(
            [*run, "token", "krisenstab"], env=os.environ, check=True, capture_output=True, text=True
        ).stdout.strip()
        yield token


def profile_requests(count: int, top: int) -> None:
    """``count`` alert API requests in this process under cProfile; the sends are not made."""
    from bench.platforms import Platforms

    platforms = Platforms(0.0).start()
    with demo_instance(platforms) as token:
        from content_calendar.web import create_app

        app = create_app({"TESTING": True})
        collected: list[tuple[int, str]] = []
        app.extensions["ernstfall_dispatcher"].enqueue = collected.extend  # no sending here
        client = app.test_client()

        def post(index: int) -> float:
            started = time.perf_counter()
            response = client.post(
                "/api/v1/alerts",
                json={
                    "template": "unwetter",
                    "idempotency_key": f"profile-{index}",
                    "confirm_parallel": True,
                    "variables": {"gebiet": f"Bezirk {index}", "von": "10:00", "bis": "12:00"},
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code in (200, 201), response.get_data(as_text=True)[:500]
            return (time.perf_counter() - started) * 1000

        for index in range(3):  # warm-up: imports, statement caches, first adapter use
            post(-1 - index)
        profiler = cProfile.Profile()
        times = []
        for index in range(count):
            profiler.enable()
            times.append(post(index))
            profiler.disable()
    platforms.stop()
    times.sort()
    print(f"alert API request in-process, {count} requests under cProfile (ms)")
    print(f"  median {statistics.median(times):.1f}  min {times[0]:.1f}  max {times[-1]:.1f}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"reproduce: .venv/bin/python -m bench.alert_latency --profile {count} --top {top}")


STAGES = ("claimed", "thread started", "lease registered", "adapter built", "answered", "recorded")


def trace_sends(count: int) -> None:
    """``count`` alerts in-process: request, then the worker's ``process_many`` at once, traced."""
    from bench.platforms import Platforms

    platforms = Platforms(0.0).start()
    with demo_instance(platforms) as token:
        from content_calendar.database import get_database
        from content_calendar.web import create_app
        from publisher.models import Delivery
        from publisher.outbox import process_many
        from publisher.outbox.trace import recording
        from publisher.settings import load_settings

        settings = load_settings()
        db = get_database(settings)
        app = create_app({"TESTING": True})
        enqueued: list[tuple[int, str]] = []
        committed: list[float] = []

        def enqueue(items: Iterable[tuple[int, str]]) -> None:
            committed.append(time.monotonic())  # the dispatcher is called after the commit
            enqueued.extend(items)

        app.extensions["ernstfall_dispatcher"].enqueue = enqueue
        client = app.test_client()
        rows: list[dict[str, dict[str, float]]] = []
        for index in range(count):
            enqueued.clear()
            committed.clear()
            response = client.post(
                "/api/v1/alerts",
                json={
                    "template": "unwetter",
                    "idempotency_key": f"trace-{index}",
                    "confirm_parallel": True,
                    "variables": {"gebiet": f"Bezirk {index}", "von": "10:00", "bis": "12:00"},
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code in (200, 201), response.get_data(as_text=True)[:500]
            with recording() as marks:
                process_many(db, [i for i, _ in enqueued], settings)
            ids = [delivery_id for delivery_id, _ in enqueued]
            with db.session() as session:
                kinds = {d.id: d.channel.type for d in session.query(Delivery).filter(Delivery.id.in_(ids))}
            per: dict[str, dict[str, float]] = {}
            for delivery_id, stage, at in marks:
                per.setdefault(kinds[delivery_id], {})[stage] = (at - committed[0]) * 1000
            rows.append(per)
    platforms.stop()
    kinds_seen = sorted({kind for row in rows for kind in row})
    print(f"{count} alerts in-process, ms after the request's commit (first alert cold / median of the rest)")
    print("| channel | " + " | ".join(STAGES) + " |")
    print("|---|" + "---|" * len(STAGES))
    for kind in kinds_seen:
        cells = []
        for stage in STAGES:
            first = rows[0].get(kind, {}).get(stage)
            rest = [row[kind][stage] for row in rows[1:] if stage in row.get(kind, {})]
            warm = f"{statistics.median(rest):.1f}" if rest else "-"
            cells.append(f"{first:.1f} / {warm}" if first is not None else f"- / {warm}")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print(f"reproduce: .venv/bin/python -m bench.alert_latency --trace {count}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", type=int, default=0, help="profile N requests in-process instead")
    parser.add_argument("--top", type=int, default=40, help="functions shown by --profile")
    parser.add_argument("--trace", type=int, default=0, help="trace N alerts' sends in-process instead")
    args = parser.parse_args()
    if args.trace:
        trace_sends(args.trace)
        return 0
    if args.profile:
        profile_requests(args.profile, args.top)
        return 0
    fake = FakeMastodon(token="bench")
    fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "instance"
        home.mkdir()
        (home / "channels.toml").write_text(
            '[channels.banner]\ntype = "banner"\nlanes = ["crisis"]\n'
            f'[channels.mastodon]\ntype = "mastodon"\nbase_url = "{fake.url}"\n'
            'token_env = "BENCH_MASTODON_TOKEN"\n'
        )
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update(ERNSTFALL_HOME=str(home), BENCH_MASTODON_TOKEN="bench", PYTHONPATH=str(REPO))
        run = [sys.executable, "-m", "workers.cli"]
        subprocess.run([*run, "init", "--demo"], env=env, check=True, capture_output=True)
        token = subprocess.run(
            [*run, "token", "krisenstab"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        port = free_port()
        up = subprocess.Popen(
            [*run, "up", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{base}/login", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            time.sleep(2)  # let the workers send their first heartbeat
            latencies = []
            for index in range(args.runs):
                before = len(fake.posted())
                started = time.perf_counter()
                response = requests.post(
                    f"{base}/api/v1/alerts",
                    json={
                        "template": "unwetter",
                        "idempotency_key": f"bench-{index}",
                        "variables": {"gebiet": f"Bezirk {index}", "von": "10:00", "bis": "12:00"},
                    },
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                response.raise_for_status()
                while len(fake.posted()) == before:
                    time.sleep(0.001)
                latencies.append((time.perf_counter() - started) * 1000)
                inline = any(d["dispatched_inline"] for d in response.json()["deliveries"])
                if inline:
                    print("warning: delivered inline (workers not seen)", file=sys.stderr)
        finally:
            up.send_signal(signal.SIGTERM)
            up.wait(60)
            fake.stop()
    latencies.sort()
    print(f"alert API call -> fake Mastodon received, {args.runs} runs (ms)")
    print(
        f"  median {statistics.median(latencies):.1f}  p90 {latencies[int(0.9 * len(latencies)) - 1]:.1f}"
        f"  min {latencies[0]:.1f}  max {latencies[-1]:.1f}"
    )
    print(f"reproduce: .venv/bin/python -m bench.alert_latency --runs {args.runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
