"""The watchdog of the browser tests: a Chromium that stops answering is killed, and the
waiting call fails at once instead of hanging until pytest-timeout (tests/browser/chromium.py)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.browser.chromium import BROWSER_GONE, CHROMIUM, launched_chromium, processes_with

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")


def test_a_call_chromium_never_answers_fails_when_the_watchdog_kills_the_browser() -> None:
    marker = f"--ernstfall-watchdog-test={uuid.uuid4().hex}"
    started = time.monotonic()
    with pytest.raises(Exception) as raised, launched_chromium(hang_after=3, marker=marker) as browser:
        page = browser.new_page()
        assert [pid for pid in processes_with(marker) if alive(pid)]  # what the watchdog will find
        page.evaluate("new Promise(() => {})")  # a script that never returns: Chromium "hangs"
    assert type(raised.value).__name__ == BROWSER_GONE  # the error the browser tests re-run on
    assert time.monotonic() - started < 60  # not the 300 s of pytest-timeout
    assert not [pid for pid in processes_with(marker) if alive(pid)]


def test_the_watchdog_leaves_a_browser_alone_that_answers_in_time() -> None:
    marker = f"--ernstfall-watchdog-test={uuid.uuid4().hex}"
    with launched_chromium(hang_after=5, marker=marker) as browser:
        page = browser.new_page()
        time.sleep(1)
        assert page.evaluate("1 + 1") == 2
        assert [pid for pid in processes_with(marker) if alive(pid)]
    assert not [pid for pid in processes_with(marker) if alive(pid)]  # closed when done


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"
