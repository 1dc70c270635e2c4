"""Public feeds written as static files, so any web server serves them when the app is down.

Each published item is kept as one small JSON file in ``<public_dir>/<folder>/entries/``;
the Atom file is rebuilt from the newest entries after every write. Writes are
atomic (temp file + rename), so a reader never sees half a feed.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from publisher.outputs.banner import _atomic_write

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class FeedEntry:
    id: str  # globally unique, stable (a tag or urn)
    title: str
    text: str
    updated: str  # ISO 8601 with offset
    link: str | None = None
    link_type: str | None = None  # e.g. application/cap+xml
    category: str | None = None


def entry_name(entry_id: str) -> str:
    return SAFE_NAME.sub("_", entry_id)[:150] + ".json"


def store_entry(folder: Path, entry: FeedEntry) -> None:
    _atomic_write(folder / "entries" / entry_name(entry.id), json.dumps(asdict(entry), ensure_ascii=False))


def load_entries(folder: Path, limit: int) -> list[FeedEntry]:
    entries = []
    for path in (folder / "entries").glob("*.json"):
        try:
            entries.append(FeedEntry(**json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            continue  # a damaged entry must not take the whole feed down
    entries.sort(key=lambda e: datetime.fromisoformat(e.updated), reverse=True)
    return entries[:limit]


def atom_xml(
    *, feed_id: str, title: str, self_url: str, entries: list[FeedEntry], language: str = "de"
) -> bytes:
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.language(language)
    feed.author({"name": title})
    if entries:
        feed.updated(entries[0].updated)
    for item in reversed(entries):  # feedgen prepends: add oldest first so newest is on top
        entry = feed.add_entry()
        entry.id(item.id)
        entry.title(item.title)
        entry.content(item.text, type="text")
        entry.updated(item.updated)
        entry.published(item.updated)
        if item.link:
            entry.link(href=item.link, rel="alternate", type=item.link_type)
        if item.category:
            entry.category(term=item.category)
    return _fix_entry_links(feed.atom_str(pretty=False), entries)


def _fix_entry_links(xml: bytes, entries: list[FeedEntry]) -> bytes:
    """feedgen 1.0.0 drops ``rel`` and ``type`` of entry links (it shadows a variable); set them here."""
    root = etree.fromstring(xml)
    by_id = {e.id: e for e in entries}
    for element in root.findall(f"{{{ATOM_NS}}}entry"):
        item = by_id.get(element.findtext(f"{{{ATOM_NS}}}id") or "")
        link = element.find(f"{{{ATOM_NS}}}link")
        if item is None or link is None:
            continue
        link.set("rel", "alternate")
        if item.link_type:
            link.set("type", item.link_type)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def write_feed(
    folder: Path, file_name: str, *, feed_id: str, title: str, self_url: str, limit: int = 50
) -> Path:
    path = folder / file_name
    xml = atom_xml(feed_id=feed_id, title=title, self_url=self_url, entries=load_entries(folder, limit))
    _atomic_write(path, xml.decode("utf-8"))
    return path


def ensure_feed(folder: Path, file_name: str, **kwargs: Any) -> Path:
    """The feed file, written (possibly empty) if it does not exist yet."""
    path = folder / file_name
    if not path.exists():
        write_feed(folder, file_name, **kwargs)
    return path
