"""Public Atom feed of alerts (and, with ``include_posts = true``, community posts).

Written to ``<public_dir>/feeds/alerts.atom`` and served at ``/public/feeds/alerts.atom``;
because it is a static file, the city's web server can serve it while the app is down.
Writing the same entry twice replaces it, so this channel is idempotent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Receipt
from publisher.outputs import feeds
from publisher.settings import load_settings

FEED_FILE = "alerts.atom"
FEED_PATH = "/public/feeds/alerts.atom"


def feed_folder(public_dir: Path) -> Path:
    return public_dir / "feeds"


def feed_settings(title: str | None = None) -> dict[str, str]:
    base = load_settings().public_base_url
    return {
        "feed_id": f"{base}{FEED_PATH}",
        "title": title or "Warnungen und Hinweise",
        "self_url": f"{base}{FEED_PATH}",
    }


class AtomChannel(ChannelAdapter):
    type_name = "atom"
    label = "Atom-Feed"
    limits: ClassVar[Limits] = Limits(max_length=None, max_media=0, alt_text_required=False)
    idempotent = True

    def public_dir(self) -> Path:
        configured = self.config.options.get("public_dir")
        return Path(str(configured)) if configured else self.config.current_settings().public_dir

    def render(self, message: Message) -> dict[str, Any]:
        text = self.render_text(message)
        title = message.title or text.split("\n")[0][:120]
        return {
            "title": title,
            "text": text,
            "link": message.link,
            "kind": message.kind,
            "level": message.level,
        }

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        if rendered.get("kind") != "alert" and not self.config.options.get("include_posts", False):
            return Receipt(remote_id=None, detail={"skipped": "Beiträge sind im Feed abgeschaltet"})
        folder = feed_folder(self.public_dir())
        entry_id = f"urn:ernstfall:{message.extras.get('identifier') or idempotency_key}"
        when = message.extras.get("sent") or datetime.now(UTC).isoformat()
        feeds.store_entry(
            folder,
            feeds.FeedEntry(
                id=entry_id,
                title=str(rendered["title"]),
                text=str(rendered["text"]),
                updated=_aware(when),
                link=rendered.get("link"),
                category=rendered.get("level") or rendered.get("kind"),
            ),
        )
        settings = feed_settings(self.config.options.get("title"))
        feeds.write_feed(folder, FEED_FILE, limit=int(self.config.options.get("max_entries", 50)), **settings)
        return Receipt(remote_id=entry_id, url=settings["self_url"])

    def check(self) -> CheckResult:
        folder = feed_folder(self.public_dir())
        feeds.ensure_feed(folder, FEED_FILE, **feed_settings(self.config.options.get("title")))
        return CheckResult(True, f"Feed {folder / FEED_FILE} beschreibbar")


def _aware(value: str) -> str:
    when = datetime.fromisoformat(value)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()
