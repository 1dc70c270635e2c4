"""Mastodon's status length, as the server's StatusLengthValidator counts it.

Each case states the rule it checks; the rules are Mastodon's (4.x):
``app/validators/status_length_validator.rb``, ``app/lib/extractor.rb``,
``Account::MENTION_RE`` and ``config/initializers/twitter_regex.rb``.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.text.mastodon import CHARACTERS_RESERVED_PER_URL, MAX_CHARACTERS, count, countable_text

URL = "x" * CHARACTERS_RESERVED_PER_URL

CASES = [
    # (text, count, rule)
    ("Straßensperrung in Köln", 23, "umlauts and ß are one character each"),
    ("Hochwasser 🌊", 12, "an emoji is one character"),
    ("Familie 👨‍👩‍👧‍👦", 9, "a ZWJ family of 7 code points is one grapheme"),
    ("🇩🇪", 1, "a flag (two regional indicators) is one grapheme"),
    ("e\u0301", 1, "a letter with a combining accent is one grapheme"),
    ("Infos: https://www.stadt-musterhausen.de/aktuelles/hochwasser-2026", 7 + 23, "a URL counts 23"),
    ("https://a.de", 23, "a short URL counts 23 too"),
    ("Infos: https://stadt.de/abfall.", 7 + 23 + 1, "a final full stop is not part of the link"),
    ("Siehe https://stadt.de/abfall, danke", 6 + 23 + 7, "a comma after a link is not part of it"),
    ("Wirklich https://stadt.de/?a=b!", 9 + 23 + 1, "an exclamation mark after a link is not part of it"),
    ("(https://stadt.de/info)", 1 + 23 + 1, "an unbalanced closing bracket is not part of the link"),
    ("https://de.wikipedia.org/wiki/Ahr_(Fluss)", 23, "a balanced bracket pair stays in the link"),
    # Mastodon's path end excludes only ASCII quotes and 「」: a closing “ joins the link.
    ("„https://stadt.de/info“", 1 + 23, "a German closing quote right after a link is taken into it"),
    ('"https://stadt.de/info"', 1 + 23 + 1, "an ASCII quote after a link is not part of it"),
    ("https://www.köln.de/straßen", 23, "an IDN host and umlauts in the path are one link"),
    ("stadt.de", 8, "without a scheme Mastodon does not link, so no 23"),
    ("www.stadt.de/abfall", 19, "www. without a scheme is plain text as well"),
    ("https://intranet.local/x", 24, "an unknown top-level domain is not linked"),
    ("gemini://stadt.de/info", 23, "gemini:// is one of the schemes Mastodon links"),
    ("ftp://stadt.de/info", 19, "ftp:// is not"),
    ("Kölnhttps://stadt.de/info", 25, "a scheme glued to a word is no link"),
    ("ühttps://stadt.de/x danke", 1 + 23 + 6, "after a non-ASCII letter it is"),
    ("stadt.de/https://a.de/x", 23, "a link without scheme is none, and the scheme in its path starts none"),
    ("@presse", 7, "a local mention counts as written"),
    ("@presse@social.bund.de danke", 13, "a remote mention counts only @user"),
    ("Danke @feuerwehr@mastodon.social!", 6 + 10 + 1, "the instance of a remote mention is free"),
    ("mail@stadt.de", 13, "an e-mail address is not a mention"),
    ("@presse@social.bund.de/x", 7 + 2, "a mention ends where the domain does"),
    ("   ", 0, "a text of only whitespace counts nothing"),
    ("Ärger über Öl", 13, "German text: one per character"),
    ("Увага: повінь у Києві", 21, "Ukrainian: one per character"),
    ("Dikkat: İstanbul'da sel", 23, "Turkish dotted capital I is one character"),
    ("تحذير من الفيضانات", 18, "Arabic: one per character"),
]


@pytest.mark.parametrize(("text", "expected", "rule"), CASES, ids=[c[2] for c in CASES])
def test_it_counts_like_a_mastodon_server(text: str, expected: int, rule: str) -> None:
    assert count(text) == expected, rule


def test_the_content_warning_counts_together_with_the_text() -> None:
    assert count("Straße gesperrt", spoiler_text="Verkehr") == 7 + 15


def test_a_remote_mention_is_rewritten_to_its_local_part() -> None:
    assert countable_text("Danke @thw@social.thw.de und https://thw.de/x") == f"Danke @thw und {URL}"


def test_the_default_limit_is_mastodons_500() -> None:
    assert MAX_CHARACTERS == 500


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)


@given(texts)
def test_counting_never_raises_and_is_never_negative(text: str) -> None:
    assert count(text) >= 0


@given(texts, st.text(alphabet="abcäöüß ", min_size=1, max_size=20))
def test_adding_plain_words_after_a_space_never_lowers_the_count(text: str, tail: str) -> None:
    assert count(text + " " + tail) >= count(text)
