"""German and English in Debian chromium: the browser's language on the public pages, the
header switch for staff, the live board's script texts; no sideways scrolling, no axe findings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LAPTOP, PHONE, Site, axe_findings, browser, login, page_overflow, site

pytestmark = pytest.mark.browser
__all__ = ["browser", "site"]  # the demo site and chromium of the browser tests


def public_page(browser: Any, url: str, locale: str, size: dict[str, int]) -> Any:
    context = browser.new_context(viewport=size, locale=locale, bypass_csp=True)  # bypass: for axe
    page = context.new_page()
    page.goto(url)
    return page


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_an_english_browser_gets_the_sms_page_in_english(
    browser: Any, site: Site, size: dict[str, int]
) -> None:
    page = public_page(browser, f"{site.base}/sms/", "en-GB", size)
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Alerts by text message"
    assert page.is_visible("text=Mobile number")
    assert page_overflow(page) == 0
    assert axe_findings(page) == []
    page.context.close()


def test_a_german_browser_switches_the_sms_page_to_english_and_back(browser: Any, site: Site) -> None:
    page = public_page(browser, f"{site.base}/sms/", "de-DE", PHONE)
    assert page.inner_text("h1") == "Warnungen per SMS"
    page.click("button[lang=en]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Alerts by text message"
    assert page.get_attribute("button[lang=en]", "aria-pressed") == "true"
    page.goto(f"{site.base}/antwortzeiten")  # the choice stays for the next public page
    assert page.is_visible("text=When we answer")
    page.click("button[lang=de]")
    page.wait_for_load_state()
    assert page.is_visible("text=Wann wir antworten")
    page.context.close()


def test_crisis_staff_choose_english_and_the_board_speaks_it(browser: Any, site: Site) -> None:
    page = login(browser, site, "krisenstab", LAPTOP)
    assert page.inner_text("h1") == "Krisenkonsole"
    page.click("header button[lang=en]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Crisis console"
    assert page.get_attribute("html", "lang") == "en"
    page.goto(f"{site.base}/krise/warnung/{site.ids['alert_id']}")
    status = page.locator("#live-status")
    english = ("Live connected", "Refreshing every 3 s (no live connection free)")
    page.wait_for_function(
        "texts => texts.includes(document.getElementById('live-status').textContent)", arg=list(english)
    )
    assert status.inner_text() in english
    assert page.is_visible("text=Delivery per channel") or page.is_visible("th:has-text('Channel')")
    assert axe_findings(page) == []
    page.click("header button[lang=de]")  # back to German for the other tests of this site
    page.wait_for_load_state()
    assert page.is_visible("text=Aktualisieren oder entwarnen")
    page.context.close()
