"""The length of an X post, counted the way X counts it (twitter-text, configuration v3).

X does not count characters. Every code point has a weight (Latin, common punctuation
and most European scripts weigh 1, everything else 2, e.g. CJK), every emoji sequence
weighs 2 however many code points it has (a family emoji is 7 code points), and every
URL weighs 23 whatever its length, because X rewrites it to a t.co link. The text is
NFC-normalised first. This module reproduces that rule from the published
configuration so an editor sees the number X will compute before anything is sent.

Differences from the reference implementation, documented in docs/channels.md:

* URLs *without* ``http(s)://`` are recognised only with a top-level domain from
  :data:`KNOWN_TLDS` (all two-letter country codes plus the common generic ones);
  twitter-text uses the full IANA list. URLs with a scheme accept any alphabetic TLD.
* Emoji sequences are recognised with the ``emoji`` package (Unicode RGI data), not
  the twemoji regular expression; a lone ``©`` or ``®`` therefore weighs 2.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import emoji

# Configuration v3 as published by X (twitter-text ``config/v3.json``).
MAX_WEIGHTED_LENGTH = 280
SCALE = 100
DEFAULT_WEIGHT = 200
TRANSFORMED_URL_LENGTH = 23
RANGES: tuple[tuple[int, int, int], ...] = (
    (0, 4351, 100),  # Basic Latin .. Georgian
    (8192, 8205, 100),  # spaces in General Punctuation
    (8208, 8223, 100),  # hyphens and quotes („ “ – —)
    (8242, 8247, 100),  # primes
)
INVALID_CHARACTERS = frozenset("\ufffe\ufeff\uffff")
MAX_URL_LENGTH = 4096

GENERIC_TLDS = frozenset(
    [
        "com",
        "org",
        "net",
        "info",
        "biz",
        "edu",
        "gov",
        "int",
        "mil",
        "name",
        "pro",
        "mobi",
        "app",
        "dev",
        "io",
        "ai",
        "tv",
        "eu",
        "asia",
        "berlin",
        "hamburg",
        "koeln",
        "cologne",
        "bayern",
        "nrw",
        "saarland",
        "ruhr",
        "bzh",
        "wien",
        "tirol",
        "swiss",
        "shop",
        "online",
        "site",
        "website",
        "store",
        "blog",
        "news",
        "media",
        "jobs",
        "email",
        "page",
        "link",
        "live",
        "social",
        "digital",
        "tech",
        "cloud",
        "gmbh",
        "ag",
        "bio",
        "eco",
        "green",
        "museum",
        "travel",
        "events",
    ]
)
# Country-code TLDs are all two letters; twitter-text lists every one of them.
KNOWN_TLDS = GENERIC_TLDS

_URL_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9@＠$#＃\u202a-\u202e])"
    r"(?P<protocol>https?://)?"
    r"(?P<host>(?:[\w-]+\.)+[\w-]+)"
    r"(?P<port>:\d+)?"
    r"(?P<rest>[/?#][^\s]*)?",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?'\"»«“”„‚‘’…)]}>"
_INVALID_BEFORE_WITHOUT_PROTOCOL = "-_./"


@dataclass(frozen=True)
class ParsedTweet:
    weighted_length: int
    valid: bool
    urls: tuple[tuple[int, int], ...] = ()

    @property
    def permillage(self) -> int:
        return self.weighted_length * 1000 // MAX_WEIGHTED_LENGTH


def _is_tld(label: str, with_protocol: bool) -> bool:
    lowered = label.lower()
    if lowered.startswith("xn--"):
        return True
    if not lowered.isalpha():
        return False
    if with_protocol:
        return len(lowered) >= 2
    return (len(lowered) == 2 and lowered.isascii()) or lowered in KNOWN_TLDS


def _valid_host(labels: list[str]) -> bool:
    """Every label 1..63 characters after IDNA encoding, no leading/trailing hyphen."""
    for label in labels:
        if not label or label.startswith("-") or label.endswith("-"):
            return False
        try:
            encoded = label.encode("idna")
        except UnicodeError:
            return False
        if not 1 <= len(encoded) <= 63:
            return False
    return True


def _strip_path(rest: str) -> str:
    """A URL does not end in sentence punctuation; a closing bracket stays if balanced."""
    while rest and rest[-1] in _TRAILING_PUNCTUATION:
        if rest[-1] == ")" and rest.count("(") >= rest.count(")"):
            break
        rest = rest[:-1]
    return rest


def extract_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL X would shorten to a t.co link."""
    if "." not in text:
        return []
    found: list[tuple[int, int]] = []
    for match in _URL_CANDIDATE.finditer(text):
        protocol = match.group("protocol")
        start = match.start()
        if not protocol and start > 0 and text[start - 1] in _INVALID_BEFORE_WITHOUT_PROTOCOL:
            continue
        labels = match.group("host").split(".")
        # Cut labels from the right until the last one is a top-level domain
        # ("stadt.de.Morgen" -> "stadt.de").
        while len(labels) >= 2 and not _is_tld(labels[-1], bool(protocol)):
            labels.pop()
        if len(labels) < 2 or not _valid_host(labels):
            continue
        host = ".".join(labels)
        host_end = match.start("host") + len(host)
        rest = ""
        if len(host) == len(match.group("host")):
            rest = (match.group("port") or "") + _strip_path(match.group("rest") or "")
        if not protocol and not rest and len(labels) == 2 and len(labels[-1]) == 2:
            # twitter-text: "stadt.de" without scheme and path is not a link (ccTLD short domain).
            continue
        end = host_end + len(rest)
        length = end - start + (0 if protocol else len("https://"))
        if length > MAX_URL_LENGTH:
            continue
        found.append((start, end))
    return found


def _char_weight(code_point: int) -> int:
    for first, last, weight in RANGES:
        if first <= code_point <= last:
            return weight
    return DEFAULT_WEIGHT


def parse(text: str) -> ParsedTweet:
    """Weighted length and validity of ``text`` as X computes them."""
    if not text or not text.strip():
        return ParsedTweet(0, False)
    normalized = unicodedata.normalize("NFC", text)
    urls = extract_urls(normalized)
    url_at = dict(urls)
    emoji_at = {e["match_start"]: e["match_end"] for e in emoji.emoji_list(normalized)}
    weighted = 0
    invalid = False
    index = 0
    while index < len(normalized):
        if index in url_at:
            weighted += TRANSFORMED_URL_LENGTH * SCALE
            index = url_at[index]
        elif index in emoji_at:
            weighted += DEFAULT_WEIGHT
            index = emoji_at[index]
        else:
            char = normalized[index]
            weighted += _char_weight(ord(char))
            invalid = invalid or char in INVALID_CHARACTERS
            index += 1
    length = weighted // SCALE
    return ParsedTweet(length, not invalid and length <= MAX_WEIGHTED_LENGTH, tuple(urls))


def weighted_length(text: str) -> int:
    return parse(text).weighted_length
