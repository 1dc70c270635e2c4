"""In a real browser: a mention fetched from the fake Mastodon is answered with an approved block,
and the fake receives a reply to the right status.

The app runs under waitress on 127.0.0.1 with CSRF on (as in production); Debian chromium is
driven by Playwright; the Mastodon is the fake HTTP server on loopback. Nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from content_calendar.dialog import inbox
from content_calendar.dialog.models import InboxItem, InboxReply
from publisher.db import Database
from publisher.outbox import process_delivery
from publisher.settings import Settings
from tests.browser.chromium import CHROMIUM, launched_chromium
from tests.browser.conftest import AXE, axe_findings, page_overflow
from tests.conftest import PASSWORD, app_in_its_own_process
from tests.crisis.conftest import EveryChannel

pytestmark = pytest.mark.browser


@pytest.fixture
def live(every_channel: EveryChannel, approved_blocks: Database) -> Iterator[str]:
    """The app with CSRF on, served by waitress on a free loopback port in its own process.

    Its own process, with this test's environment (instance folder, channels): in a long
    parallel run an in-process server shared the interpreter with every earlier test and
    once stopped answering; a separate process is also how the app runs in production.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (/usr/bin/chromium)")
    with app_in_its_own_process() as url:
        yield url


@pytest.fixture
def page(live: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        # bypass_csp only so that the accessibility test can inject axe-core; the pages need none.
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE", bypass_csp=True)
        yield context.new_page()


def log_in(page: Any, live: str, username: str) -> None:
    page.goto(f"{live}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")


def test_an_editor_answers_a_fetched_mastodon_mention_with_a_block_in_the_browser(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, live: str, page: Any
) -> None:
    status = every_channel.mastodon.mention(
        "anna@example.social", "Wen kann ich wegen des Hochwassers anrufen?"
    )
    report = inbox.fetch_all(approved_blocks, instance)
    assert len(report.new_item_ids) == 1

    log_in(page, live, "redaktion")
    page.goto(f"{live}/dialog/")
    page.click("text=Wen kann ich wegen des Hochwassers anrufen?")
    page.select_option("#baustein", "wen_anrufen")
    page.click("text=Baustein wählen")
    page.fill("#v_telefon", "06221 123456")
    page.click("#block-form button[value=preview]")
    assert "Bürgertelefon: +49 6221 123456" in page.inner_text("#reply-preview")
    assert "von 500 Zeichen" in page.inner_text("#reply-length")
    page.click("#send-block")
    assert "an den Kanal übergeben" in page.inner_text("main")
    assert page.inner_text("#item-state") == "beantwortet"

    with approved_blocks.session() as session:
        answer = session.scalars(select(InboxReply)).one()
        assert answer.delivery_id is not None
        delivery_id = answer.delivery_id
        item = session.get(InboxItem, answer.item_id)
        assert item is not None and item.remote_id == status["id"]
    # No Celery worker in this test: the outbox sends the queued delivery here, as a worker would.
    assert process_delivery(approved_blocks, delivery_id, instance) == "sent"
    sent = every_channel.mastodon.posted_statuses[-1]
    assert sent["in_reply_to_id"] == status["id"]
    assert sent["content"].startswith("@anna@example.social Bürgertelefon: +49 6221 123456.")


def test_the_dialog_pages_fit_a_phone_and_axe_finds_nothing_serious(
    every_channel: EveryChannel, approved_blocks: Database, instance: Settings, live: str, page: Any
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core missing: run `npm ci` in tests/browser")
    every_channel.mastodon.mention("anna@example.social", "Ist das Wasser sicher?")
    item_id = inbox.fetch_all(approved_blocks, instance).new_item_ids[0]
    log_in(page, live, "admin")
    paths = [
        "/dialog/",
        f"/dialog/{item_id}?baustein=trinkwasser",
        "/dialog/bausteine/",
        "/dialog/bausteine/trinkwasser",
        "/dialog/bausteine/neu",
        "/dialog/freigaben/",
        "/dialog/geruechte/",
        "/dialog/einstellungen/",
        "/antwortzeiten",
    ]
    problems = []
    for path in paths:
        response = page.goto(f"{live}{path}")
        assert response is not None and response.status == 200, path
        if page_overflow(page) > 0:
            problems.append(f"{path}: {page_overflow(page)} px wider than the phone")
        problems += [f"{path}: {finding}" for finding in axe_findings(page)]
    assert problems == []
