"""Bluesky: graphemes by current Unicode rules, facets at the right UTF-8 byte offsets.

Facet cases follow the reference ``detectFacets`` of ``@atproto/api`` (rich-text/detection.ts).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.channels import bluesky as bluesky_module
from publisher.channels.base import ChannelConfig, Message
from publisher.channels.bluesky import BlueskyChannel
from publisher.settings import Settings
from publisher.text.bluesky import MAX_BYTES, MAX_GRAPHEMES, facets, graphemes
from tests.fakes.bluesky import FakeBluesky

GRAPHEMES = [
    # (text, graphemes, rule)
    ("Straße", 6, "ß and umlauts are one each"),
    ("Familie 👨‍👩‍👧‍👦", 9, "a ZWJ family is one grapheme"),
    ("🇺🇦🇩🇪", 2, "each flag is one grapheme"),
    ("👍🏽", 1, "an emoji with a skin tone is one grapheme"),
    ("🫱🏼‍🫲🏿", 1, "a newer (Emoji 14) handshake sequence is one grapheme"),
    ("🧑‍🧑‍🧒", 1, "a family sequence from Emoji 15.1 is one grapheme"),
    ("नमस्ते", 3, "Hindi conjuncts (Unicode 15.1, GB9c) do not count double"),
    ("क्षत्रिय", 3, "क्ष and त्रि are conjuncts"),
    ("e\u0301", 1, "a combining accent belongs to its letter"),
    ("İstanbul", 8, "Turkish dotted I"),
    ("تحذير", 5, "Arabic letters are one each"),
    ("\r\n", 1, "CR LF is one grapheme"),
]


@pytest.mark.parametrize(("text", "expected", "rule"), GRAPHEMES, ids=[c[2] for c in GRAPHEMES])
def test_graphemes_follow_current_unicode_rules(text: str, expected: int, rule: str) -> None:
    assert graphemes(text) == expected, rule


def _spans(text: str) -> list[tuple[str, str]]:
    """(the facet's bytes decoded, its uri/tag) for each facet."""
    data = text.encode()
    found = []
    for facet in facets(text):
        index, feature = facet["index"], facet["features"][0]
        found.append(
            (data[index["byteStart"] : index["byteEnd"]].decode(), feature.get("uri") or feature["tag"])
        )
    return found


FACETS: list[tuple[str, list[tuple[str, str]], str]] = [
    (
        "Pegel (https://stadt.de/pegel) aktuell",
        [("https://stadt.de/pegel", "https://stadt.de/pegel")],
        "a link followed by ')' ends before the bracket",
    ),
    (
        "Siehe https://de.wikipedia.org/wiki/Ahr_(Fluss)",
        [("https://de.wikipedia.org/wiki/Ahr_(Fluss)", "https://de.wikipedia.org/wiki/Ahr_(Fluss)")],
        "a bracket pair inside a link stays in it",
    ),
    (
        "Infos: www.stadt.de/abfall.",
        [("www.stadt.de/abfall", "https://www.stadt.de/abfall")],
        "a www. link gets a facet with https:// and without the full stop",
    ),
    # The reference allows no hyphen in a domain without a scheme: write https:// there.
    ("Infos: www.stadt-musterhausen.de", [], "a hyphenated domain needs https:// for a facet"),
    (
        "Infos: https://www.stadt-musterhausen.de",
        [("https://www.stadt-musterhausen.de", "https://www.stadt-musterhausen.de")],
        "with https:// a hyphenated domain is a link",
    ),
    ("Infos: stadt.de", [("stadt.de", "https://stadt.de")], "a bare domain with a known TLD is a link"),
    ("Mo.-Fr. z.B. heute", [], "abbreviations are not links"),
    (
        "Straßen 🚧 gesperrt: https://stadt.example/ü-straße!",
        [("https://stadt.example/ü-straße", "https://stadt.example/ü-straße")],
        "byte offsets count ß, ü and the emoji in UTF-8",
    ),
    ("#Hochwasser! #Ahr2026", [("#Hochwasser", "Hochwasser"), ("#Ahr2026", "Ahr2026")], "hashtags"),
    ("#Straßenfest in Köln", [("#Straßenfest", "Straßenfest")], "a hashtag with ß"),
    ("#2026 ist kein Tag", [], "a hashtag of only digits is no tag"),
]


@pytest.mark.parametrize(("text", "expected", "rule"), FACETS, ids=[c[2] for c in FACETS])
def test_facets_are_found_as_the_reference_finds_them(
    text: str, expected: list[tuple[str, str]], rule: str
) -> None:
    assert _spans(text) == expected, rule


def test_the_limits_are_bluesky_s() -> None:
    assert (MAX_GRAPHEMES, MAX_BYTES) == (300, 3000)


@given(st.text(max_size=120))
def test_facets_never_raise_and_always_cut_the_text_at_character_boundaries(text: str) -> None:
    data = text.encode()
    for facet in facets(text):
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        assert 0 <= start < end <= len(data)
        data[start:end].decode()  # raises if a boundary split a character


@given(st.text(max_size=80), st.text(max_size=20))
def test_adding_text_never_lowers_the_grapheme_count(text: str, tail: str) -> None:
    assert graphemes(text + tail) >= graphemes(text)


# -- mentions: resolved to a DID when sending, against the fake PDS ---------------------


@pytest.fixture
def bsky(instance: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBluesky]:
    fake = FakeBluesky(password="abcd-efgh-ijkl-mnop")
    fake.start()
    monkeypatch.setenv("TEST_BSKY_PASSWORD", "abcd-efgh-ijkl-mnop")
    monkeypatch.setattr(bluesky_module, "_memory_cache", {})  # no session of another fake
    yield fake
    fake.stop()


def _post(fake: FakeBluesky, text: str) -> dict[str, Any]:
    options = {"handle": "stadt.bsky.social", "app_password_env": "TEST_BSKY_PASSWORD"}
    channel = BlueskyChannel(
        ChannelConfig(name="bsky-mention", type="bluesky", base_url=fake.url, options=options)
    )
    message = Message(text=text)
    channel.send(channel.render(message), message, "k")
    ((_, record),) = fake.records.items()
    return record


def test_a_mention_of_a_known_handle_gets_a_facet_with_its_did(bsky: FakeBluesky) -> None:
    bsky.handles["feuerwehr.stadt.de"] = "did:plc:feuerwehr"
    text = "Danke an @feuerwehr.stadt.de für den Einsatz! https://stadt.de/dank"
    record = _post(bsky, text)
    mention, link = record["facets"]
    start, end = mention["index"]["byteStart"], mention["index"]["byteEnd"]
    assert text.encode()[start:end].decode() == "@feuerwehr.stadt.de"
    assert mention["features"] == [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:feuerwehr"}]
    assert link["features"][0]["uri"] == "https://stadt.de/dank"


def test_an_unknown_handle_stays_plain_text_and_the_post_still_goes_out(bsky: FakeBluesky) -> None:
    record = _post(bsky, "Hallo @niemand.example.com")
    assert record["text"] == "Hallo @niemand.example.com"
    assert "facets" not in record
