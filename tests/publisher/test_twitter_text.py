"""The X length counter against the official twitter-text conformance cases (config v3)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from publisher.text.x import extract_urls, parse


def _conformance_dir() -> Path:
    """Peer conformance data: $ERNSTFALL_CONFORMANCE_DIR, else ../shared next to the checkout."""
    configured = os.environ.get("ERNSTFALL_CONFORMANCE_DIR")
    if configured:
        return Path(configured) / "twitter-text"
    return Path(__file__).resolve().parents[3] / "shared" / "conformance" / "twitter-text"


CONFORMANCE = _conformance_dir()
SECTION = "WeightedTweetsWithDiscountedEmojiCounterTest"


def conformance_cases() -> list[Any]:
    path = CONFORMANCE / "validate.yml"
    if not path.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"conformance data missing: {path}"))]
    yaml = pytest.importorskip("yaml", reason="pyyaml (test extra) is needed to read validate.yml")
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["tests"][SECTION]
    return [pytest.param(case, id=case["description"][:60]) for case in cases]


@pytest.mark.parametrize("case", conformance_cases())
def test_weighted_length_matches_twitter_text_v3(case: dict[str, Any]) -> None:
    result = parse(case["text"])
    assert (result.weighted_length, result.valid) == (
        case["expected"]["weightedLength"],
        case["expected"]["valid"],
    )


def test_every_conformance_case_is_run() -> None:
    path = CONFORMANCE / "validate.yml"
    if not path.exists():
        pytest.skip(f"conformance data missing: {path}")
    assert len(conformance_cases()) == 22  # the section as published; a lost case fails here


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("Infos: www.stadt-musterhausen.de", ["www.stadt-musterhausen.de"]),
        ("Infos unter https://stadt.de/abfall.", ["https://stadt.de/abfall"]),
        ("siehe stadt.de/abfall, danke", ["stadt.de/abfall"]),
        ("stadt.de ohne Pfad ist kein Link", []),
        ("Mo.-Fr. 8-18 Uhr, z.B. heute.Morgen", []),
        ("(https://example.org/a_(b))", ["https://example.org/a_(b)"]),
        ("mail@stadt.de ist keine URL", []),
    ],
)
def test_urls_are_found_like_x_finds_them(text: str, urls: list[str]) -> None:
    assert [text[a:b] for a, b in extract_urls(text)] == urls


def test_german_typographic_quotes_and_umlauts_weigh_one() -> None:
    # 29 code points; only the ellipsis (U+2026) lies outside the weight-1 ranges
    assert parse("„Achtung“ – Straße gesperrt …").weighted_length == 30


def test_empty_text_is_not_valid() -> None:
    assert parse("   ").valid is False
