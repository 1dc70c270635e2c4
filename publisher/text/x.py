"""The length of an X post, counted the way X counts it (twitter-text, configuration v3).

X does not count characters. Every code point has a weight (Latin, common punctuation
and most European scripts weigh 1, everything else 2, e.g. CJK), every emoji sequence
weighs 2 however many code points it has, and every URL weighs 23 whatever its length,
because X rewrites it to a t.co link. Bare domains count as links too, with any TLD
of the IANA list: "stadt.de" weighs 23, not 8.

The counting and URL extraction come from ``twitter-text-parser``, a port of X's own
twitter-text library that passes every URL, TLD and weighting case of the official
conformance data (tests/text/test_x.py runs all of them). This module only states X's
limits as data and gives the rest of the project one small typed interface; mentions,
hashtags and cashtags are found by :mod:`publisher.text.x_entities`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import twitter_text
from twitter_text.config import config as _twitter_text_config
from twitter_text.has_invalid_characters import has_invalid_characters as _has_invalid

# Configuration v3, as X publishes it (twitter-text ``config/v3.json``).
CONFIG_V3: dict[str, Any] = dict(_twitter_text_config["version3"])
MAX_WEIGHTED_LENGTH: int = CONFIG_V3["max_weighted_tweet_length"]
TRANSFORMED_URL_LENGTH: int = CONFIG_V3["transformed_url_length"]


@dataclass(frozen=True)
class ParsedTweet:
    """What X computes for a text: weighted length, validity and the URLs it shortens."""

    weighted_length: int
    valid: bool
    urls: tuple[tuple[int, int], ...] = ()

    @property
    def permillage(self) -> int:
        return self.weighted_length * 1000 // MAX_WEIGHTED_LENGTH


def extract_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) code point offsets of every URL X would shorten to a t.co link."""
    return [
        (int(found["indices"][0]), int(found["indices"][1]))
        for found in twitter_text.extract_urls_with_indices(text)
    ]


def parse(text: str) -> ParsedTweet:
    """Weighted length and validity of ``text`` as X computes them (empty text is invalid)."""
    result = twitter_text.parse_tweet(text, CONFIG_V3)
    return ParsedTweet(int(result.weightedLength), bool(result.valid), tuple(extract_urls(text)))


def has_invalid_characters(text: str) -> bool:
    """True if ``text`` holds a character X refuses (U+FFFE, U+FEFF, U+FFFF)."""
    return bool(_has_invalid(text))


def weighted_length(text: str) -> int:
    return parse(text).weighted_length


# -- URL validation (twitter-text ``isValidUrl``, RFC 3986 with Unicode hosts) -----------
# twitter-text-parser only extracts URLs; checking that one given string is a valid URL
# (e.g. a post's link field) follows RFC 3986 as twitter-text's validator does.
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT}|[^\x00-\x7f\s])"
_USERINFO = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_IPV6 = r"\[[0-9A-Fa-f:.]+\]"
# Letters and digits, and any other non-ASCII character that is not a space ("☃.net").
_LETTER_OR_DIGIT = r"(?:[^\W_]|[^\x00-\x7f\s])"
_SUBDOMAIN = rf"{_LETTER_OR_DIGIT}(?:[\w\-]*{_LETTER_OR_DIGIT})?"  # may hold "_"
_DOMAIN = rf"{_LETTER_OR_DIGIT}(?:(?:{_LETTER_OR_DIGIT}|-)*{_LETTER_OR_DIGIT})?"
_TLD = rf"(?:[A-Za-z]|[^\x00-\x7f\s\d])(?:(?:{_LETTER_OR_DIGIT}|-)*{_LETTER_OR_DIGIT})?"
_HOST = rf"(?:{_IPV4}|{_IPV6}|(?:{_SUBDOMAIN}\.)*(?:{_DOMAIN}\.){_TLD})"
_VALID_URL = re.compile(
    rf"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://)?"
    rf"(?:{_USERINFO}@)?{_HOST}(?::\d+)?"
    rf"(?:/{_PCHAR}*)*(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"
)


def is_valid_url(text: str, *, require_protocol: bool = True) -> bool:
    """Whether ``text`` as a whole is a valid http(s) URL (twitter-text's ``isValidUrl``)."""
    match = _VALID_URL.fullmatch(text)
    if match is None:
        return False
    scheme = match.group("scheme")
    if scheme is None:
        return not require_protocol
    return scheme.lower() in ("http", "https")
