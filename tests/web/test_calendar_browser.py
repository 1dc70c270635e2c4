"""The content calendar in a real browser (Debian chromium via Playwright) against a
live waitress server; the publishing test also runs the real community worker and
scheduler against a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.timeutil import to_local
from publisher.db import Database, utcnow
from publisher.models import Delivery
from publisher.vocabulary import DeliveryState
from tests.browser.chromium import CHROMIUM, launched_chromium
from tests.calendar.calendar_helpers import PNG
from tests.conftest import PASSWORD, Stack, app_in_its_own_process, configure_channels, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium not installed (/usr/bin/chromium)"
    ),
]
TOML = """
[channels.vorschau]
type = "preview"
lanes = ["community"]

[channels.x]
type = "x"
preview = true
lanes = ["community"]
"""


@pytest.fixture
def live_server(db: Database, users: dict[str, int]) -> Iterator[str]:
    """The app under waitress in its own process, CSRF on as in production."""
    configure_channels(db, TOML)
    with app_in_its_own_process() as url:
        yield url


def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))  # each role lands on its start page


@pytest.mark.integration
def test_plan_with_image_approve_as_second_user_and_see_it_published(
    live_server: str, stack: Stack, db: Database, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    stack.start("community")
    stack.start("scheduler")
    image = tmp_path / "kater.png"
    image.write_bytes(PNG)
    # Minute resolution in the form: the next full minute at least 75 s away.
    when = to_local(utcnow() + timedelta(seconds=75), "Europe/Berlin").replace(second=0, microsecond=0)
    when += timedelta(minutes=1)
    with launched_chromium() as browser:
        editor = browser.new_context(locale="de-DE").new_page()
        _login(editor, live_server, "redaktion")
        editor.goto(f"{live_server}/posts/new")
        editor.fill("#text", "Kater Fritz sucht ein Zuhause – melden Sie sich beim Tierheim!")
        editor.check("input[name=channels][value=vorschau]")
        expect(editor.locator("#counters [data-channel=vorschau]")).to_contain_text("Zeichen")
        editor.set_input_files("#image", str(image))
        editor.fill("#image_alt", "Grauer Kater auf einer roten Decke")
        editor.fill("#when", when.strftime("%d.%m.%Y %H:%M"))
        editor.click("button[value=submit]")
        expect(editor.locator("#post-state")).to_have_text("In Prüfung")
        post_url = editor.url

        approver = browser.new_context(locale="de-DE").new_page()
        _login(approver, live_server, "freigabe")
        approver.goto(post_url)
        expect(approver.locator("img[alt='Grauer Kater auf einer roten Decke']")).to_be_visible()
        approver.click("button[value=approve]")
        expect(approver.locator("#post-state")).to_have_text("Freigegeben")

        def sent() -> bool:
            with db.session() as session:
                states = session.scalars(select(Delivery.state).where(Delivery.source_kind == "post")).all()
            return states == [DeliveryState.PREVIEWED]  # a preview channel is never "sent"

        wait_until(sent, timeout=200, interval=0.5, what="preview delivery previewed")
        wait_until(
            lambda: _post_state(db) == PostState.PUBLISHED, timeout=20, what="post rolled up to published"
        )
        approver.reload()
        expect(approver.locator("#post-state")).to_have_text("Veröffentlicht")
        expect(approver.locator("#deliveries")).to_contain_text("Vorschau (nicht veröffentlicht)")
    with db.session() as session:
        delivery = session.scalars(select(Delivery)).one()
        post = session.scalars(select(Post)).one()
        assert delivery.message["media"][0]["alt"] == "Grauer Kater auf einer roten Decke"
        assert delivery.rendered["text"].startswith("Kater Fritz sucht ein Zuhause")
        lateness = (delivery.updated_at - post.publish_at).total_seconds()  # previewed: no sent_at
        assert 0 <= lateness < 5, lateness


def _post_state(db: Database) -> str:
    with db.session() as session:
        return session.scalars(select(Post.state)).one()


def test_editor_refuses_too_long_text_for_x_with_the_specific_message(live_server: str, db: Database) -> None:
    from playwright.sync_api import expect

    day = to_local(utcnow() + timedelta(days=3), "Europe/Berlin")
    with launched_chromium() as browser:
        page = browser.new_page(locale="de-DE")
        _login(page, live_server, "redaktion")
        page.goto(f"{live_server}/posts/new")
        page.check("input[name=channels][value=x]")
        page.fill("#text", "Ä" * 281)
        # Live: the counter comes from the X adapter (weighted length), as the editor types.
        counter = page.locator("#counters [data-channel=x]")
        expect(counter).to_contain_text("281 / 280")
        expect(counter).to_contain_text("X: 281 von 280 Zeichen")
        page.fill("#when", day.strftime("%d.%m.%Y") + " 10 Uhr")
        page.click("button[value=submit]")
        # Server side: the same check refuses the save, the text is kept.
        expect(page.locator(".channel-problem")).to_contain_text("X: 281 von 280 Zeichen")
        expect(page.locator("#text")).to_have_value("Ä" * 281)
    with db.session() as session:
        assert session.scalars(select(Post)).all() == []
