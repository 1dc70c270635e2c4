"""SMS encoding: GSM-7 or UCS-2, and how many billed segments a text needs.

A single character outside the GSM 03.38 alphabet switches the whole message to
UCS-2, which cuts a segment from 160 to 70 characters and so can double or triple
the cost of an alert sent to thousands of citizens. Word processors put exactly
such characters into German text: „typographic quotes“, the en dash, the ellipsis
and the non-breaking space; weather and crisis texts add °, ½ and ×.
:func:`normalize` replaces them with their GSM equivalents (the table
:data:`TRANSLITERATIONS`, with the reason for each) before anything is counted or
sent, and :func:`describe` tells the editor what was replaced. Letters of other
languages (Turkish ğ, Arabic, Cyrillic) are never replaced: such a text is sent
correctly in UCS-2 instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# GSM 03.38 default alphabet (the escape 0x1B is not a character of its own).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM_EXTENSION = set("^{}\\[~]|€\f")

# Characters editors type (or their word processor inserts) that have a GSM-7 equivalent,
# each with the reason for its replacement. Order matters: longer patterns come first.
# The euro sign is *not* here: it is in the extension table.
_SPACE_BEFORE = "[ \u00a0\u202f\u2009]?"  # "38 °C" and "38°C" both become "38 Grad Celsius"


@dataclass(frozen=True)
class Transliteration:
    pattern: str  # a regular expression
    replacement: str
    reason: str
    shown: str  # the character named to the editor as replaced


TRANSLITERATIONS: tuple[Transliteration, ...] = (
    Transliteration(_SPACE_BEFORE + "°C", " Grad Celsius", "no degree sign in GSM 03.38", "°"),
    Transliteration(_SPACE_BEFORE + "°F", " Grad Fahrenheit", "no degree sign in GSM 03.38", "°"),
    Transliteration(_SPACE_BEFORE + "°", " Grad", "no degree sign in GSM 03.38 (angles, 45°)", "°"),
    Transliteration("(?<=\\d)½", " 1/2", "vulgar fractions are not GSM; '1½' must not read '11/2'", "½"),
    Transliteration("½", "1/2", "vulgar fractions are not GSM", "½"),
    Transliteration("(?<=\\d)¼", " 1/4", "vulgar fractions are not GSM; keep the digits apart", "¼"),
    Transliteration("¼", "1/4", "vulgar fractions are not GSM", "¼"),
    Transliteration("(?<=\\d)¾", " 3/4", "vulgar fractions are not GSM; keep the digits apart", "¾"),
    Transliteration("¾", "3/4", "vulgar fractions are not GSM", "¾"),
    Transliteration("„", '"', "German opening quote: the ASCII quote reads the same", "„"),
    Transliteration("“", '"', "typographic quote", "“"),
    Transliteration("”", '"', "typographic quote", "”"),
    Transliteration("«", '"', "guillemet (Swiss/French quotes)", "«"),
    Transliteration("»", '"', "guillemet (Swiss/French quotes)", "»"),
    Transliteration("‚", "'", "German single opening quote", "‚"),
    Transliteration("‘", "'", "typographic single quote", "‘"),
    Transliteration("’", "'", "typographic apostrophe (word processors: geht’s)", "’"),
    Transliteration("´", "'", "acute accent typed as an apostrophe", "´"),
    Transliteration("`", "'", "grave accent typed as an apostrophe", "`"),
    Transliteration("‹", "'", "single guillemet", "‹"),
    Transliteration("›", "'", "single guillemet", "›"),
    Transliteration("′", "'", "prime (minutes, feet): the apostrophe is the GSM form", "′"),
    Transliteration("″", '"', "double prime (seconds, inches): the quote is the GSM form", "″"),
    Transliteration("–", "-", "en dash (word processors turn ' - ' into it)", "–"),
    Transliteration("—", "-", "em dash", "—"),
    Transliteration("‐", "-", "Unicode hyphen", "‐"),
    Transliteration("‑", "-", "non-breaking hyphen", "‑"),
    Transliteration("‒", "-", "figure dash (phone numbers)", "‒"),
    Transliteration("−", "-", "minus sign (temperatures: −5 Grad)", "−"),
    Transliteration("…", "...", "ellipsis", "…"),
    Transliteration("•", "-", "bullet of a pasted list", "•"),
    Transliteration(
        "·", ":", "middle dot of gender-inclusive forms (Bürger·innen reads as Bürger:innen)", "·"
    ),
    Transliteration("×", "x", "multiplication sign (2 × 3 m)", "×"),
    Transliteration("÷", ":", "division sign; ':' is the German division sign", "÷"),
    Transliteration(
        "ẞ", "SS", "capital sharp s; GSM has only the lowercase ß, SS is the official capital", "ẞ"
    ),
    Transliteration(
        "ç", "c", "GSM 0x09 is a capital Ç, which would show mid-word; a plain c reads naturally", "ç"
    ),
    Transliteration("\u00a0", " ", "no-break space (14 Uhr, 5 €)", "\u00a0"),
    Transliteration("\u202f", " ", "narrow no-break space (5 €, 38 °C)", "\u202f"),
    Transliteration("\u2009", " ", "thin space", "\u2009"),
    Transliteration("\u2007", " ", "figure space", "\u2007"),
    Transliteration("\t", " ", "tab", "\t"),
    Transliteration("\u200b", "", "zero-width space: invisible, yet it forces UCS-2", "\u200b"),
    Transliteration("\u00ad", "", "soft hyphen: invisible, inserted by word processors", "\u00ad"),
    Transliteration("\u2060", "", "word joiner: invisible", "\u2060"),
    Transliteration("\ufeff", "", "byte order mark pasted from a file: invisible", "\ufeff"),
)
_RULES = re.compile("|".join(f"({rule.pattern})" for rule in TRANSLITERATIONS))

SINGLE = {"gsm7": 160, "ucs2": 70}
MULTI = {"gsm7": 153, "ucs2": 67}


@dataclass(frozen=True)
class SmsText:
    """A text as it will be sent: its encoding, length in units and segments."""

    text: str
    encoding: str  # "gsm7" | "ucs2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    replaced: tuple[str, ...]  # typographic characters we replaced
    non_gsm: tuple[str, ...]  # characters that force UCS-2

    @property
    def per_segment(self) -> int:
        return SINGLE[self.encoding] if self.segments <= 1 else MULTI[self.encoding]


def normalize(text: str) -> tuple[str, tuple[str, ...]]:
    """Replace characters by their GSM-7 equivalents; return the text and what was replaced."""
    replaced: dict[str, None] = {}

    def substitute(match: re.Match[str]) -> str:
        rule = TRANSLITERATIONS[(match.lastindex or 1) - 1]
        replaced[rule.shown] = None
        return rule.replacement

    return _RULES.sub(substitute, text), tuple(replaced)


def _gsm_units(char: str) -> int:
    return 2 if char in GSM_EXTENSION else 1


def _ucs2_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1  # a surrogate pair


def _count_segments(sizes: list[int], single: int, multi: int) -> int:
    """Pack characters into segments without splitting one character across two.

    An extension character (2 septets) or a surrogate pair (2 units) is never
    split, so the count matches what the provider bills.
    """
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return segments


def analyse(text: str, *, replace_typographic: bool = True) -> SmsText:
    replaced: tuple[str, ...] = ()
    if replace_typographic:
        text, replaced = normalize(text)
    non_gsm = tuple(dict.fromkeys(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENSION))
    if non_gsm:
        sizes = [_ucs2_units(c) for c in text]
        encoding = "ucs2"
    else:
        sizes = [_gsm_units(c) for c in text]
        encoding = "gsm7"
    segments = _count_segments(sizes, SINGLE[encoding], MULTI[encoding])
    return SmsText(text, encoding, sum(sizes), segments, replaced, non_gsm)


def format_euro(amount: float) -> str:
    """German money format with at least two decimals: 15,00 €, 0,075 €."""
    text = f"{amount:.3f}"
    if text.endswith("0"):
        text = text[:-1]
    return text.replace(".", ",") + " €"


def describe(sms: SmsText, recipients: int, cost_per_segment: float | None) -> str:
    """One German line for the editor: encoding, segments and cost."""
    name = "GSM-7" if sms.encoding == "gsm7" else "UCS-2"
    text = f"SMS: {sms.units} Zeichen {name}, {sms.segments} Teil{'e' if sms.segments != 1 else ''}"
    if cost_per_segment is not None:
        each = sms.segments * cost_per_segment
        text += f", {format_euro(each)} je Empfänger"
        if recipients:
            text += f", {format_euro(each * recipients)} für {recipients} Empfänger"
    if sms.replaced:
        text += " — für GSM-7 ersetzt: " + ", ".join(_replacement_note(c) for c in sms.replaced[:5])
    if sms.non_gsm:
        shown = " ".join(f"„{c}“" for c in sms.non_gsm[:5])
        text += f" — {shown} erzwingt UCS-2 (70 statt 160 Zeichen je Teil)"
    return text


def _replacement_note(shown: str) -> str:
    rule = next(r for r in TRANSLITERATIONS if r.shown == shown)
    visible = {"\u00a0": "geschütztes Leerzeichen", "\t": "Tabulator"}.get(shown)
    if visible is None and not shown.isprintable():
        visible = f"U+{ord(shown):04X}"
    source = visible or shown
    return f"{source} → {rule.replacement.strip()}" if rule.replacement.strip() else f"{source} entfernt"


def segments_needed(units: int, encoding: str) -> int:
    """Segments for ``units`` of plain characters (no split constraints)."""
    if units <= SINGLE[encoding]:
        return 1 if units else 0
    return math.ceil(units / MULTI[encoding])
