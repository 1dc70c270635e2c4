"""A whole demo site in a real browser: every role, every page, at a phone and a laptop size.

One instance per module (migrations and demo data take seconds): the demo channels (all
preview, so nothing leaves the machine), the approved template library, a week of posts,
one held post, an idea, one active alert with a failed delivery for the fallback console.
The app runs under waitress on 127.0.0.1; Debian chromium is driven by Playwright, and
axe-core (installed from npm into tests/browser/node_modules) is injected into each page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from content_calendar.accounts.auth import create_user
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.crisis.models import Alert
from content_calendar.database import get_database, migrate
from content_calendar.demo import load_demo
from publisher.db import Database, utcnow
from publisher.models import Delivery
from publisher.settings import Settings, load_settings
from publisher.vocabulary import DeliveryState
from tests.browser.chromium import CHROMIUM, launched_chromium
from workers.supervisor import free_port
from workers.web_server import serving_in_thread

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "browser-test-passwort-1"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
SIZES = {"phone": PHONE, "laptop": LAPTOP}
ROLES = {
    "admin": "admin",
    "editor": "redaktion",
    "approver": "freigabe",
    "crisis": "krisenstab",
    "fallback": "fallback",
    "contributor": "ideen",
}
EXTRA_CHANNELS = """
[channels.telegram]
type = "telegram"
preview = true

[channels.bluesky]
type = "bluesky"
preview = true

[channels.sms]
type = "sms"
preview = true
lanes = ["crisis"]
"""


def browser_ready() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return "Debian chromium not installed (/usr/bin/chromium); run scripts/install-test-system-deps.sh"
    if not AXE.exists():  # installed by scripts/install-test-system-deps.sh; tests never download
        return "axe-core missing: run `npm ci` in tests/browser (scripts/install-test-system-deps.sh does)"
    return None


@dataclass
class Site:
    base: str
    app: Flask
    db: Database
    settings: Settings
    ids: dict[str, Any]


def _seed(db: Database, settings: Settings) -> dict[str, Any]:
    """Demo data plus what the less common pages need to show something."""
    channels_file = settings.channels_file
    load_demo(db, settings)
    channels_file.write_text(channels_file.read_text(encoding="utf-8") + EXTRA_CHANNELS, encoding="utf-8")
    load_demo(db, settings)  # syncs the extra channels; users and posts exist already
    with db.session() as session:
        create_user(session, "ideen", ["contributor"], PASSWORD)
        post = session.scalars(select(Post).order_by(Post.publish_at)).first()
        assert post is not None
        held = Post(
            title="Sommerkino",
            text="Das Sommerkino im Park fällt wegen der Warnung aus.",
            channel_ids=post.channel_ids,
            publish_at=utcnow() + timedelta(hours=3),
            state=PostState.HELD,
            held_reason="Krisenmodus: Warnung aktiv",
        )
        session.add(held)
        session.flush()
        ids: dict[str, Any] = {"post_id": post.id, "held_id": held.id}
    ids.update(_issue_alert(db, settings))
    ids.update(_dialog(db))
    return ids


def _dialog(db: Database) -> dict[str, Any]:
    """A citizen's question in the inbox and the shipped reply blocks (issue 14's pages)."""
    from content_calendar.dialog.blocks import load_shipped
    from content_calendar.dialog.models import InboxItem
    from publisher.models import Channel

    with db.session() as session:
        blocks = load_shipped(session)
        channel = session.scalars(select(Channel).where(Channel.name == "mastodon")).one()
        item = InboxItem(
            channel_id=channel.id,
            platform="mastodon",
            kind="mention",
            remote_id="browser-test-1",
            text="@stadt Gilt die Unwetterwarnung auch für die Südstadt?",
            author_id="4711",
            author_handle="@anwohnerin@social.example",
            author_name="Anwohnerin",
            received_at=utcnow() - timedelta(minutes=20),
        )
        session.add(item)
        session.flush()
        return {"item_id": item.id, "block_key": blocks[0].key}


def _issue_alert(db: Database, settings: Settings) -> dict[str, Any]:
    from content_calendar.crisis.lifecycle import issue
    from publisher.outbox.dispatch import Dispatcher

    result = issue(
        db,
        settings,
        Dispatcher(settings, db),
        template_key="unwetter",
        variables={"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"},
        idempotency_key="browser-test-alert",
        user_id=None,
        via="test",
    )
    with db.session() as session:
        alert = session.get(Alert, result.alert_id)
        assert alert is not None
        failed = session.scalars(
            select(Delivery).where(Delivery.source_kind == "alert", Delivery.source_id == alert.id)
        ).first()
        assert failed is not None
        failed.state = DeliveryState.DEAD
        failed.last_error = "Zugang abgelaufen"
        failed.platform_message = "The access token has expired."
        template_key = alert.template.key if alert.template else "unwetter"
    return {"alert_id": result.alert_id, "key": template_key}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    reason = browser_ready()
    if reason:
        pytest.skip(reason)
    home = tmp_path_factory.mktemp("site") / "instance"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ERNSTFALL_HOME", str(home))
        for name in ("DATABASE_URL", "REDIS_URL", "ERNSTFALL_CHANNELS", "ERNSTFALL_PUBLIC_DIR"):
            env.delenv(name, raising=False)
        env.setenv("ERNSTFALL_DEMO_PASSWORD", PASSWORD)
        env.setenv("ERNSTFALL_SMS_AREAS", "Nordstadt,Südstadt,Altstadt")
        env.setenv("ERNSTFALL_IMPRESSUM_URL", "https://www.example-stadt.de/impressum")
        env.setenv("ERNSTFALL_PRIVACY_URL", "https://www.example-stadt.de/datenschutz")
        settings = load_settings()
        migrate(settings)
        db = get_database(settings)
        ids = _seed(db, settings)
        from content_calendar.web import create_app

        app = create_app({"TESTING": True})  # CSRF on, as in production
        with serving_in_thread(app, free_port()) as base:
            yield Site(base, app, db, settings, ids)


@pytest.fixture
def browser(site: Site) -> Iterator[Any]:
    """A browser of the test's own (tests/browser/chromium.py: one that hangs is killed)."""
    with launched_chromium() as chromium:
        yield chromium


def login(browser: Any, site: Site, username: str, size: dict[str, int]) -> Any:
    """A fresh context (own cookies) at ``size``, logged in as ``username``; returns the page."""
    context = browser.new_context(viewport=size, locale="de-DE", bypass_csp=True)  # for axe
    page = context.new_page()
    page.goto(f"{site.base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page


def axe_findings(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's WCAG 2.x A/AA findings of the given impacts, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values:
              ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }"""
    )
    return [f"{v['id']} ({v['impact']}): {' | '.join(v['nodes'])}" for v in result if v["impact"] in impacts]


def page_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no sideways scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))
