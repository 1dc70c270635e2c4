"""Alert fan-out: the alert API call until the last of eight fake platforms received the post.

Runs the real embedded stack (`ernstfall up`: Redis, Celery crisis and community workers,
the scheduler, the web app) in a temporary instance, with eight fake platforms on
127.0.0.1 (Mastodon, X, Facebook, Instagram, Bluesky, Telegram, a webhook, SMS via
seven.io; see bench/platforms.py). Each round, interleaved so that all three see the
same machine noise:

* Ernstfall: ``POST /api/v1/alerts`` (template ``unwetter``), time until every platform
  received its posting request;
* the limit: a plain client sends the same posting requests straight to the fakes, one
  thread and keep-alive session per platform;
* Apprise (if installed) on the three channels it can aim at loopback.

First with platforms that answer at once, then after ``--delay`` (200 ms). Then
``--backlog`` community posts (5,000) are released to a community webhook fake (in a
process of its own, at nice 19: a real platform is elsewhere and takes none of this
machine's processor time) and the crisis rounds repeat while they drain: they begin when
the first post arrives and are counted only while posts are still arriving. The memory of
the whole stack (PSS of every process of ``ernstfall up``, /proc/*/smaps_rollup) is
sampled all along.

    .venv/bin/python -m bench.fanout [--rounds 30] [--delay 0.2] [--backlog 5000]
        [--port 0] [--fake-ports 0] [--redis-port 0] [--community-fake-nice 19] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from bench.common import wait_http
from bench.platforms import APPRISE_PLATFORMS, PLATFORMS, SECRETS, LimitClient, Platforms, apprise_sender
from tests.fakes.http import Recorded
from tests.fakes.webhook_receiver import FakeReceiver
from workers.supervisor import free_port

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "workers.cli"]
VARIABLES = {"von": "10:00", "bis": "12:00"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class Series:
    """Latencies (ms) of one kind of round."""

    name: str
    values: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        if not self.values:
            return {}
        return {
            "n": len(self.values),
            "p50": statistics.median(self.values),
            "p99": percentile(self.values, 99),
            "max": max(self.values),
        }


# -- the stack -------------------------------------------------------------------------


@dataclass
class Stack:
    home: Path
    env: dict[str, str]
    base: str
    token: str
    process: subprocess.Popen[bytes]

    def redis_url(self) -> str:
        return (self.home / "run" / "redis.url").read_text().strip()


@contextmanager
def running_stack(
    platforms: Platforms, community: CommunityPlatform, args: argparse.Namespace
) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "instance"
        home.mkdir()
        community_toml = (
            f'\n[channels.gemeinde-app]\ntype = "webhook"\nbase_url = "{community.url}/hook"\n'
            'secret_env = "BENCH_HOOK_SECRET"\nlanes = ["community"]\n'
        )
        (home / "channels.toml").write_text(platforms.channels_toml() + community_toml)
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update(SECRETS)
        env.update(
            ERNSTFALL_HOME=str(home),
            PYTHONPATH=str(REPO),
            ERNSTFALL_PUBLIC_URL="https://warnung.bench.example",
            # The alerts of the rounds would otherwise put the city in crisis mode and hold
            # the backlog instead of draining it beside them (what is measured here). Not ""
            # (an empty variable counts as unset, so crisis mode stayed on and the 5,000 posts
            # were held, not sent): "allclear" pauses nothing, an all-clear is never active.
            ERNSTFALL_CRISIS_PAUSE_LEVELS="allclear",
        )
        if args.redis_port:
            env["ERNSTFALL_REDIS_PORT"] = str(args.redis_port)
        subprocess.run([*CLI, "init", "--demo"], env=env, check=True, capture_output=True)
        token = subprocess.run(
            [*CLI, "token", "krisenstab"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        port = args.port or free_port()
        process = subprocess.Popen(
            [*CLI, "up", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        stack = Stack(home, env, f"http://127.0.0.1:{port}", token, process)
        try:
            wait_http(f"{stack.base}/login")
            time.sleep(3)  # the workers' first heartbeat
            yield stack
        finally:
            process.terminate()
            process.wait(60)


# -- memory ---------------------------------------------------------------------------------


def tree(pid: int) -> list[int]:
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


def pss_mb(pid: int) -> float:
    total = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def role_of(pid: int) -> str:
    """A short name for a process of the stack (which worker, the scheduler, web, Redis …)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "gone"
    text = " ".join(argv)
    for queue in ("crisis", "community"):
        if "celery" in text and f"-Q {queue}" in text:
            return f"{queue} worker"
    for word in ("scheduler", "redis-server", " web ", " up "):
        if word in text:
            return {"redis-server": "redis", " web ": "web", " up ": "supervisor"}.get(word, word)
    return Path(argv[0]).name or "?"


