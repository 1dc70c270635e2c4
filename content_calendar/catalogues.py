"""The message catalogues outside a request: compile them, and translate to a given language.

The web pages translate through Flask-Babel (``content_calendar/web/i18n.py``) in the
reader's language. Some text leaves the app in *another* person's language, outside any
request locale: the opt-in SMS goes out in the language the subscriber chose. This module
serves both from the same catalogues (``content_calendar/web/translations``) without
importing Flask, so the domain packages may use it.

The source strings are German; a language without a catalogue (or a message without a
translation) falls back to German, never to an empty text.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

log = logging.getLogger(__name__)

CATALOGUE_DIR = Path(__file__).resolve().parent / "web" / "translations"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "de"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark only"
    """Mark ``message`` for extraction; it is translated later, where the language is known."""
    return message


class Msg(str):
    """A user-facing message from a domain package: German text that knows its msgid.

    ``Msg("Text %(name)s zu lang", name="Titel")`` *is* the German text (a ``str``, so logs,
    the API and existing callers see German as before) and keeps the msgid and parameters,
    so a page can show it in the reader's language: ``content_calendar.web.i18n.localize``
    (``|localize`` in templates). Extraction finds it like ``N_`` (keyword ``Msg``).
    """

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, **params: object) -> Msg:
        text = super().__new__(cls, msgid % params if params else msgid)
        text.msgid = msgid
        text.params = params
        return text

    def __reduce__(self) -> tuple[object, ...]:  # pickled by Celery/multiprocessing as itself
        return (_rebuild_msg, (self.msgid, self.params))

    def in_language(self, language: str) -> str:
        """This message in ``language`` (German when there is no translation)."""
        return translate(self.msgid, language, **self.params)


def _rebuild_msg(msgid: str, params: dict[str, object]) -> Msg:
    return Msg(msgid, **params)


def available_languages() -> list[str]:
    """The languages that have a catalogue (``de`` always: it is the source language)."""
    found = {path.parent.parent.name for path in CATALOGUE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return sorted(found | {DEFAULT_LANGUAGE})


def compile_catalogues(directory: Path = CATALOGUE_DIR) -> list[Path]:
    """Write each ``.mo`` whose ``.po`` is newer (or that is missing); returns what it wrote.

    ``make install`` compiles with ``pybabel compile``; this covers a fresh clone run any
    other way. A read-only installation keeps what it has (logged, not fatal).
    """
    written = []
    for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as source:
                catalog = read_po(source, locale=po_path.parent.parent.name)
            with mo_path.open("wb") as target:
                write_mo(target, catalog)
        except OSError as exc:
            log.warning("Katalog %s nicht übersetzt: %s", po_path, exc)
            continue
        written.append(mo_path)
    return written


def primary_language(language: str) -> str:
    """``de-x-ls`` (Leichte Sprache) -> ``de``; ``en-GB`` -> ``en``."""
    return language.replace("_", "-").split("-", 1)[0].lower() or DEFAULT_LANGUAGE


@lru_cache(maxsize=32)
def translations_for(language: str) -> NullTranslations:
    """The catalogue of ``language`` (its primary subtag); German source text if there is none."""
    primary = primary_language(language)
    if primary == DEFAULT_LANGUAGE:
        return NullTranslations()
    compile_catalogues()
    loaded = Translations.load(str(CATALOGUE_DIR), [primary], DOMAIN)
    return loaded


def translate(message: str, language: str, **params: object) -> str:
    """``message`` (a German msgid marked with ``N_``) in ``language``, ``%(name)s`` filled in."""
    text = translations_for(language).gettext(message)
    return text % params if params else text
