"""CAP 1.2 (OASIS Common Alerting Protocol) documents for every alert, plus a public index.

Each alert becomes ``<public_dir>/cap/<identifier>.xml`` and an entry in
``<public_dir>/cap/index.atom`` (served at ``/public/cap/...``), static files so
aggregators and the city's web server can fetch them while the app is down.

Rules of the standard we enforce: the identifier has no spaces, commas or ``<&``;
``sent`` carries a numeric offset (``+01:00``, never ``Z``); one ``<info>`` block
per language; an Update or Cancel has its own new identifier and ``references``
naming ``sender,identifier,sent`` of each earlier message; drills are ``Exercise``.
Writing the same document twice replaces it, so this channel is idempotent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from lxml import etree

from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.errors import DeliveryError
from publisher.outputs import feeds
from publisher.outputs.banner import _atomic_write
from publisher.settings import load_settings

NS = "urn:oasis:names:tc:emergency:cap:1.2"
INDEX_FILE = "index.atom"
CAP_PATH = "/public/cap"
FORBIDDEN = re.compile(r"[\s,<&]")
LANGUAGE_RE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
# Our language keys → RFC 3066 values for <language> (de-x-ls: Leichte Sprache, private use).
LANGUAGES = {"de": "de-DE", "en": "en-GB", "de-x-ls": "de-DE-x-ls", "tr": "tr-TR", "uk": "uk-UA", "ar": "ar"}
# Alert level → (urgency, severity, certainty) when the template names none.
LEVELS = {
    "extreme": ("Immediate", "Extreme", "Observed"),
    "severe": ("Expected", "Severe", "Likely"),
    "info": ("Future", "Minor", "Possible"),
    "allclear": ("Past", "Minor", "Observed"),
}
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")


def cap_time(value: str | datetime, tz: str) -> str:
    """``2026-11-21T14:00:00+01:00``: seconds, numeric offset, no fraction, never "Z"."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(ZoneInfo(tz)).replace(microsecond=0).isoformat()


def cap_language(key: str) -> str:
    value = LANGUAGES.get(key, key)
    return value if LANGUAGE_RE.match(value) else "de-DE"


def clean_identifier(value: str) -> str:
    return FORBIDDEN.sub("-", value)


def references_text(references: Any, tz: str) -> str:
    """``sender,identifier,sent`` per referenced message, separated by spaces."""
    if isinstance(references, str):
        return references
    items = references if isinstance(references, list) else [references]
    return " ".join(
        f"{r['sender']},{clean_identifier(str(r['identifier']))},{cap_time(r['sent'], tz)}" for r in items
    )


