"""Debian chromium for every browser test: one launch recipe, and a watchdog.

Chromium has stopped answering in a long parallel run (a ``page.evaluate`` that never
returned, then ``new_context`` as well) while our server was idle. Playwright's
``evaluate`` has no timeout, so such a test used to hang until pytest-timeout failed it
after 300 s, and every later test in the module hung with it. Now each test gets its own
browser, and a watchdog kills that browser's processes when the test holds it longer than
``HANG_AFTER_S``: the waiting Playwright call raises ``TargetClosedError`` and the test
fails at once. The tests with the ``browser`` mark are re-run once on exactly that error
(tests/conftest.py), never on a failed assertion.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The slowest browser test takes 16 s alone and about four times that in a full parallel run.
HANG_AFTER_S = 150.0
# Re-run a browser test once when this is its error (tests/conftest.py), nothing else.
BROWSER_GONE = "TargetClosedError"


def processes_with(marker: str) -> list[int]:
    """The ids of this machine's processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker.encode() in command:
            found.append(int(entry.name))
    return found


def kill_processes_with(marker: str) -> int:
    """SIGKILL every process whose command line contains ``marker``; how many there were."""
    killed = 0
    for pid in processes_with(marker):
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
    return killed


@contextmanager
def launched_chromium(hang_after: float = HANG_AFTER_S, marker: str = "") -> Iterator[Any]:
    """A Playwright ``Browser`` on Debian chromium, killed if held longer than ``hang_after`` s.

    The browser process carries a switch with a fresh id on its command line (Chromium
    ignores switches it does not know), so the watchdog kills this browser and no other
    test's; its renderer and helper processes exit when it is gone. ``marker`` (a switch,
    "--name=value") is for the watchdog's own test; by default a fresh one.
    """
    from playwright.sync_api import sync_playwright

    marker = marker or f"--ernstfall-test-browser={uuid.uuid4().hex}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, marker]
        )
        watchdog = threading.Timer(hang_after, kill_processes_with, args=(marker,))
        watchdog.daemon = True
        watchdog.start()
        try:
            yield browser
        finally:
            watchdog.cancel()
            if browser.is_connected():
                browser.close()
            kill_processes_with(marker)  # a helper left behind by a killed browser
