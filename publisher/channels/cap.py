"""CAP 1.2 (OASIS Common Alerting Protocol) documents for every alert, plus a public index.

Each alert becomes ``<public_dir>/cap/<identifier>.xml`` and an entry in
``<public_dir>/cap/index.atom`` (served at ``/public/cap/...``), static files so
aggregators and the city's web server can fetch them while the app is down.

The document itself is written by :mod:`publisher.outputs.cap`, the same writer as
the MoWaS hand-over, so both carry the same sender, times and references. The
channel's options (``sender_name``, ``area_desc``, ``ars``, ``geocodes``,
``contact``) are the municipality's :class:`~publisher.outputs.cap.CapProfile`.
Writing the same document twice replaces it, so this channel is idempotent.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.errors import DeliveryError
from publisher.outputs import feeds
from publisher.outputs.banner import _atomic_write
from publisher.outputs.cap import CAP_NS as NS
from publisher.outputs.cap import (
    CapError,
    CapProfile,
    cap_document,
    document_problems,
    message_sender,
    message_texts,
)
from publisher.settings import load_settings
from publisher.vocabulary import DRILL_MARK, MARK_SEPARATOR, CapMsgType, CapStatus

log = logging.getLogger(__name__)
INDEX_FILE = "index.atom"
CAP_PATH = "/public/cap"
FEED_PREFIXES = {CapMsgType.UPDATE: "Aktualisierung: ", CapMsgType.CANCEL: "Aufhebung: "}


class CapChannel(ChannelAdapter):
    type_name = "cap"
    label = "CAP 1.2"
    limits: ClassVar[Limits] = Limits(max_length=None, max_media=0, alt_text_required=False)
    idempotent = True

    def opt(self, key: str, default: Any = None) -> Any:
        return self.config.options.get(key, default)

    @property
    def profile(self) -> CapProfile:
        """The municipality's CAP data; times in the one configured time zone (as the MoWaS file)."""
        return CapProfile.from_options(self.config.options, self.config.current_settings().timezone)

    def public_dir(self) -> Path:
        configured = self.opt("public_dir")
        return Path(str(configured)) if configured else self.config.current_settings().public_dir

    def validate(self, message: Message) -> list[Problem]:
        problems = [Problem(code, text) for code, text in document_problems(message, self.profile)]
        if message.kind == "alert" and not message_texts(message):
            problems.append(Problem("empty", "CAP: Text fehlt"))
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        try:
            return {"xml": self.build(message, fallback_key="preview").decode("utf-8")}
        except CapError as exc:  # validate() names it; a preview must still show the other channels
            return {"xml": None, "error": str(exc)}

    def build(self, message: Message, *, fallback_key: str) -> bytes:
        return cap_document(message, self.profile, fallback_identifier=fallback_key)

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        if message.kind != "alert":
            return Receipt(remote_id=None, detail={"skipped": "CAP nur für Warnungen"})
        profile = self.profile
        sender = message_sender(message, profile)
        if not sender:
            raise DeliveryError(
                f"{self.config.name}: CAP-Absender fehlt (ERNSTFALL_CAP_SENDER)", permanent=True
            )
        if profile.fallback_sender and profile.fallback_sender != sender:
            log.warning(
                "CAP channel %s: option sender=%s ignored, the alert's sender is %s (ERNSTFALL_CAP_SENDER)",
                self.config.name,
                profile.fallback_sender,
                sender,
            )
        try:
            xml = cap_document(message, profile, fallback_identifier=idempotency_key)
        except CapError as exc:
            raise DeliveryError(f"{self.config.name}: {exc}", permanent=True) from exc
        root = etree.fromstring(xml)
        identifier = root.findtext(f"{{{NS}}}identifier") or idempotency_key
        folder = self.public_dir() / "cap"
        _atomic_write(folder / f"{identifier}.xml", xml.decode("utf-8"))
        url = f"{self.config.current_settings().public_base_url}{CAP_PATH}/{identifier}.xml"
        feeds.store_entry(folder, feed_entry(root, identifier, url))
        feeds.write_feed(folder, INDEX_FILE, limit=int(self.opt("max_entries", 100)), **index_settings())
        return Receipt(remote_id=identifier, url=url)

    def check(self) -> CheckResult:
        problems = self.profile.problems()
        if problems:
            return CheckResult(False, "CAP: " + "; ".join(problems))
        folder = self.public_dir() / "cap"
        feeds.ensure_feed(folder, INDEX_FILE, **index_settings())
        return CheckResult(True, f"CAP-Ordner {folder} beschreibbar")


def feed_entry(root: etree._Element, identifier: str, url: str) -> feeds.FeedEntry:
    """The index entry of one CAP document: marked as drill, update or all-clear in its title."""
    headline = root.findtext(f"{{{NS}}}info/{{{NS}}}headline") or identifier
    msg_type = root.findtext(f"{{{NS}}}msgType") or CapMsgType.ALERT
    drill = root.findtext(f"{{{NS}}}status") == CapStatus.EXERCISE and DRILL_MARK not in headline
    title = FEED_PREFIXES.get(msg_type, "") + headline
    return feeds.FeedEntry(
        id=f"urn:ernstfall:cap:{identifier}",
        title=f"{DRILL_MARK}{MARK_SEPARATOR}{title}" if drill else title,
        text=root.findtext(f"{{{NS}}}info/{{{NS}}}description") or headline,
        updated=root.findtext(f"{{{NS}}}sent") or datetime.now(UTC).isoformat(),
        link=url,
        link_type="application/cap+xml",
        category=msg_type,
    )


def index_settings() -> dict[str, str]:
    base = load_settings().public_base_url
    return {
        "feed_id": f"{base}{CAP_PATH}/{INDEX_FILE}",
        "title": "CAP-Warnungen",
        "self_url": f"{base}{CAP_PATH}/{INDEX_FILE}",
    }
