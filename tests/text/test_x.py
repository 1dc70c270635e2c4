"""The X counter against the complete official twitter-text conformance data.

The data lives outside the project (``../shared/conformance/twitter-text``, or
``$ERNSTFALL_CONFORMANCE_DIR/twitter-text``); without it these tests skip and say where
they looked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import twitter_text
from hypothesis import given
from hypothesis import strategies as st
from twitter_text.config import config as twitter_text_config

from publisher.text import x_entities
from publisher.text.x import extract_urls, is_valid_url, parse
from publisher.text.x_entities import Mention, Tag


def _conformance_dir() -> Path:
    """Peer conformance data: $ERNSTFALL_CONFORMANCE_DIR, else ../shared next to the checkout."""
    configured = os.environ.get("ERNSTFALL_CONFORMANCE_DIR")
    if configured:
        return Path(configured) / "twitter-text"
    return Path(__file__).resolve().parents[3] / "shared" / "conformance" / "twitter-text"


CONFORMANCE = _conformance_dir()
# Every section of the data and how many cases it has as published: a lost case fails.
SECTIONS = {
    "validate.yml": {
        "tweets": 8,
        "usernames": 4,
        "lists": 5,
        "hashtags": 7,
        "urls": 24,
        "urls_without_protocol": 5,
        "WeightedTweetsCounterTest": 20,
        "WeightedTweetsWithDiscountedEmojiCounterTest": 22,
        "UnicodeDirectionalMarkerCounterTest": 2,
    },
    "extract.yml": {
        "mentions": 23,
        "mentions_with_indices": 3,
        "mentions_or_lists_with_indices": 5,
        "replies": 13,
        "urls": 91,
        "urls_with_indices": 10,
        "urls_with_directional_markers": 2,
        "tco_urls_with_params": 5,
        "hashtags": 65,
        "hashtags_from_astral": 3,
        "hashtags_with_indices": 8,
        "cashtags": 8,
        "cashtags_with_indices": 2,
    },
    "tlds.yml": {"country": 315, "generic": 1259},
}


def _load(file: str) -> dict[str, list[dict[str, Any]]] | None:
    path = CONFORMANCE / file
    if not path.exists():
        return None
    yaml = pytest.importorskip("yaml", reason="pyyaml (test extra) is needed to read the data")
    tests: dict[str, list[dict[str, Any]]] = yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
    return tests


def cases(file: str, *sections: str) -> list[Any]:
    data = _load(file)
    if data is None:
        reason = f"conformance data missing: {CONFORMANCE / file}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [
        pytest.param(case, id=f"{section}: {case['description'][:70]}")
        for section in sections
        for case in data[section]
    ]


def _weighting(version: str) -> dict[str, Any]:
    return {"emoji_parsing_enabled": False, **twitter_text_config[version]}


V3 = "WeightedTweetsWithDiscountedEmojiCounterTest"
COUNTED: tuple[str, ...] = ("weightedLength", "valid", "permillage", "displayRangeStart", "displayRangeEnd")
COUNTED += ("validRangeStart", "validRangeEnd")


def _counted(text: str, options: dict[str, Any]) -> dict[str, Any]:
    return {key: getattr(twitter_text.parse_tweet(text, options), key) for key in COUNTED}


@pytest.mark.parametrize(
    "case",
    cases(
        "validate.yml", "WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest"
    ),
)
def test_our_counter_matches_twitter_text_v3_weighting(case: dict[str, Any]) -> None:
    result = parse(case["text"])
    expected = case["expected"]
    assert (result.weighted_length, result.valid, result.permillage) == (
        expected["weightedLength"],
        expected["valid"],
        expected["permillage"],
    )


@pytest.mark.parametrize(
    "case",
    cases(
        "validate.yml", "WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest"
    ),
)
def test_the_library_matches_every_v3_field_including_ranges(case: dict[str, Any]) -> None:
    expected = {key: case["expected"][key] for key in COUNTED}
    assert _counted(case["text"], twitter_text_config["version3"]) == expected


@pytest.mark.parametrize("case", cases("validate.yml", "WeightedTweetsCounterTest"))
def test_the_library_matches_the_v2_weighting(case: dict[str, Any]) -> None:
    expected = {key: case["expected"][key] for key in COUNTED}
    assert _counted(case["text"], _weighting("version2")) == expected


@pytest.mark.parametrize("case", cases("validate.yml", "tweets"))
def test_tweet_validity_matches_the_legacy_140_rule(case: dict[str, Any]) -> None:
    # This section predates weighting: it is written for config v1 (140 characters).
    assert twitter_text.parse_tweet(case["text"], _weighting("version1")).valid is case["expected"]


@pytest.mark.parametrize("case", cases("validate.yml", "urls"))
def test_url_validation_matches_twitter_text(case: dict[str, Any]) -> None:
    assert is_valid_url(case["text"]) is case["expected"]


@pytest.mark.parametrize("case", cases("validate.yml", "urls_without_protocol"))
def test_url_validation_without_protocol_matches_twitter_text(case: dict[str, Any]) -> None:
    assert is_valid_url(case["text"], require_protocol=False) is case["expected"]


def _urls(text: str) -> list[str]:
    return [text[start:end] for start, end in extract_urls(text)]


@pytest.mark.parametrize(
    "case", cases("extract.yml", "urls", "tco_urls_with_params") + cases("tlds.yml", "country", "generic")
)
def test_url_extraction_matches_twitter_text(case: dict[str, Any]) -> None:
    assert _urls(case["text"]) == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "urls_with_indices", "urls_with_directional_markers"))
def test_url_indices_match_twitter_text(case: dict[str, Any]) -> None:
    found = [{"url": case["text"][a:b], "indices": [a, b]} for a, b in extract_urls(case["text"])]
    assert found == case["expected"]


# -- entities (our own extractor, publisher.text.x_entities) ----------------------------


def _mention_rows(mentions: list[Mention], *, lists: bool) -> list[dict[str, Any]]:
    if lists:
        return [
            {"screen_name": m.screen_name, "list_slug": m.list_slug, "indices": [m.start, m.end]}
            for m in mentions
        ]
    return [{"screen_name": m.screen_name, "indices": [m.start, m.end]} for m in mentions]


def _tag_rows(tags: list[Tag], key: str) -> list[dict[str, Any]]:
    return [{key: t.text, "indices": [t.start, t.end]} for t in tags]


@pytest.mark.parametrize("case", cases("extract.yml", "mentions"))
def test_mentions_are_found_like_twitter_text_finds_them(case: dict[str, Any]) -> None:
    assert [m.screen_name for m in x_entities.mentions(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "mentions_with_indices"))
def test_mention_indices_match_twitter_text(case: dict[str, Any]) -> None:
    assert _mention_rows(x_entities.mentions(case["text"]), lists=False) == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "mentions_or_lists_with_indices"))
def test_list_mentions_and_their_indices_match_twitter_text(case: dict[str, Any]) -> None:
    assert _mention_rows(x_entities.mentions_or_lists(case["text"]), lists=True) == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "replies"))
def test_a_reply_is_recognised_like_twitter_text_recognises_it(case: dict[str, Any]) -> None:
    assert x_entities.reply_to(case["text"]) == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "hashtags", "hashtags_from_astral"))
def test_hashtags_are_found_like_twitter_text_finds_them(case: dict[str, Any]) -> None:
    assert [t.text for t in x_entities.hashtags(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "hashtags_with_indices"))
def test_hashtag_indices_match_twitter_text(case: dict[str, Any]) -> None:
    assert _tag_rows(x_entities.hashtags(case["text"]), "hashtag") == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "cashtags"))
def test_cashtags_are_found_like_twitter_text_finds_them(case: dict[str, Any]) -> None:
    assert [t.text for t in x_entities.cashtags(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", cases("extract.yml", "cashtags_with_indices"))
def test_cashtag_indices_match_twitter_text(case: dict[str, Any]) -> None:
    assert _tag_rows(x_entities.cashtags(case["text"]), "cashtag") == case["expected"]


@pytest.mark.parametrize("case", cases("validate.yml", "usernames"))
def test_username_validation_matches_twitter_text(case: dict[str, Any]) -> None:
    assert x_entities.is_valid_username(case["text"]) is case["expected"]


@pytest.mark.parametrize("case", cases("validate.yml", "lists"))
def test_list_validation_matches_twitter_text(case: dict[str, Any]) -> None:
    assert x_entities.is_valid_list(case["text"]) is case["expected"]


@pytest.mark.parametrize("case", cases("validate.yml", "hashtags"))
def test_hashtag_validation_matches_twitter_text(case: dict[str, Any]) -> None:
    assert x_entities.is_valid_hashtag(case["text"]) is case["expected"]


@pytest.mark.parametrize("file", sorted(SECTIONS))
def test_every_published_section_and_case_is_accounted_for(file: str) -> None:
    data = _load(file)
    if data is None:
        pytest.skip(f"conformance data missing: {CONFORMANCE / file}")
    assert {section: len(found) for section, found in data.items()} == SECTIONS[file]


# -- our own German cases --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("Infos: www.stadt-musterhausen.de", ["www.stadt-musterhausen.de"]),
        ("Infos unter https://stadt.de/abfall.", ["https://stadt.de/abfall"]),
        ("siehe stadt.de/abfall, danke", ["stadt.de/abfall"]),
        ("stadt.de ohne Pfad ist ein Link", ["stadt.de"]),
        ("Pegel: musterhausen.bayern (aktuell)", ["musterhausen.bayern"]),
        ("Mo.-Fr. 8-18 Uhr, z.B. heute.Morgen", []),
        ("(https://example.org/a_(b))", ["https://example.org/a_(b)"]),
        ("mail@stadt.de ist keine URL", []),
        ("https://www.köln.de/straßen gesperrt", ["https://www.köln.de/straßen"]),
    ],
)
def test_urls_are_found_like_x_finds_them(text: str, urls: list[str]) -> None:
    assert _urls(text) == urls


@pytest.mark.parametrize(
    ("text", "weighted"),
    [
        ("stadt.de", 23),  # a bare ccTLD domain is a link: 23, not 8
        ("Infos: stadt.de.", 31),
        ("„Achtung“ – Straße gesperrt …", 30),  # only the ellipsis weighs 2
        ("Hochwasser 🌊", 13),
        ("Familie 👨‍👩‍👧‍👦", 10),  # one emoji sequence weighs 2 whatever its code points
        ("Ärger über Öl", 13),
        ("Warnung: تحذير", 14),  # Arabic (U+0600..) lies inside the weight-1 range
        ("警告 洪水", 9),  # CJK weighs 2
        ("Увага: повінь", 13),  # Cyrillic weighs 1
        ("Dikkat: sel uyarısı", 19),
    ],
)
def test_german_and_international_texts_weigh_as_on_x(text: str, weighted: int) -> None:
    assert parse(text).weighted_length == weighted


def test_empty_text_is_not_valid() -> None:
    # Whitespace alone is valid for twitter-text; the channel reports it as "Text fehlt".
    assert parse("").valid is False


def test_a_post_of_exactly_280_is_valid_and_281_is_not() -> None:
    assert parse("a" * 280).valid is True
    assert parse("a" * 281).valid is False


@given(st.text(max_size=300))
def test_counting_never_raises_and_valid_means_within_280(text: str) -> None:
    parsed = parse(text)
    assert parsed.weighted_length >= 0
    assert not parsed.valid or 0 < parsed.weighted_length <= 280


@given(st.text(max_size=200), st.text(alphabet="abcäöüß ", min_size=1, max_size=20))
def test_adding_plain_words_after_a_space_never_lowers_the_weight(text: str, tail: str) -> None:
    # Not for any suffix: "www.stadt.d" + "e" turns 11 characters into one 23-weight link.
    assert parse(text + " " + tail).weighted_length >= parse(text).weighted_length
