"""Crisis staff on a phone: fill a template with "sofort", see every channel as a card, send
with an unmistakable button and its confirmation, watch the board; the fallback operator
finds the blackout pack one tap from the start page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PHONE, Site, axe_findings, login, page_overflow

pytestmark = pytest.mark.browser


def test_crisis_staff_send_from_a_phone_with_a_distinct_confirmed_send_button(
    site: Site, browser: Any
) -> None:
    from playwright.sync_api import expect

    page = login(browser, site, "krisenstab", PHONE)
    assert page.url.endswith("/krise/")
    page.click(".template-picker >> text=Probealarm")
    page.fill("#v_zeit", "14 Uhr")
    page.click("button[value=preview]")
    expect(page.locator("#v_zeit")).to_have_value("14:00")  # normalised, as it will be sent
    cards = page.locator("#previews .preview-card")
    assert cards.count() >= 5
    instagram = page.locator('#previews .preview-card[data-channel="instagram"]')
    expect(instagram).to_contain_text("Instagram")
    assert "{" not in instagram.inner_text()  # a card, never the raw rendering
    preview_button, send_button = page.locator("button[value=preview]"), page.locator("#send-now")
    send_colour = send_button.evaluate("b => getComputedStyle(b).backgroundColor")
    assert send_colour != preview_button.evaluate("b => getComputedStyle(b).backgroundColor")
    assert send_button.bounding_box()["height"] >= 44  # type: ignore[index]
    assert send_button.bounding_box()["y"] > cards.last.bounding_box()["y"]  # type: ignore[index]
    assert page_overflow(page) <= 0 and not axe_findings(page)
    asked: list[str] = []

    def refuse_first(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    page.on("dialog", refuse_first)
    send_button.click()  # "Abbrechen" in the confirmation: nothing is sent
    assert "/krise/senden/" in page.url
    send_button.click()
    page.wait_for_url("**/krise/warnung/*")
    assert asked[0].startswith("ECHTE WARNUNG jetzt öffentlich an")
    expect(page.locator("h1")).to_contain_text("Probealarm um 14:00 Uhr")
    assert page_overflow(page) <= 0
    page.context.close()


def test_the_fallback_operator_opens_the_notice_pdf_from_the_start_page_on_a_phone(
    site: Site, browser: Any
) -> None:
    page = login(browser, site, "fallback", PHONE)
    assert page.url.endswith("/fallback/")
    alert = page.locator(f'#active-alerts [data-alert="{site.ids["alert_id"]}"]')
    with page.expect_download() as download:
        alert.locator("text=Aushang (PDF, A4)").click()
    assert download.value.suggested_filename == f"aushang-warnung-{site.ids['alert_id']}.pdf"
    page.context.close()


def test_the_phone_menu_opens_closes_with_escape_and_marks_the_current_page(site: Site, browser: Any) -> None:
    page = login(browser, site, "redaktion", PHONE)
    toggle, nav = page.locator("#nav-toggle"), page.locator("#main-nav")
    assert toggle.is_visible() and not nav.is_visible()
    toggle.click()
    assert nav.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert nav.locator('a[aria-current="page"]').inner_text() == "Kalender"
    page.keyboard.press("Escape")
    assert not nav.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    page.context.close()
