"""`ernstfall up` as a real user runs it: the whole stack, an alert through the API, a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO, wait_until
from tests.fakes.mastodon import FakeMastodon
from workers.supervisor import free_port

pytestmark = pytest.mark.integration


def children_of(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def role_of(pid: int) -> str:
    """What a child runs, from its command line."""
    words = [word.decode() for word in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
    return next((w for w in ("crisis", "community", "scheduler", "web") if w in words), "redis")


def niceness_by_role(pids: set[int]) -> dict[str, int]:
    """The nice value of each child, named by what it runs."""
    roles = {}
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat").read_text()
        roles[role_of(pid)] = int(stat.rsplit(")", 1)[1].split()[16])  # field 19: nice
    return roles


def supervisor_pss_mb(pid: int) -> float:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    return next(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, dict[str, str], FakeMastodon]]:
    fake = FakeMastodon(token="up-token").start()
    home = tmp_path / "instance"
    home.mkdir()
    (home / "channels.toml").write_text(
        '[channels.banner]\ntype = "banner"\nlanes = ["crisis"]\n'
        f'[channels.mastodon]\ntype = "mastodon"\nbase_url = "{fake.url}"\n'
        'token_env = "UP_MASTODON_TOKEN"\n'
    )
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        ERNSTFALL_HOME=str(home),
        UP_MASTODON_TOKEN="up-token",
        ERNSTFALL_DEMO_PASSWORD="demo-passwort-1",
        PYTHONPATH=str(REPO),
    )
    yield home, env, fake
    fake.stop()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_up_runs_the_stack_sends_an_alert_and_stops_cleanly(
    home: tuple[Path, dict[str, str], FakeMastodon],
) -> None:
    path, env, fake = home
    init = cli(env, "init", "--demo")
    assert init.returncode == 0, init.stderr
    assert "krisenstab" in init.stdout and "demo-passwort-1" in init.stdout
    token = cli(env, "token", "krisenstab").stdout.strip()
    port = free_port()
    log = open(path / "up.log", "wb")  # noqa: SIM115
    up = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "up", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def web_ready() -> bool:
            try:
                return requests.get(f"{base}/login", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(web_ready, timeout=60, what="web app")
        # The workers announce themselves before they take work.
        time.sleep(1)
        response = requests.post(
            f"{base}/api/v1/alerts",
            json={
                "template": "unwetter",
                "idempotency_key": "up-1",
                "variables": {"gebiet": "Altstadt", "von": "10:00", "bis": "12:00"},
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        received = fake.wait_for(lambda r: r.path == "/api/v1/statuses", timeout=30)
        assert "Altstadt" in received[0].form()["status"][0]
        alert = requests.get(
            f"{base}/api/v1/alerts/{response.json()['id']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        banner = requests.get(f"{base}/public/banner.json", timeout=5).json()["banner"]
        assert banner["headline"] == "Unwetterwarnung für Altstadt"
        assert {d["channel"] for d in alert.json()["deliveries"]} == {"banner", "mastodon"}

        second = cli(env, "up", "--port", str(free_port()))
        assert second.returncode == 3
        assert "läuft bereits" in second.stderr

        children = children_of(up.pid)
        assert len(children) == 5  # redis, two workers (crisis, community), scheduler, web
        # The background lanes step back for the alert path when the CPU is contended.
        base_nice = os.nice(0)
        assert niceness_by_role(children) == {
            "redis": base_nice,
            "crisis": base_nice,
            "web": base_nice,
            "scheduler": base_nice + 5,
            "community": base_nice + 10,
        }
        # ... and the community lane runs only on a core nothing else wants (SCHED_IDLE).
        assert {role_of(pid) for pid in children if os.sched_getscheduler(pid) == os.SCHED_IDLE} == {
            "community"
        }
        # ... and sends two batches at a time: with eight, its threads kept its own write
        # transactions waiting for the interpreter, so it held the SQLite writer 67 % of a
        # drain and nearly every alert waited for it (docs/benchmarks.md, session 7).
        community = next(pid for pid in children if role_of(pid) == "community")
        argv = Path(f"/proc/{community}/cmdline").read_bytes().split(b"\0")
        assert argv[argv.index(b"--concurrency") + 1] == b"2"
        assert supervisor_pss_mb(up.pid) < 40  # it holds nothing of the application (issue 16)
        victim = max(children)
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len(children_of(up.pid) - {victim}) == 5, timeout=30, what="restart")
        all_children = children | children_of(up.pid)
    finally:
        up.send_signal(signal.SIGTERM)
        code = up.wait(timeout=60)
        log.close()
    output = (path / "up.log").read_text(errors="replace")
    assert code == 0, output[-3000:]
    assert f"Ernstfall läuft: http://127.0.0.1:{port}/" in output
    assert f"Demo-Zugänge: {path / 'demo-logins.txt'}" in output
    assert "restarted" in output
    # Web, both workers and the scheduler exempt their start-up objects from collection.
    assert output.count("start-up objects exempt from garbage collection") >= 4, output[-3000:]
    # The community worker hands the interpreter to its writer-lock holder sooner.
    assert "background lane: interpreter switch interval 0.5 ms" in output, output[-3000:]
    left = [pid for pid in all_children if alive(pid)]
    assert left == [], f"orphans left: {left}"
    assert not (path / "run" / "redis.url").exists()
