"""The length of a Mastodon status, counted as the server's ``StatusLengthValidator`` does.

Mastodon (4.x, ``app/validators/status_length_validator.rb``) counts

* user-perceived characters (grapheme clusters), not bytes or code points: "👨‍👩‍👧" is 1;
* every URL *with* a scheme as 23 characters (``characters_reserved_per_url``), and only
  those: "stadt.de" without ``https://`` is not a link for Mastodon and counts 8;
* a mention ``@user@instance.example`` as ``@user`` only (the domain is free);
* the content warning (spoiler text) together with the text;
* nothing at all for a text that is only whitespace.

Links are found with Mastodon's variant of the twitter-text URL pattern: the host needs a
known top-level domain, and the path ends before sentence punctuation (".", ",", "!",
"?", ":", ";", quotes) and before an unbalanced ")".

Both numbers are the instance's own: ``/api/v2/instance`` says them in
``configuration.statuses`` (``max_characters``, 500 by default, and
``characters_reserved_per_url``, 23 by default). :class:`InstanceLimits` reads that answer;
the Mastodon channel asks the instance (cached) and passes ``url_length`` to :func:`count`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex
from twitter_text.regexp.latin_accent_chars import latin_accent_chars
from twitter_text.regexp.valid_domain import valid_domain
from twitter_text.regexp.valid_port_number import valid_port_number
from twitter_text.regexp.valid_url_preceding_chars import valid_url_preceding_chars

MAX_CHARACTERS = 500  # Mastodon's default; instances may allow more
CHARACTERS_RESERVED_PER_URL = 23
# Schemes Mastodon links (config/initializers/twitter_regex.rb).
PROTOCOLS = ("https?", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "gemini")

_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_PARENS = rf"\((?:{_PATH_CHAR}+|{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*)\)"
_PATH_END = rf"(?:[^\p{{White_Space}}()?!*\"'「」<>;:=,.$%\[\]~&|@]|{_PARENS})"
_PATH = rf"(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END}|{_PATH_CHAR}+/)"
_UCHARS = (
    r"\u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF\U00010000-\U0001FFFD\U00020000-\U0002FFFD"
    r"\U00030000-\U0003FFFD\U00040000-\U0004FFFD\U00050000-\U0005FFFD\U00060000-\U0006FFFD"
    r"\U00070000-\U0007FFFD\U00080000-\U0008FFFD\U00090000-\U0009FFFD\U000A0000-\U000AFFFD"
    r"\U000B0000-\U000BFFFD\U000C0000-\U000CFFFD\U000D0000-\U000DFFFD\U000E1000-\U000EFFFD"
    r"\U0000E000-\U0000F8FF\U000F0000-\U000FFFFD\U00100000-\U0010FFFD"
)
_QUERY_CHAR = rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^{_UCHARS}]"
_QUERY_END = rf"[a-z0-9_&=#/\-{_UCHARS}]"
URL_RE = regex.compile(
    rf"(?:{valid_url_preceding_chars.pattern})"
    rf"(?P<url>(?P<scheme>(?:{'|'.join(PROTOCOLS)})://)?"
    rf"(?:{valid_domain.pattern})(?::(?:{valid_port_number.pattern}))?"
    rf"(?:/{_PATH}*)?(?:\?{_QUERY_CHAR}*{_QUERY_END})?)",
    regex.IGNORECASE | regex.VERSION0,
)
# Account::MENTION_RE: a local username, optionally followed by @domain.
_USERNAME = r"(?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)"
MENTION_RE = regex.compile(rf"(?<![=/\w])@(?P<user>{_USERNAME})(?:@\w+(?:[.-]+\w+)*)?")
_NOT_A_MENTION_AFTER = regex.compile(rf"[@＠{latin_accent_chars.pattern.strip('[]')}]|://")


@dataclass(frozen=True)
class Entity:
    """A link or mention and what the server counts in its place."""

    start: int
    end: int
    counted_as: str


@dataclass(frozen=True)
class InstanceLimits:
    """An instance's status limits (``/api/v2/instance`` → ``configuration.statuses``)."""

    max_characters: int = MAX_CHARACTERS
    characters_reserved_per_url: int = CHARACTERS_RESERVED_PER_URL

    @classmethod
    def from_instance(cls, body: Any) -> InstanceLimits:
        """The limits an instance states; a missing or nonsensical value keeps its default."""
        return cls.from_statuses(_path(body, "configuration", "statuses"))

    @classmethod
    def from_statuses(cls, statuses: Any) -> InstanceLimits:
        """From the ``configuration.statuses`` object (as stored with the channel)."""
        return cls(
            max_characters=_positive(_path(statuses, "max_characters"), MAX_CHARACTERS),
            characters_reserved_per_url=_positive(
                _path(statuses, "characters_reserved_per_url"), CHARACTERS_RESERVED_PER_URL
            ),
        )


def _path(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _positive(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def _links(text: str, url_length: int) -> list[Entity]:
    """Links with a scheme. As on the server, a scheme-less match is no link but still
    consumes its text: "ühttp://a.de" is no link, the scan goes on after "a.de"."""
    placeholder = "x" * url_length
    return [
        Entity(m.start("url"), m.end("url"), placeholder) for m in URL_RE.finditer(text) if m.group("scheme")
    ]


def _mentions(text: str) -> list[Entity]:
    found = []
    for match in MENTION_RE.finditer(text):
        if _NOT_A_MENTION_AFTER.match(text, match.end()):
            continue
        found.append(Entity(match.start(), match.end(), "@" + match.group("user")))
    return found


def entities(text: str, url_length: int = CHARACTERS_RESERVED_PER_URL) -> list[Entity]:
    """Links and mentions in text order, overlapping ones dropped (the first one wins)."""
    kept: list[Entity] = []
    for entity in sorted(_links(text, url_length) + _mentions(text), key=lambda e: e.start):
        if not kept or entity.start >= kept[-1].end:
            kept.append(entity)
    return kept


def countable_text(text: str, url_length: int = CHARACTERS_RESERVED_PER_URL) -> str:
    """The text with links as ``url_length`` placeholders and mentions without their domain."""
    if not text.strip():
        return ""
    parts: list[str] = []
    position = 0
    for entity in entities(text, url_length):
        parts.append(text[position : entity.start])
        parts.append(entity.counted_as)
        position = entity.end
    parts.append(text[position:])
    return "".join(parts)


def graphemes(text: str) -> int:
    """User-perceived characters by the current Unicode segmentation rules (UAX #29)."""
    return len(regex.findall(r"\X", text))


def count(text: str, spoiler_text: str = "", *, url_length: int = CHARACTERS_RESERVED_PER_URL) -> int:
    """What Mastodon compares with ``max_characters``: spoiler and text, as above."""
    return graphemes(spoiler_text + countable_text(text, url_length))