def cpu_seconds(pids: list[int]) -> dict[str, float]:
    """User + system processor seconds so far, summed by role (threads included)."""
    ticks = os.sysconf("SC_CLK_TCK")
    by_role: dict[str, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        role = role_of(pid)
        by_role[role] = by_role.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return by_role


class CpuMeter:
    """Processor seconds each process of the stack (and the platform fakes) used in a phase."""

    def __init__(self, stack_pid: int, community_pid: int | None) -> None:
        self.stack_pid = stack_pid
        self.community_pid = community_pid

    def snapshot(self) -> dict[str, float]:
        taken = cpu_seconds(tree(self.stack_pid))
        if self.community_pid:
            taken["community platform fake"] = sum(cpu_seconds([self.community_pid]).values())
        taken["bench + crisis platform fakes"] = sum(os.times()[:2])  # this process
        return taken

    @staticmethod
    def used(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
        parts = [
            f"{role} {(after[role] - before.get(role, 0.0)) / seconds * 100:.0f} %"
            for role in sorted(after)
            if after[role] - before.get(role, 0.0) >= 0.005 * seconds
        ]
        return ", ".join(parts) + f" of one core over {seconds:.1f} s"


class WriterLockWatch(threading.Thread):
    """Which process holds the SQLite writer lock (``publisher/sqlite_writer.py``), sampled
    from ``/proc/locks`` every 5 ms: the share of samples per process role, and idle."""

    def __init__(self, lock_file: Path) -> None:
        super().__init__(daemon=True)
        self.inode = f":{lock_file.stat().st_ino} "
        self.samples: dict[str, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        roles: dict[int, str] = {}
        while not self.stop.is_set():
            holder = "nobody"
            for line in Path("/proc/locks").read_text().splitlines():
                fields = line.split()
                if self.inode in line + " " and fields[1] != "->" and fields[3] == "WRITE":
                    pid = int(fields[4])
                    holder = roles.setdefault(pid, role_of(pid))
            self.samples[holder] = self.samples.get(holder, 0) + 1
            self.stop.wait(0.005)

    def shares(self) -> str:
        total = sum(self.samples.values()) or 1
        ordered = sorted(self.samples.items(), key=lambda item: -item[1])
        return ", ".join(f"{role} {count / total * 100:.1f} %" for role, count in ordered)


class MemorySampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(pss_mb(self.pid))
            self.stop.wait(0.5)


# -- rounds ---------------------------------------------------------------------------------


class Rounds:
    def __init__(self, stack: Stack, platforms: Platforms) -> None:
        self.stack = stack
        self.p = platforms
        self.limit = LimitClient(platforms)
        self.limit.login()
        self.apprise = apprise_sender(platforms)
        self.http = requests.Session()
        self.count = 0

    def alert(self) -> tuple[float, float]:
        """One alert through the API: (ms until the last platform received it, ms of the API call)."""
        self.count += 1
        before = self.p.counts()
        started = time.perf_counter()
        response = self.http.post(
            f"{self.stack.base}/api/v1/alerts",
            json={
                "template": "unwetter",
                "idempotency_key": f"bench-{self.count}-{time.time_ns()}",
                "confirm_parallel": True,  # one alert after another from the same template
                "variables": {"gebiet": f"Bezirk {self.count}", **VARIABLES},
            },
            headers={"Authorization": f"Bearer {self.stack.token}"},
            timeout=60,
        )
        answered = time.perf_counter()
        response.raise_for_status()
        if any(d.get("dispatched_inline") for d in response.json().get("deliveries", [])):
            print("warning: sent inline (no crisis worker seen)", file=sys.stderr)
        last = self.p.wait_all(before, PLATFORMS)
        return (last - started) * 1000, (answered - started) * 1000

    def plain(self, send: Callable[[str], None], names: tuple[str, ...]) -> float:
        self.count += 1
        before = self.p.counts()
        started = time.perf_counter()
        send(f"Unwetterwarnung Bezirk {self.count}")
        return (self.p.wait_all(before, names) - started) * 1000

    def settle(self) -> None:
        """Let the previous round's trailing requests (permalink lookups, logs) finish."""
        time.sleep(0.3 + 2 * self.p.delay)


def run_rounds(
    rounds: Rounds,
    count: int,
    label: str,
    results: dict[str, Series],
    *,
    limit: bool = True,
    still: Callable[[], bool] | None = None,
) -> int:
    """``count`` rounds (fewer if ``still`` turns False before one begins); returns how many ran."""
    ours, api = Series(f"ernstfall {label}"), Series(f"api call {label}")
    plain, appr = Series(f"limit {label}"), Series(f"apprise {label}")
    for _ in range(count):
        if still is not None and not still():
            break
        latency, call = rounds.alert()
        ours.values.append(latency)
        api.values.append(call)
        rounds.settle()
        if limit:
            plain.values.append(rounds.plain(rounds.limit.send_all, PLATFORMS))
            rounds.settle()
            if rounds.apprise is not None:
                appr.values.append(rounds.plain(rounds.apprise, APPRISE_PLATFORMS))
                rounds.settle()
    for series in (ours, api, plain, appr):
        if series.values:
            results[series.name] = series
    return len(ours.values)


# -- the community backlog ------------------------------------------------------------------


class CommunityPlatform:
    """The community webhook's receiver in a process of its own, as a real platform is elsewhere.

    In the measuring process its work (5,000 signed posts) would share one interpreter with
    the eight crisis fakes, whose arrival stamps are what is measured: the drain would slow
    the measurement itself. ``received()`` counts the posts it accepted.
    """

    def __init__(self, secret: str, niceness: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._received = context.Value("i", 0)
        self._address = context.Queue()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve_community,
            args=(secret, self._received, self._address, self._stop, niceness),
            daemon=True,
        )
        self.url = ""

    def start(self) -> None:
        self._process.start()
        self.url = str(self._address.get(timeout=60))

    def stop(self) -> None:
        self._stop.set()
        self._process.join(30)

    def received(self) -> int:
        return int(self._received.value)

    @property
    def pid(self) -> int | None:
        return self._process.pid


def _serve_community(secret: str, received: Any, address: Any, stop: Any, niceness: int) -> None:
    class Counting(FakeReceiver):
        def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
            answer = super().handle(request)
            if request.method == "POST" and answer[0] == 200:
                with received.get_lock():
                    received.value += 1
            return answer

    # A real platform is elsewhere: its work does not take this machine's processor from the
    # alert path. On two cores a fake at the same priority as Ernstfall's alert path took
    # it (the drain phase alone has this extra process); at nice 19 it takes what is left.
    os.nice(niceness)
    server = Counting(secret=secret)
    server.start()
    address.put(server.url)
    stop.wait()
    server.stop()


def drain_cycle(
    rounds: Rounds,
    stack: Stack,
    community: CommunityPlatform,
    args: argparse.Namespace,
    cycle: int,
    results: dict[str, Series],
    figures: dict[str, float],
    notes: list[str],
) -> None:
    """Quiet rounds at the drain rounds' pace, then a backlog and rounds while it drains.

    The drain rounds run alone (no limit or Apprise rounds between them), so the quiet
    reference of the same cycle does too; it is measured just before, on the same machine
    minutes later than the first phases. The cycle ends when the whole backlog arrived.
    """
    tag = f" (cycle {cycle})" if args.cycles > 1 else ""
    meter = CpuMeter(stack.process.pid, community.pid)
    began, taken = time.monotonic(), meter.snapshot()
    run_rounds(rounds, args.rounds, f"0 ms, quiet, drain pace{tag}", results, limit=False)
    used = meter.used(taken, meter.snapshot(), time.monotonic() - began)
    notes.append(f"processor, quiet rounds{tag}: {used}")
    before = community.received()
    target = before + args.backlog
    release_backlog(stack, args.backlog, community, before)
    began, taken = time.monotonic(), meter.snapshot()
    watch = WriterLockWatch(stack.home / "ernstfall.db-writer.lock") if args.writer_lock else None
    if watch is not None:
        watch.start()
    measured = run_rounds(
        rounds,
        args.rounds,
        f"0 ms, {args.backlog} posts draining{tag}",
        results,
        limit=False,
        still=lambda: community.received() < target,
    )
    used = meter.used(taken, meter.snapshot(), time.monotonic() - began)
    notes.append(f"processor, drain rounds{tag}: {used}")
    if watch is not None:
        watch.stop.set()
        watch.join()
        notes.append(f"SQLite writer lock held, drain rounds{tag}: {watch.shares()}")
    figures[f"community posts received during the drain rounds{tag}"] = community.received() - before
    left = target - community.received()
    figures[f"community posts not yet received after the last drain round{tag}"] = left
    if measured < args.rounds:
        print(
            f"warning: the backlog was sent after {measured} of {args.rounds} drain rounds; "
            "a larger --backlog measures them all",
            file=sys.stderr,
        )
    deadline = time.monotonic() + 600
    while community.received() < target:  # the next cycle begins without a backlog
        if time.monotonic() > deadline:
            raise TimeoutError(f"{target - community.received()} posts of the backlog never arrived")
        time.sleep(0.2)


def release_backlog(stack: Stack, posts: int, community: CommunityPlatform, before: int) -> None:
    """``posts`` approved posts due now on the community webhook; returns once the first arrives
    (``community.received()`` passes ``before``).

    The rounds of the drain phase begin then, while the scheduler still releases the rest
    and the community worker sends them (each round is counted only while posts are still
    on their way: see ``still`` in :func:`run_rounds`).
    """
    os.environ.update(stack.env)
    from sqlalchemy import func, select

    from content_calendar.calendar.post_model import Post, PostState
    from content_calendar.database import get_database
    from publisher.db import utcnow
    from publisher.models import Channel
    from publisher.settings import load_settings

    db = get_database(load_settings())
    with db.session() as session:
        channel = session.scalars(select(Channel.id).where(Channel.name == "gemeinde-app")).one()
        due = utcnow() - timedelta(seconds=1)
        session.add_all(
            Post(text=f"Beitrag {i}", publish_at=due, channel_ids=[channel], state=PostState.APPROVED)
            for i in range(posts)
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with db.session() as session:
            counts = dict(
                session.execute(
                    select(Post.state, func.count(Post.id))
                    # Only the backlog: the demo data has approved posts due days from now.
                    .where(Post.state.in_([PostState.APPROVED, PostState.HELD]), Post.publish_at <= due)
                    .group_by(Post.state)
                ).all()
            )
        if counts.get(PostState.HELD):
            raise TimeoutError(f"{counts[PostState.HELD]} posts held (crisis mode?), not released")
        if community.received() > before:
            return
        time.sleep(0.05)
    raise TimeoutError("no community post arrived within 120 s")


class QueueWatch(threading.Thread):
    """The largest community queue length seen (Redis LLEN), sampled every 0.2 s."""

    def __init__(self, redis_url: str) -> None:
        super().__init__(daemon=True)
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, int(self.client.llen("community")))
            self.stop.wait(0.2)


# -- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--delay", type=float, default=0.2, help="the slow platforms' answer time (s)")
    parser.add_argument("--backlog", type=int, default=5000, help="community posts draining (0: skip)")
    parser.add_argument("--port", type=int, default=0, help="web port (0: a free one)")
    parser.add_argument("--fake-ports", type=int, default=0, help="first of 8 fake ports (0: free ones)")
    parser.add_argument("--redis-port", type=int, default=0, help="embedded Redis port (0: a free one)")
    parser.add_argument(
        "--cycles",
        type=int,
        default=3,
        help="quiet-then-drain cycles (each: --rounds quiet rounds, a --backlog, --rounds drain rounds)",
    )
    parser.add_argument(
        "--community-fake-nice",
        type=int,
        default=19,
        help="nice value of the community platform fake (19: it takes only spare processor time, "
        "as a platform elsewhere takes none; 0: the setup before 2 December 2026)",
    )
    parser.add_argument(
        "--drain-only", action="store_true", help="only the quiet-then-drain cycles (no 0 / 200 ms phases)"
    )
    parser.add_argument(
        "--writer-lock",
        action="store_true",
        help="sample who holds the SQLite writer lock during the drain rounds (/proc/locks every 5 ms; "
        "costs this process some processor time, so not on by default)",
    )
    parser.add_argument("--json", type=Path, help="write every latency and figure here")
    args = parser.parse_args()
    platforms = Platforms(0.0, port_base=args.fake_ports).start()
    community = CommunityPlatform(SECRETS["BENCH_HOOK_SECRET"], args.community_fake_nice)
    community.start()
    results: dict[str, Series] = {}
    figures: dict[str, float] = {}
    notes: list[str] = []
    try:
        with running_stack(platforms, community, args) as stack:
            sampler = MemorySampler(stack.process.pid)
            sampler.start()
            rounds = Rounds(stack, platforms)
            run_rounds(rounds, 3, "warm-up", {})
            figures["memory idle MB"] = pss_mb(stack.process.pid)
            if not args.drain_only:
                run_rounds(rounds, args.rounds, "0 ms", results)
                platforms.delay = args.delay
                run_rounds(rounds, args.rounds, f"{args.delay * 1000:.0f} ms", results)
                platforms.delay = 0.0
            if args.backlog:
                watch = QueueWatch(stack.redis_url())
                watch.start()
                try:
                    for cycle in range(1, args.cycles + 1):
                        drain_cycle(rounds, stack, community, args, cycle, results, figures, notes)
                except (TimeoutError, requests.RequestException) as exc:
                    print(f"backlog phase failed: {exc}", file=sys.stderr)
                watch.stop.set()
                figures["community queue peak"] = watch.peak
            sampler.stop.set()
            figures["memory peak MB"] = max(sampler.samples)
            figures["alerts sent"] = rounds.count
    finally:
        platforms.stop()
        community.stop()
    print_report(results, figures, notes, args)
    if args.json:
        payload = {
            "series": {k: asdict(v) for k, v in results.items()},
            "figures": figures,
            "notes": notes,
            "argv": sys.argv[1:],
        }
        args.json.write_text(json.dumps(payload, indent=1))
    return 0


def print_report(
    results: dict[str, Series], figures: dict[str, float], notes: list[str], args: argparse.Namespace
) -> None:
    print("| round | n | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, series in results.items():
        s = series.summary()
        print(f"| {name} | {s['n']:.0f} | {s['p50']:.1f} | {s['p99']:.1f} | {s['max']:.1f} |")
    for name, value in figures.items():
        print(f"{name}: {value:.0f}")
    for note in notes:
        print(note)
    print_drain_ratios(results, args)
    print("reproduce: .venv/bin/python -m bench.fanout " + " ".join(sys.argv[1:]))


def print_drain_ratios(results: dict[str, Series], args: argparse.Namespace) -> None:
    """Per cycle: the drain rounds' p99 over the quiet rounds' p99 just before (same pace)."""
    ratios = []
    for cycle in range(1, args.cycles + 1):
        tag = f" (cycle {cycle})" if args.cycles > 1 else ""
        quiet = results.get(f"ernstfall 0 ms, quiet, drain pace{tag}")
        drain = results.get(f"ernstfall 0 ms, {args.backlog} posts draining{tag}")
        if quiet is None or drain is None:
            continue
        q, d = quiet.summary(), drain.summary()
        ratio = d["p99"] / q["p99"] - 1
        ratios.append(ratio)
        print(
            f"drain{tag}: p99 {d['p99']:.1f} over quiet {q['p99']:.1f} ms = {ratio * 100:+.1f} %, "
            f"p50 {d['p50']:.1f} over {q['p50']:.1f} ms = {d['p50'] - q['p50']:+.1f} ms"
        )
    if ratios:
        median = statistics.median(ratios) * 100
        print(f"drain p99 over the quiet p99, median of {len(ratios)} cycles: {median:+.1f} %")


if __name__ == "__main__":
    sys.exit(main())
