"""Mentions, lists, replies, hashtags and cashtags as X finds them (twitter-text rules).

``twitter-text-parser`` (used by :mod:`publisher.text.x`) only extracts URLs and counts
weights; no maintained Python library extracts the other entities. This module follows
the twitter-text specification (github.com/twitter/twitter-text, ``js/src/regexp/`` and
``js/src/extract*.js``, ``js/src/isValid*.js``) and passes the entity sections of its
conformance data (``extract.yml``, ``validate.yml``; tests/text/test_x.py).

The rules, in short:

* **Mention** ``@name`` (or full-width ``＠``): 1–20 of ``[A-Za-z0-9_]``, optionally a list
  ``/slug`` (a letter, then up to 24 of ``[A-Za-z0-9_-]``). Not after a letter, digit, ``_``
  or one of ``! # $ % & * @ ＠``, except after "RT"/"RT:" (retweet). A match followed by an
  ``@``, a Latin accented letter or ``://`` is no mention at all (``@test@example.com``,
  ``@aliceìnheiro``, ``@http://…``).
* **Reply**: the text starts (after spaces only) with a mention.
* **Hashtag** ``#tag`` (or ``＃``): letters, marks, decimal digits and a few joiners
  (``_``, ZWNJ, ZWJ, ``·``, Hebrew geresh/gershayim/maqaf, Japanese marks …) with at least
  one letter or mark; not directly after a letter, digit or ``&``; not followed by ``#``
  or ``://``; not inside a URL; ``#️⃣`` (keycap) is none.
* **Cashtag** ``$TICKER``: 1–6 ASCII letters, optionally ``.`` or ``_`` and 1–2 letters;
  only at the start or after a space, and followed by the end, a space or punctuation.

Indices are code point offsets ``[start, end)``, like :func:`publisher.text.x.extract_urls`
(twitter-text's JavaScript counts UTF-16 units; the two differ only after astral characters).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from publisher.text.x import extract_urls

# -- character classes (twitter-text js/src/regexp/*.js, restated) ----------------------
_SPACES = r"\x09-\x0D\x20\x85\xA0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
_AT_SIGNS = "@＠"
_HASH_SIGNS = "#＃"
# Latin letters with diacritics (and combining marks): a mention may not run into one.
_LATIN_ACCENTS = (
    r"\xC0-\xD6\xD8-\xF6\xF8-\xFF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263"
    r"\u0268\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF"
)
# ASCII punctuation a cashtag may be followed by.
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]\^_{|}~$"
# Joiners and marks that may appear inside a hashtag although they are not letters.
_HASHTAG_SPECIAL = (
    r"_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\xb7"
)
_HASHTAG_ALPHA = r"[\p{L}\p{M}]"
_HASHTAG_ALNUM = rf"[\p{{L}}\p{{M}}\p{{Nd}}{_HASHTAG_SPECIAL}]"

# -- patterns ---------------------------------------------------------------------------
# What may stand right before the "@" of a mention: the start, any character but a
# letter/digit/_ and ! # $ % & * @ ＠, or a retweet mark "RT"/"RT:" in any case.
_MENTION_BEFORE = r"(?:^|[^a-zA-Z0-9_!#$%&*@＠]|(?:^|[^a-zA-Z0-9_+~.\-])(?:rt|RT|rT|Rt):?)"
_MENTION_OR_LIST = regex.compile(
    rf"(?P<before>{_MENTION_BEFORE})[{_AT_SIGNS}]"
    r"(?P<name>[a-zA-Z0-9_]{1,20})(?P<list>/[a-zA-Z][a-zA-Z0-9_\-]{0,24})?",
    regex.VERSION0,
)
_LIST_ONLY = regex.compile(
    rf"[{_AT_SIGNS}][a-zA-Z0-9_]{{1,20}}/[a-zA-Z][a-zA-Z0-9_\-]{{0,24}}", regex.VERSION0
)
_MENTION_MUST_NOT_BE_FOLLOWED_BY = regex.compile(rf"[{_AT_SIGNS}{_LATIN_ACCENTS}]|://")
_REPLY = regex.compile(rf"[{_SPACES}]*[{_AT_SIGNS}](?P<name>[a-zA-Z0-9_]{{1,20}})")

# Before "#": the start, a variation selector, or any character that is not part of a
# hashtag and not "&" (so "&#39;" is no hashtag). The "#" may not start a keycap.
_HASHTAG = regex.compile(
    rf"(?P<before>^|\uFE0E|\uFE0F|(?!{_HASHTAG_ALNUM}|&).)"
    rf"[{_HASH_SIGNS}](?!\uFE0F|\u20E3)"
    rf"(?P<tag>{_HASHTAG_ALNUM}*{_HASHTAG_ALPHA}{_HASHTAG_ALNUM}*)",
    regex.VERSION0 | regex.DOTALL,
)
_HASHTAG_MUST_NOT_BE_FOLLOWED_BY = regex.compile(rf"[{_HASH_SIGNS}]|://")

_CASHTAG = regex.compile(
    rf"(?P<before>^|[{_SPACES}])\$(?P<tag>[a-z]{{1,6}}(?:[._][a-z]{{1,2}})?)(?=$|\s|[{_PUNCT}])",
    regex.VERSION0 | regex.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    """``@screen_name`` or ``@screen_name/list-slug`` (``list_slug`` keeps its "/")."""

    screen_name: str
    list_slug: str
    start: int
    end: int


@dataclass(frozen=True)
class Tag:
    """A hashtag or cashtag without its sign."""

    text: str
    start: int
    end: int


def mentions_or_lists(text: str) -> list[Mention]:
    """Every mention and list mention, in text order."""
    found: list[Mention] = []
    for match in _MENTION_OR_LIST.finditer(text):
        if _MENTION_MUST_NOT_BE_FOLLOWED_BY.match(text, match.end()):
            continue
        start = match.end("before")
        found.append(Mention(match.group("name"), match.group("list") or "", start, match.end()))
    return found


def mentions(text: str) -> list[Mention]:
    """Mentions of accounts (list mentions left out)."""
    return [m for m in mentions_or_lists(text) if not m.list_slug]


def reply_to(text: str) -> str | None:
    """The screen name a text replies to: it starts, after spaces only, with a mention."""
    match = _REPLY.match(text)
    if match is None or _MENTION_MUST_NOT_BE_FOLLOWED_BY.match(text, match.end()):
        return None
    return str(match.group("name"))


def _outside_urls(tags: list[Tag], text: str) -> list[Tag]:
    """Tags and URLs in order of their start; one overlapping the entity before it is dropped.

    So a URL inside a hashtag's text loses ("#bürgerbüro.de" stays a hashtag) and a "#"
    inside a URL is none ("stadt.de/#anker"), as twitter-text's removeOverlappingEntities.
    """
    entities: list[tuple[int, int, Tag | None]] = [(t.start, t.end, t) for t in tags]
    entities += [(start, end, None) for start, end in extract_urls(text)]
    entities.sort(key=lambda entity: entity[0])  # stable: a tag before a URL at the same start
    kept: list[Tag] = []
    previous_end = -1
    for start, end, tag in entities:
        if start < previous_end:
            continue
        previous_end = end
        if tag is not None:
            kept.append(tag)
    return kept


def hashtags(text: str, *, check_url_overlap: bool = True) -> list[Tag]:
    """Hashtags in text order; a hashtag inside a URL (``stadt.de/#anker``) is none."""
    found: list[Tag] = []
    for match in _HASHTAG.finditer(text):
        if _HASHTAG_MUST_NOT_BE_FOLLOWED_BY.match(text, match.end()):
            continue
        found.append(Tag(match.group("tag"), match.end("before"), match.end()))
    return _outside_urls(found, text) if check_url_overlap and found else found


def cashtags(text: str) -> list[Tag]:
    """``$TICKER`` symbols in text order."""
    return [Tag(m.group("tag"), m.end("before"), m.end()) for m in _CASHTAG.finditer(text)]


def is_valid_username(text: str) -> bool:
    """``@name`` and nothing else is one valid mention."""
    return bool(text) and [m.screen_name for m in mentions(text)] == [text[1:]]


def is_valid_list(text: str) -> bool:
    """``@name/list`` and nothing else, with no space before or after."""
    return _LIST_ONLY.fullmatch(text) is not None


def is_valid_hashtag(text: str) -> bool:
    """``#tag`` and nothing else is one valid hashtag."""
    return bool(text) and [t.text for t in hashtags(text)] == [text[1:]]
