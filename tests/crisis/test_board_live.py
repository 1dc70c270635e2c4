"""The live board on a real stack: waitress, Redis, Celery crisis workers, a browser."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from publisher.db import Database
from tests.browser.chromium import CHROMIUM, launched_chromium
from tests.conftest import PASSWORD, Stack, create_test_app, login
from tests.crisis.helpers import console_send, deliveries, wait_for
from workers.supervisor import free_port
from workers.web_server import serving_in_thread

pytestmark = pytest.mark.integration


@pytest.fixture
def live_server(stack: Stack, crisis_setup: Database) -> Iterator[tuple[str, object]]:
    """The web app under waitress in a thread, with few stream slots to test the limit."""
    app = create_test_app()
    app.config.update(WTF_CSRF_ENABLED=True, SSE_MAX_STREAMS=3, SSE_KEEPALIVE_SECONDS=1)
    with serving_in_thread(app, free_port()) as base:
        yield base, app


def logged_in(base: str) -> requests.Session:
    import re

    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"username": "krisenstab", "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    assert session.post(f"{base}/login", data=data, allow_redirects=False).status_code == 302
    return session


def test_many_open_boards_share_one_poller_and_extra_ones_get_503(live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    session = logged_in(base)
    streams = [session.get(f"{base}/krise/live?warnung=1", stream=True, timeout=10) for _ in range(3)]
    assert all(s.status_code == 200 for s in streams)
    refused = session.get(f"{base}/krise/live?warnung=1", timeout=10)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    feed = app.extensions["ernstfall_feed"]
    before = feed.polls
    time.sleep(3)
    # three listeners, one poller: about one query per second, not three
    assert feed.polls - before <= 4
    assert session.get(f"{base}/krise/", timeout=10).status_code == 200  # pages still served
    for s in streams:
        s.close()


@pytest.mark.browser
def test_crisis_user_sends_from_console_and_watches_every_channel_turn_green(
    live_server, stack: Stack, crisis_setup: Database, seven, mastodon, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip(
            "Debian chromium not installed (/usr/bin/chromium); run scripts/install-test-system-deps.sh"
        )
    from playwright.sync_api import expect

    from tests.crisis.test_crisis_flow import subscribe

    subscribe(crisis_setup)  # a citizen: "severe" alerts go to subscribers by SMS as well
    monkeypatch.setenv("ERNSTFALL_HTTP_TIMEOUT", "15")  # the worker waits for the slow answer
    mastodon.status_delay = 5.0  # Mastodon confirms late: its row must turn green by push
    stack.start("crisis")
    base, _ = live_server
    with launched_chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "krisenstab")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        started = time.monotonic()
        page.goto(f"{base}/krise/")
        page.click("text=Unwetterwarnung")
        page.fill("#v_gebiet", "Nordstadt")
        page.fill("#v_von", "14:00")
        page.fill("#v_bis", "18:00")
        page.click("button[value=preview]")
        expect(page.locator("#previews")).to_contain_text("Unwetterwarnung für Nordstadt")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#send-now")
        page.wait_for_url("**/krise/warnung/*")
        expect(page.locator("#live-status")).to_have_text("Live verbunden", timeout=10000)
        page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded
        slow = page.locator("#board tbody tr", has_text="mastodon").locator(".badge")
        assert "sent" not in (slow.get_attribute("class") or "")
        rows = page.locator("#board tbody tr")
        expect(rows).to_have_count(4)
        preview = page.locator("#board tbody tr", has_text="x").locator(".badge")
        expect(preview).to_have_class("badge previewed", timeout=20000)  # x is a preview channel
        expect(preview).to_have_text("Vorschau (nicht veröffentlicht)")
        for channel in ("banner", "mastodon", "sms"):
            row = page.locator("#board tbody tr", has_text=channel)
            expect(row.locator(".badge")).to_have_class("badge sent", timeout=20000)
        expect(page.locator("#all-confirmed")).to_be_visible()
        expect(page.locator("#previews-made")).to_have_text("1 Vorschau erstellt, nicht veröffentlicht.")
        assert page.evaluate("window.__sameDocument === true")  # updated by push, not reload
        assert time.monotonic() - started < 60  # one minute from console to "sent"
        assert "Von „Konsole geöffnet“ bis „gesendet“" in page.content()
        assert seven.sent()  # the SMS really went to the (fake) provider


STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}


def _preview_row(board: str) -> str:
    found = re.search(r'<tr [^>]*data-category="preview"[^>]*>(.*?)</tr>', board, re.S)
    assert found, board
    return found.group(1)


def _all_confirmed_shown(board: str) -> bool:
    tag = re.search(r'<p id="all-confirmed"([^>]*)>Alle Kanäle haben bestätigt.</p>', board)
    assert tag, board
    return "hidden" not in tag.group(1)


def test_board_shows_the_preview_as_vorschau_and_confirms_only_when_the_real_channels_did(
    stack: Stack, crisis_setup: Database, mastodon, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ERNSTFALL_HTTP_TIMEOUT", "15")  # the worker waits for the slow answer
    mastodon.status_delay = 6.0  # the real platform confirms late; the preview is done at once
    stack.start("crisis")
    client = create_test_app().test_client()
    login(client, "krisenstab")
    _, form = console_send(client, "unwetter", STORM)
    board_url = client.post("/krise/senden/unwetter", data=form).headers["Location"]
    alert_id = int(board_url.rsplit("/", 1)[-1])
    wait_for(lambda: deliveries(crisis_setup, alert_id)["x"].state == "previewed")
    early = client.get(board_url).get_data(as_text=True)
    assert deliveries(crisis_setup, alert_id)["mastodon"].state != "sent"  # still in flight
    assert "Vorschau (nicht veröffentlicht)" in _preview_row(early)
    assert "gesendet" not in _preview_row(early)
    assert not _all_confirmed_shown(early)  # the preview alone confirms nothing
    assert "1 Vorschau erstellt, nicht veröffentlicht." in early

    real = ("banner", "mastodon")
    wait_for(lambda: all(deliveries(crisis_setup, alert_id)[c].state == "sent" for c in real), timeout=40)
    late = client.get(board_url).get_data(as_text=True)
    assert _all_confirmed_shown(late)
    assert "1 Vorschau erstellt, nicht veröffentlicht." in late
    assert deliveries(crisis_setup, alert_id)["x"].state == "previewed"  # never turned into sent
