"""Screenshots of the main pages at both sizes (docs/screenshots/, linked from the README).

Written to a temporary folder on every run (so the pages are rendered and checked to fit);
``ERNSTFALL_SCREENSHOTS=docs`` writes them into docs/screenshots/ to refresh the README.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SIZES, Site, login, page_overflow

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# name -> (user or None for public, path, what to do on the page before the picture)
SHOTS: dict[str, tuple[str | None, str, str]] = {
    "krisenkonsole": ("krisenstab", "/krise/", ""),
    "warnung-senden": ("krisenstab", "/krise/senden/probealarm", "preview"),
    "zustellung-live": ("krisenstab", "/krise/warnung/{alert_id}", ""),
    "fallback": ("fallback", "/fallback/", ""),
    "kalender-woche": ("redaktion", "/kalender/woche", ""),
    "uebersicht": ("admin", "/", ""),
    "sms-anmeldung": (None, "/sms/", ""),
}


def _folder(tmp_path: Path) -> Path:
    folder = DOCS if os.environ.get("ERNSTFALL_SCREENSHOTS") == "docs" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser: Any, site: Site, user: str | None, size: dict[str, int]) -> Any:
    if user:
        return login(browser, site, user, size)
    return browser.new_context(viewport=size, locale="de-DE").new_page()


@pytest.mark.parametrize("size", list(SIZES))
def test_main_pages_are_photographed_at_both_sizes(
    site: Site, browser: Any, size: str, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    for name, (user, path, action) in SHOTS.items():
        page = _open(browser, site, user, SIZES[size])
        page.goto(site.base + path.format(**site.ids))
        if action == "preview":
            page.fill("#v_zeit", "morgen 9 Uhr")
            page.click("button[value=preview]")
        assert page_overflow(page) <= 0, name
        target = folder / f"{name}-{size}.png"
        page.screenshot(path=str(target), full_page=action == "preview")
        assert target.stat().st_size > 5_000
        page.context.close()
