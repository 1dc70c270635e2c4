"""Does the web process grow with every alert (a leak) or only while it warms up?

Runs the web app in this process (the same code the web child of ``ernstfall up`` runs,
behind Flask's test client instead of the WSGI server), with the eight bench channels
and a real Redis (so alerts are handed to the queue, not sent inline), sends ``--alerts``
alerts through ``POST /api/v1/alerts`` and prints the resident memory every ``--every``
alerts, plus what tracemalloc saw grow between the end of the warm-up and the end.

    .venv/bin/python -m bench.web_memory [--alerts 300] [--every 30] [--redis-port 0]
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.platforms import SECRETS, Platforms
from workers.supervisor import free_port, redis_server_binary

CLI = [sys.executable, "-m", "workers.cli"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--every", type=int, default=30)
    parser.add_argument("--warm-up", type=int, default=60, help="alerts before the first snapshot")
    parser.add_argument("--redis-port", type=int, default=0)
    parser.add_argument("--trace", action="store_true", help="tracemalloc (slow, and costs memory itself)")
    args = parser.parse_args()
    platforms = Platforms(0.0).start()
    port = args.redis_port or free_port()
    with tempfile.TemporaryDirectory() as tmp:
        redis = subprocess.Popen(
            [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp],
            stdout=subprocess.DEVNULL,
        )
        try:
            return run(args, platforms, Path(tmp), f"redis://127.0.0.1:{port}/0")
        finally:
            redis.terminate()
            redis.wait(10)
            platforms.stop()


def run(args: argparse.Namespace, platforms: Platforms, tmp: Path, redis_url: str) -> int:
    home = tmp / "instance"
    home.mkdir()
    (home / "channels.toml").write_text(platforms.channels_toml())
    os.environ.update(SECRETS)
    os.environ.update(
        ERNSTFALL_HOME=str(home), ERNSTFALL_PUBLIC_URL="https://warnung.bench.example", REDIS_URL=redis_url
    )
    os.environ.pop("DATABASE_URL", None)
    subprocess.run([*CLI, "init", "--demo"], check=True, capture_output=True)
    token = subprocess.run([*CLI, "token", "krisenstab"], check=True, capture_output=True, text=True).stdout
    import redis as redis_lib

    from content_calendar.web import create_app
    from publisher.outbox.dispatch import HEARTBEAT_KEY

    beat = redis_lib.Redis.from_url(redis_url)
    client = create_app({}).test_client()
    headers = {"Authorization": f"Bearer {token.strip()}"}

    def alert(index: int) -> None:
        beat.set(HEARTBEAT_KEY.format(lane="crisis"), "1", ex=60)  # as a crisis worker does
        body = {
            "template": "unwetter",
            "idempotency_key": f"mem-{index}",
            "confirm_parallel": True,
            "variables": {"gebiet": f"Bezirk {index}", "von": "10:00", "bis": "12:00"},
        }
        response = client.post("/api/v1/alerts", json=body, headers=headers)
        assert response.status_code in (200, 201), response.get_data(as_text=True)[:500]

    print(f"| alerts | RSS MB | Python heap (tracemalloc) MB |\n|---|---|---|\n| 0 | {rss_mb():.0f} | - |")
    if args.trace:
        tracemalloc.start(10)
    started = time.perf_counter()
    first = None
    for index in range(1, args.alerts + 1):
        alert(index)
        if index == args.warm_up and args.trace:
            gc.collect()
            first = tracemalloc.take_snapshot()
        if index % args.every == 0:
            gc.collect()
            traced = f"{tracemalloc.get_traced_memory()[0] / 1024 / 1024:.1f}" if args.trace else "-"
            print(f"| {index} | {rss_mb():.0f} | {traced} |", flush=True)
    elapsed = time.perf_counter() - started
    print(f"\n{args.alerts} alerts in {elapsed:.1f} s")
    if first is not None:
        gc.collect()
        last = tracemalloc.take_snapshot()
        print(f"growth after alert {args.warm_up}, by line:")
        for stat in last.compare_to(first, "lineno")[:8]:
            print(f"  {stat.size_diff / 1024:+.1f} KiB  {stat.count_diff:+d} blocks  {stat.traceback[0]}")
    print("reproduce: .venv/bin/python -m bench.web_memory " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
