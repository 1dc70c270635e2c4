"""Bluesky's text rules: 300 graphemes, 3,000 bytes, and rich-text facets by UTF-8 byte offsets.

Bluesky (``app.bsky.feed.post``) limits a post to 300 grapheme clusters *and* 3,000
bytes of UTF-8. Graphemes are counted with the ``regex`` module's ``\\X``, which follows
the current Unicode segmentation rules (UAX #29: Indic conjuncts, emoji ZWJ sequences,
flags), as the Bluesky app does with ``Intl.Segmenter``.

A link, hashtag or mention is only clickable if the record carries a *facet* for it,
addressed by byte offsets into the UTF-8 text (not character indices). Facets are found
with the ``atproto`` SDK's port of the reference ``detectFacets`` (``@atproto/api``): "www."
and bare domains with a known TLD become ``https://`` links, a trailing ".,;:!?" is not
part of a link, and a trailing ")" only when the link holds no "(".
Mentions need the handle resolved to a DID, which is a network call: :func:`mentions` finds
them here, the channel resolves them when it sends.
"""

from __future__ import annotations

from typing import Any

import regex
from atproto_client.utils.facet_detection import MentionMatch, detect_facets, detect_mentions

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"
MENTION = "app.bsky.richtext.facet#mention"


def graphemes(text: str) -> int:
    """User-perceived characters by the current Unicode rules."""
    return len(regex.findall(r"\X", text))


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def facet(byte_start: int, byte_end: int, feature: dict[str, str]) -> dict[str, Any]:
    """One facet as the record stores it."""
    return {"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}


def _feature(model: Any) -> dict[str, str]:
    data: dict[str, str] = model.model_dump(by_alias=True, exclude_none=True)
    return data


def facets(text: str) -> list[dict[str, Any]]:
    """Link, hashtag and cashtag facets (no network needed), in text order."""
    return [
        facet(found.index.byte_start, found.index.byte_end, _feature(found.features[0]))
        for found in detect_facets(text)
    ]


def mentions(text: str) -> list[MentionMatch]:
    """``@handle.example`` mentions with their byte range; the handle still needs its DID."""
    return list(detect_mentions(text))


def mention_facet(mention: MentionMatch, did: str) -> dict[str, Any]:
    return facet(mention.byte_start, mention.byte_end, {"$type": MENTION, "did": did})
