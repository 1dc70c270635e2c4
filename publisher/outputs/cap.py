"""A CAP 1.2 document for one alert message, e.g. for the MoWaS hand-over.

A municipality usually cannot trigger the national warning system itself; the
district control centre can, from a CAP file. Built from ``Message.extras`` (the
same fields the CAP channel gets): identifier, sender, sent, status, msg_type,
references, texts (one ``<info>`` per language), cap (category, urgency, ...),
event and area.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from publisher.channels.base import Message

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"


def cap_time(value: str, timezone: str = "Europe/Berlin") -> str:
    """CAP wants seconds and an explicit offset, no fractions and no "Z"."""
    moment = datetime.fromisoformat(value).astimezone(ZoneInfo(timezone))
    return moment.isoformat(timespec="seconds")


def _add(parent: etree._Element, tag: str, text: str | None) -> None:
    if text:
        etree.SubElement(parent, f"{{{CAP_NS}}}{tag}").text = text


def cap_document(message: Message, timezone: str = "Europe/Berlin") -> bytes:
    extras: dict[str, Any] = message.extras
    cap = extras.get("cap") or {}
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _add(root, "identifier", str(extras["identifier"]))
    _add(root, "sender", str(extras["sender"]))
    _add(root, "sent", cap_time(str(extras["sent"]), timezone))
    _add(root, "status", str(extras.get("status", "Actual")))
    _add(root, "msgType", str(extras.get("msg_type", "Alert")))
    _add(root, "scope", "Public")
    if extras.get("status") == "Exercise":
        _add(root, "note", "ÜBUNG")
    references = extras.get("references") or []
    if references:
        _add(root, "references", " ".join(references))
    texts: dict[str, dict[str, str]] = extras.get("texts") or {message.language: {"text": message.text}}
    for language, parts in texts.items():
        info = etree.SubElement(root, f"{{{CAP_NS}}}info")
        _add(info, "language", language)
        _add(info, "category", cap.get("category", "Other"))
        _add(info, "event", str(extras.get("event") or message.title or "Warnung"))
        if cap.get("responseType"):
            _add(info, "responseType", cap["responseType"])
        _add(info, "urgency", cap.get("urgency", "Unknown"))
        _add(info, "severity", cap.get("severity", "Unknown"))
        _add(info, "certainty", cap.get("certainty", "Unknown"))
        if message.expires_at:
            _add(info, "expires", cap_time(message.expires_at, timezone))
        _add(info, "senderName", extras.get("sender_name"))
        _add(info, "headline", parts.get("headline"))
        _add(info, "description", parts.get("text"))
        _add(info, "web", message.link)
        area = etree.SubElement(info, f"{{{CAP_NS}}}area")
        _add(area, "areaDesc", str(extras.get("area") or "Gemeindegebiet"))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
