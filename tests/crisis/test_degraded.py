"""Degraded operation: Redis stopped, web app down, database unreachable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from content_calendar.crisis.models import Alert
from publisher.db import Database
from publisher.settings import Settings
from tests.conftest import REPO, login
from tests.crisis.helpers import console_send, deliveries, wait_inline
from tests.fakes.mastodon import FakeMastodon
from workers.supervisor import free_port

STORM = ["--var", "gebiet=Nordstadt", "--var", "von=14:00", "--var", "bis=18:00"]


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_alert_with_redis_stopped_is_sent_inline_and_the_board_says_so(
    client, crisis_setup: Database, mastodon: FakeMastodon, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    from tests.conftest import create_test_app

    client = create_test_app().test_client()
    login(client, "krisenstab")
    _, form = console_send(client, "unwetter", {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"})
    board = client.post("/krise/senden/unwetter", data=form).headers["Location"]
    wait_inline()
    alert_id = int(board.rsplit("/", 1)[-1])
    sent = deliveries(crisis_setup, alert_id)
    assert sent["mastodon"].state == "sent" and sent["mastodon"].dispatched_inline
    assert mastodon.posted()
    page = client.get(board).get_data(as_text=True)
    assert "Die Web-Anwendung hat diese Meldung selbst gesendet" in page


def test_cli_alert_send_works_with_the_web_app_down(
    crisis_setup: Database, instance: Settings, mastodon: FakeMastodon
) -> None:
    # No web app runs in this test at all, and Redis is unreachable: the CLI sends itself.
    env = {"ERNSTFALL_HOME": str(instance.home), "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    result = cli("alert", "send", "unwetter", *STORM, "--key", "cli-1", env=env)
    assert result.returncode == 0, result.stderr
    assert "mastodon" in result.stdout and "sent" in result.stdout
    assert "Unwetterwarnung für Nordstadt" in mastodon.posted()[0].form()["status"][0]
    with crisis_setup.session() as session:
        alert = session.scalar(select(Alert))
        assert alert is not None and alert.headline == "Unwetterwarnung für Nordstadt"
    again = cli("alert", "send", "unwetter", *STORM, "--key", "cli-1", env=env)
    assert "war schon ausgelöst" in again.stdout and len(mastodon.posted()) == 1
    bad = cli("alert", "send", "unwetter", "--var", "gebiet=Nordstadt", env=env)
    assert bad.returncode == 2 and "Beginn: Angabe fehlt" in bad.stderr


def test_cli_banner_set_and_clear_with_the_database_unreachable(tmp_path: Path) -> None:
    public = tmp_path / "public"
    env = {
        "ERNSTFALL_HOME": str(tmp_path / "home"),
        "ERNSTFALL_PUBLIC_DIR": str(public),
        "DATABASE_URL": f"postgresql+psycopg://ernstfall:x@127.0.0.1:{free_port()}/ernstfall",
    }
    result = cli(
        "banner",
        "set",
        "--level",
        "extreme",
        "--headline",
        "Gasaustritt",
        "--text",
        "Bahnhofstraße meiden",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    banner = json.loads((public / "banner.json").read_text(encoding="utf-8"))["banner"]
    assert banner["headline"] == "Gasaustritt" and banner["level"] == "extreme"
    assert "Bahnhofstra" in (public / "banner.js").read_text(encoding="utf-8")
    cleared = cli("banner", "clear", env=env)
    assert cleared.returncode == 0, cleared.stderr
    assert json.loads((public / "banner.json").read_text(encoding="utf-8"))["banner"] is None