class CapChannel(ChannelAdapter):
    type_name = "cap"
    label = "CAP 1.2"
    limits: ClassVar[Limits] = Limits(max_length=None, max_media=0, alt_text_required=False)
    idempotent = True

    def opt(self, key: str, default: Any = None) -> Any:
        return self.config.options.get(key, default)

    @property
    def tz(self) -> str:
        return str(self.opt("timezone") or load_settings().timezone)

    @property
    def sender(self) -> str:
        return str(self.opt("sender", ""))

    def public_dir(self) -> Path:
        configured = self.opt("public_dir")
        return Path(str(configured)) if configured else load_settings().public_dir

    def validate(self, message: Message) -> list[Problem]:
        problems: list[Problem] = []
        if not self.sender or FORBIDDEN.search(self.sender):
            problems.append(
                Problem(
                    "sender", "CAP: sender fehlt oder enthält Leerzeichen/Kommas (z. B. warnung@stadt.de)"
                )
            )
        msg_type = message.extras.get("msg_type", "Alert")
        if msg_type not in MSG_TYPES:
            problems.append(Problem("msg_type", f"CAP: msgType {msg_type!r} ungültig"))
        if msg_type in ("Update", "Cancel") and not message.extras.get("references"):
            problems.append(
                Problem("references", f"CAP: {msg_type} braucht den Verweis auf die ursprüngliche Warnung")
            )
        if not (message.extras.get("cap") or {}).get("areaDesc") and not self.opt("area_desc"):
            problems.append(Problem("area", "CAP: Gebietsbeschreibung (area_desc) fehlt"))
        if message.kind == "alert" and not self.texts(message):
            problems.append(Problem("empty", "CAP: Text fehlt"))
        return problems

    def texts(self, message: Message) -> dict[str, dict[str, str]]:
        texts = message.extras.get("texts") or {}
        if texts:
            return {str(k): dict(v) for k, v in texts.items()}
        if message.text.strip():
            return {message.language: {"headline": message.title or "", "text": message.text}}
        return {}

    def render(self, message: Message) -> dict[str, Any]:
        return {"xml": self.build(message, fallback_key="preview").decode("utf-8")}

    def build(self, message: Message, *, fallback_key: str) -> bytes:
        extras = message.extras
        cap_opts: dict[str, Any] = dict(extras.get("cap") or {})
        alert = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})

        def add(parent: etree._Element, tag: str, text: str | None) -> None:
            if text is not None and str(text) != "":
                etree.SubElement(parent, f"{{{NS}}}{tag}").text = str(text)

        msg_type = str(extras.get("msg_type") or "Alert")
        add(
            alert,
            "identifier",
            clean_identifier(str(extras.get("identifier") or f"ernstfall-{fallback_key}")),
        )
        add(alert, "sender", self.sender or "ernstfall@invalid")
        add(alert, "sent", cap_time(extras.get("sent") or datetime.now(UTC), self.tz))
        add(alert, "status", "Exercise" if message.drill else str(extras.get("status") or "Actual"))
        add(alert, "msgType", msg_type)
        add(alert, "source", self.opt("source"))
        add(alert, "scope", "Public")
        if message.drill:
            add(alert, "note", "Übung / Exercise")
        if extras.get("references"):
            add(alert, "references", references_text(extras["references"], self.tz))
        urgency, severity, certainty = LEVELS.get(message.level or "", LEVELS["info"])
        for key, parts in self.texts(message).items():
            info = etree.SubElement(alert, f"{{{NS}}}info")
            add(info, "language", cap_language(key))
            add(info, "category", cap_opts.get("category", "Safety"))
            add(info, "event", cap_opts.get("event") or message.title or "Warnung")
            response = "AllClear" if message.level == "allclear" else cap_opts.get("responseType")
            add(info, "responseType", response)
            add(info, "urgency", cap_opts.get("urgency", urgency))
            add(info, "severity", cap_opts.get("severity", severity))
            add(info, "certainty", cap_opts.get("certainty", certainty))
            if message.expires_at:
                add(info, "expires", cap_time(message.expires_at, self.tz))
            add(info, "senderName", self.opt("sender_name"))
            add(info, "headline", parts.get("headline") or message.title)
            add(info, "description", parts.get("text"))
            add(info, "instruction", parts.get("instruction"))
            add(info, "web", message.link)
            add(info, "contact", self.opt("contact"))
            area = etree.SubElement(info, f"{{{NS}}}area")
            add(area, "areaDesc", cap_opts.get("areaDesc") or self.opt("area_desc") or "Gemeindegebiet")
            for name, value in dict(self.opt("geocodes") or {}).items():
                geocode = etree.SubElement(area, f"{{{NS}}}geocode")
                add(geocode, "valueName", name)
                add(geocode, "value", value)
        data: bytes = etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        return data

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        if message.kind != "alert":
            return Receipt(remote_id=None, detail={"skipped": "CAP nur für Warnungen"})
        if not self.sender:
            raise DeliveryError(f"{self.config.name}: sender fehlt (CAP-Absender)", permanent=True)
        xml = self.build(message, fallback_key=idempotency_key)
        root = etree.fromstring(xml)
        identifier = root.findtext(f"{{{NS}}}identifier") or idempotency_key
        folder = self.public_dir() / "cap"
        _atomic_write(folder / f"{identifier}.xml", xml.decode("utf-8"))
        base = load_settings().public_base_url
        url = f"{base}{CAP_PATH}/{identifier}.xml"
        headline = root.findtext(f"{{{NS}}}info/{{{NS}}}headline") or identifier
        msg_type = root.findtext(f"{{{NS}}}msgType") or "Alert"
        status = root.findtext(f"{{{NS}}}status") or "Actual"
        prefix = {"Update": "Aktualisierung: ", "Cancel": "Aufhebung: "}.get(msg_type, "")
        feeds.store_entry(
            folder,
            feeds.FeedEntry(
                id=f"urn:ernstfall:cap:{identifier}",
                title=("ÜBUNG – " if status == "Exercise" else "") + prefix + headline,
                text=root.findtext(f"{{{NS}}}info/{{{NS}}}description") or headline,
                updated=root.findtext(f"{{{NS}}}sent") or datetime.now(UTC).isoformat(),
                link=url,
                link_type="application/cap+xml",
                category=msg_type,
            ),
        )
        feeds.write_feed(folder, INDEX_FILE, limit=int(self.opt("max_entries", 100)), **index_settings())
        return Receipt(remote_id=identifier, url=url)

    def check(self) -> CheckResult:
        if not self.sender:
            return CheckResult(False, "CAP: sender fehlt")
        folder = self.public_dir() / "cap"
        feeds.ensure_feed(folder, INDEX_FILE, **index_settings())
        return CheckResult(True, f"CAP-Ordner {folder} beschreibbar")


def index_settings() -> dict[str, str]:
    base = load_settings().public_base_url
    return {
        "feed_id": f"{base}{CAP_PATH}/{INDEX_FILE}",
        "title": "CAP-Warnungen",
        "self_url": f"{base}{CAP_PATH}/{INDEX_FILE}",
    }
