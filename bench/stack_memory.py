"""Memory of the whole embedded stack: PSS of every process of ``ernstfall up``, idle, over
many alerts, and at the peak of an alert to 100,000 SMS subscribers.

What runs: the real ``ernstfall up`` (Redis, the Celery workers, the scheduler, the web app,
the supervisor) in a temporary instance, with the eight bench platforms on 127.0.0.1
(bench/platforms.py) and, instead of their seven.io SMS channel, a GatewayAPI-shaped batch
gateway in a process of its own (bench/sms_scale.py's fake, 500 numbers per request).

1. idle: the stack started and settled (``--settle`` seconds), no alert yet;
2. growth: ``--alerts`` alerts (template ``unwetter``) one after another, each until all
   seven social/web platforms received it; PSS every ``--every`` alerts;
3. peak: ``--subscribers`` active SMS subscribers are added, one more alert goes to them
   all; PSS is sampled every 0.25 s until the gateway has accepted every number; the
   largest total is the peak (with its per-process split);
4. after: the stack settled again.

PSS (proportional set size, /proc/PID/smaps_rollup) counts a page shared by n processes
as 1/n in each, so the per-process figures add up to what the stack really costs.

    .venv/bin/python -m bench.stack_memory [--subscribers 100000] [--alerts 1000] [--every 200]
        [--settle 10] [--port 0] [--redis-port 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.common import wait_http
from bench.platforms import PLATFORMS, SECRETS, Platforms
from bench.sms_scale import TOKEN, Gateway, start_gateway
from workers.supervisor import free_port

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "workers.cli"]
SOCIAL = tuple(p for p in PLATFORMS if p != "sms")  # SMS goes to the batch gateway here
ORDER = (
    "supervisor",
    "web",
    "crisis worker",
    "community worker",
    "health worker",
    "scheduler",
    "redis",
    "other",
)


# -- PSS per process ------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    return found


def role(pid: int, root: int) -> str:
    """Which part of the stack a process is, from its command line."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "other"
    words = [a.decode(errors="replace") for a in argv]
    if pid == root:
        return "supervisor"
    if words and "redis-server" in words[0]:
        return "redis"
    if "-Q" in words:
        return f"{words[words.index('-Q') + 1]} worker"
    for name in ("scheduler", "web"):
        if name in words:
            return name
    return "other"


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def snapshot(root: int) -> dict[str, float]:
    """PSS in MB per part of the stack (a part with several processes is summed)."""
    parts: dict[str, float] = {}
    for pid in descendants(root):
        name = role(pid, root)
        parts[name] = parts.get(name, 0.0) + pss_kb(pid) / 1024
    return parts


def total(parts: dict[str, float]) -> float:
    return sum(parts.values())


