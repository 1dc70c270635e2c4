"""The scheduled check end to end: the real scheduler claims the due channels and hands them to a
real Celery worker on the ``health`` queue (no crisis or community worker runs at all)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib

from publisher.db import Database
from publisher.outbox.dispatch import HEARTBEAT_KEY
from publisher.readiness import readiness
from publisher.settings import Settings
from publisher.vocabulary import HEALTH_QUEUE
from tests.conftest import REPO, Stack, wait_until
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.smtp import FakeSmtp
from tests.readiness.conftest import STAFF


@pytest.fixture
def health_worker(stack: Stack, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    argv = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q", HEALTH_QUEUE,
        "--pool", "threads", "--concurrency", "2", "-n", f"health-{os.getpid()}@test",
        "--without-gossip", "--without-mingle", "--loglevel", "INFO",
    ]  # fmt: skip
    log = open(tmp_path / "health.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        argv, env={**os.environ, **stack.env}, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
    )
    client = redis_lib.Redis.from_url(stack.redis_url)
    wait_until(lambda: client.exists(HEARTBEAT_KEY.format(lane=HEALTH_QUEUE)), 30, what="health worker")
    yield process
    process.terminate()
    process.wait(20)


@pytest.mark.integration
def test_the_scheduler_sends_due_checks_to_the_health_worker_and_the_staff_get_one_mail(
    db: Database,
    channels: Settings,
    stack: Stack,
    health_worker: subprocess.Popen[bytes],
    mastodon: FakeMastodon,
    smtp: FakeSmtp,
    tmp_path: Path,
) -> None:
    mastodon.token = "widerrufen"  # rejected before the first check
    stack.start("scheduler")
    wait_until(lambda: smtp.received, 30, what="the staff's mail")
    [mail] = smtp.received
    assert mail.rcpt_tos == [STAFF] and mail.message["Subject"] == "Ernstfall: Kanal mastodon gestört"
    log = tmp_path / "health.log"
    done = "'mastodon': 'failing', 'sms': 'ok'}"
    wait_until(lambda: done in log.read_text(errors="replace"), 30, what="the health worker's task")
    assert "ernstfall.check_channels[" in log.read_text(errors="replace")
    with db.session() as session:
        rows = {r.channel: r for r in readiness(session)}
    assert rows["mastodon"].state == "failing" and rows["sms"].state == "ok"
    assert [r.path for r in mastodon.requests if r.method == "POST"] == []
    assert len(smtp.received) == 1  # the scheduler keeps ticking; no second mail for one change
