"""SMS encoding: GSM-7 or UCS-2, and how many billed segments a text needs.

A single character outside the GSM 03.38 alphabet switches the whole message to
UCS-2, which cuts a segment from 160 to 70 characters and so can double or triple
the cost of an alert sent to thousands of citizens. Word processors put exactly
such characters into German text: „typographic quotes“, the en dash, the ellipsis
and the non-breaking space. :func:`normalize` replaces them with their GSM
equivalents before anything is counted or sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# GSM 03.38 default alphabet (the escape 0x1B is not a character of its own).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM_EXTENSION = set("^{}\\[~]|€\f")

# Characters editors type (or their word processor inserts) that have a GSM
# equivalent. The euro sign is *not* here: it is in the extension table.
TYPOGRAPHIC = {
    "„": '"',
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "‚": "'",
    "‘": "'",
    "’": "'",
    "´": "'",
    "`": "'",
    "‹": "'",
    "›": "'",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "…": "...",
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space
    "\u2009": " ",  # thin space
    "\u200b": "",  # zero-width space
    "\t": " ",
    "•": "-",
}

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
    """Replace typographic characters by GSM equivalents; return the text and what was replaced."""
    replaced: list[str] = []
    out: list[str] = []
    for char in text:
        if char in TYPOGRAPHIC:
            if char not in replaced:
                replaced.append(char)
            out.append(TYPOGRAPHIC[char])
        else:
            out.append(char)
    return "".join(out), tuple(replaced)


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
    if sms.non_gsm:
        shown = " ".join(f"„{c}“" for c in sms.non_gsm[:5])
        text += f" — {shown} erzwingt UCS-2 (70 statt 160 Zeichen je Teil)"
    return text


def segments_needed(units: int, encoding: str) -> int:
    """Segments for ``units`` of plain characters (no split constraints)."""
    if units <= SINGLE[encoding]:
        return 1 if units else 0
    return math.ceil(units / MULTI[encoding])