class Sampler(threading.Thread):
    """Snapshots every ``interval`` seconds; keeps the one with the largest total."""

    def __init__(self, root: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak: dict[str, float] = {}
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            parts = snapshot(self.root)
            self.samples += 1
            if total(parts) > total(self.peak):
                self.peak = parts
            self.stop.wait(self.interval)


# -- the stack ------------------------------------------------------------------------------


@dataclass
class Stack:
    env: dict[str, str]
    base: str
    token: str
    process: subprocess.Popen[bytes]


def channels_toml(platforms: Platforms, gateway: Gateway) -> str:
    social = platforms.channels_toml().split("\n[channels.sms]")[0]
    return social + (
        f'\n[channels.sms]\nrate_limit = "100000/1m"\ntype = "sms"\nprovider = "gatewayapi"\n'
        f'base_url = "{gateway.url}"\napi_token_env = "BENCH_GW_TOKEN"\nlanes = ["crisis"]\n'
        "concurrency = 4\nbatch_size = 500\n"
    )


@contextmanager
def running_stack(platforms: Platforms, gateway: Gateway, args: argparse.Namespace) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "instance"
        home.mkdir()
        (home / "channels.toml").write_text(channels_toml(platforms, gateway))
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update(SECRETS)
        env.update(
            BENCH_GW_TOKEN=TOKEN,
            ERNSTFALL_HOME=str(home),
            PYTHONPATH=str(REPO),
            ERNSTFALL_PUBLIC_URL="https://warnung.bench.example",
        )
        if args.redis_port:
            env["ERNSTFALL_REDIS_PORT"] = str(args.redis_port)
        subprocess.run([*CLI, "init", "--demo"], env=env, check=True, capture_output=True)
        token = subprocess.run(
            [*CLI, "token", "krisenstab"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        port = args.port or free_port()
        log = home / "up.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*CLI, "up", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            wait_http(f"http://127.0.0.1:{port}/login", timeout=120.0)
            yield Stack(env, f"http://127.0.0.1:{port}", token, process)
        except BaseException:
            print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
            raise
        finally:
            process.terminate()
            process.wait(60)


def add_subscribers(stack: Stack, count: int) -> None:
    """``count`` active subscribers, written straight into the instance's database."""
    os.environ.update(stack.env)
    from sqlalchemy import insert

    from content_calendar.database import get_database
    from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
    from publisher.settings import load_settings

    rows = [
        {"phone": f"+49151{i:08d}", "language": "de", "area": "", "status": SubscriberStatus.ACTIVE}
        for i in range(1, count + 1)
    ]
    with get_database(load_settings()).session() as session:
        session.execute(insert(SmsSubscriber), rows)


class Alerts:
    def __init__(self, stack: Stack, platforms: Platforms) -> None:
        self.stack = stack
        self.platforms = platforms
        self.http = requests.Session()
        self.count = 0

    def send(self, wait: bool = True) -> None:
        self.count += 1
        before = self.platforms.counts()
        response = self.http.post(
            f"{self.stack.base}/api/v1/alerts",
            json={
                "template": "unwetter",
                "idempotency_key": f"mem-{self.count}-{time.time_ns()}",
                "confirm_parallel": True,
                "variables": {"gebiet": f"Bezirk {self.count}", "von": "10:00", "bis": "12:00"},
            },
            headers={"Authorization": f"Bearer {self.stack.token}"},
            timeout=120,
        )
        response.raise_for_status()
        if wait:
            self.platforms.wait_all(before, SOCIAL, timeout=60)


# -- report ---------------------------------------------------------------------------------


def row(label: str, parts: dict[str, float]) -> str:
    cells = [f"{parts[name]:.0f}" if name in parts else "–" for name in ORDER]
    return f"| {label} | " + " | ".join(cells) + f" | **{total(parts):.0f}** |"


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=1000, help="alerts of the growth phase")
    parser.add_argument("--every", type=int, default=200, help="a snapshot every so many alerts")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to settle before idle/after")
    parser.add_argument("--port", type=int, default=0, help="web port (0: a free one)")
    parser.add_argument("--redis-port", type=int, default=0, help="embedded Redis port (0: a free one)")
    args = parser.parse_args()
    print(f"load average at the start: {load()}", flush=True)
    platforms = Platforms(0.0).start()
    gateway = start_gateway("batch", 0, 0.0)
    lines = [
        "| moment | " + " | ".join(ORDER) + " | total MB |",
        "|---" * (len(ORDER) + 2) + "|",
    ]
    try:
        with running_stack(platforms, gateway, args) as stack:
            time.sleep(args.settle)
            lines.append(row("idle (started, no alert yet)", snapshot(stack.process.pid)))
            alerts = Alerts(stack, platforms)
            started = time.perf_counter()
            for index in range(1, args.alerts + 1):
                alerts.send()
                if index % args.every == 0 or index == args.alerts:
                    lines.append(row(f"after {index} alerts", snapshot(stack.process.pid)))
                    print(lines[-1], flush=True)
            if args.alerts:
                print(f"{args.alerts} alerts in {time.perf_counter() - started:.0f} s", flush=True)
            add_subscribers(stack, args.subscribers)
            sampler = Sampler(stack.process.pid)
            sampler.start()
            accepted_before = gateway.stats()["accepted"]
            started = time.perf_counter()
            alerts.send(wait=False)
            deadline = time.monotonic() + 900
            while gateway.stats()["accepted"] - accepted_before < args.subscribers:
                if time.monotonic() > deadline:
                    print("the gateway did not accept every number within 900 s", file=sys.stderr)
                    break
                time.sleep(0.5)
            took = time.perf_counter() - started
            time.sleep(2)  # the outcome recorded after the last batch
            sampler.stop.set()
            sampler.join()
            lines.append(row(f"peak, alert to {args.subscribers:,} SMS subscribers", sampler.peak))
            time.sleep(args.settle)
            lines.append(row("after, settled", snapshot(stack.process.pid)))
            stats = gateway.stats()
    finally:
        platforms.stop()
        gateway.stop()
    print("\n".join(lines))
    print(
        f"\nSMS alert: {args.subscribers:,} numbers accepted in {took:.1f} s, duplicates "
        f"{stats.get('duplicates', 0)}; {sampler.samples} samples (every 0.25 s)"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average at the end: {load()}"
    )
    print("reproduce: .venv/bin/python -m bench.stack_memory " + shlex.join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
