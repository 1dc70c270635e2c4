"""Text for the ear: what a loudspeaker announcement says, written out the way it is spoken.

espeak-ng reads "14:30" as "vierzehn Doppelpunkt dreißig", "+49 6221 123456" as one huge
number and "z. B." letter by letter; a person reading the text aloud from a loudspeaker car
stumbles the same way. ``for_speech`` rewrites such things in German words before the text is
printed or synthesised. Each rule is a row in a table, applied in order: phone numbers first
(their digit groups look like times and dates), then dates, times, units and abbreviations.
"""

from __future__ import annotations

import re
from collections.abc import Callable

ONES = ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun")
TEENS = tuple("zehn elf zwölf dreizehn vierzehn fünfzehn sechzehn siebzehn achtzehn neunzehn".split())  # noqa: SIM905
TENS = ("", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig")
# On the phone Germans say "zwo", so that "zwei" and "drei" cannot be confused over a bad line.
PHONE_DIGITS = ("null", "eins", "zwo", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun")
MONTHS = tuple("Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split())  # noqa: SIM905
# Ordinals as said after "am", "bis zum", "ab dem" (dative): "am dritten Dezember".
IRREGULAR_ORDINALS = {1: "ersten", 3: "dritten", 7: "siebten", 8: "achten"}

# A number followed by one of these; longest first so "km/h" wins over "km".
UNITS: tuple[tuple[str, str], ...] = (
    ("km/h", "Kilometer pro Stunde"),
    ("l/m²", "Liter pro Quadratmeter"),
    ("°C", "Grad Celsius"),
    ("°", "Grad"),
    ("%", "Prozent"),
    ("km", "Kilometer"),
    ("cm", "Zentimeter"),
    ("mm", "Millimeter"),
    ("m³", "Kubikmeter"),
    ("m²", "Quadratmeter"),
    ("m", "Meter"),
    ("kg", "Kilogramm"),
    ("t", "Tonnen"),
    ("l", "Liter"),
    ("Std.", "Stunden"),
    ("Min.", "Minuten"),
    ("min", "Minuten"),
    ("h", "Stunden"),
)
# Abbreviations common in municipal warnings, spelled out; with or without the inner space.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"z\.\s?B\.", "zum Beispiel"),
    (r"d\.\s?h\.", "das heißt"),
    (r"u\.\s?a\.", "unter anderem"),
    (r"u\.\s?U\.", "unter Umständen"),
    (r"ca\.", "circa"),
    (r"Nr\.", "Nummer"),
    (r"bzw\.", "beziehungsweise"),
    (r"ggf\.", "gegebenenfalls"),
    (r"usw\.", "und so weiter"),
    (r"inkl\.", "inklusive"),
    (r"evtl\.", "eventuell"),
    (r"Tel\.", "Telefon"),
    (r"Str\.", "Straße"),
    (r"Hbf\.?", "Hauptbahnhof"),
)
SYMBOLS: tuple[tuple[str, str], ...] = (
    ("&", " und "),
    ("§", " Paragraf "),
    ("–", ","),  # a dash is a pause
    ("—", ","),
)


def cardinal(number: int) -> str:
    """A whole number in German words, as one word ("dreihundertvierundzwanzig")."""
    if number < 0:
        return "minus " + cardinal(-number)
    if number < 10:
        return ONES[number]
    if number < 20:
        return TEENS[number - 10]
    if number < 100:
        tens, ones = divmod(number, 10)
        return (_prefix(ones) + "und" if ones else "") + TENS[tens]
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return _prefix(hundreds) + "hundert" + (cardinal(rest) if rest else "")
    if number < 1_000_000:
        thousands, rest = divmod(number, 1000)
        return _prefix(thousands) + "tausend" + (cardinal(rest) if rest else "")
    return " ".join(PHONE_DIGITS[int(d)] for d in str(number))  # too long to be a quantity


def _prefix(number: int) -> str:
    """ "ein" in front of hundert/tausend, never "eins"."""
    return "ein" if number == 1 else cardinal(number)


def ordinal(number: int) -> str:
    if number in IRREGULAR_ORDINALS:
        return IRREGULAR_ORDINALS[number]
    return cardinal(number) + ("ten" if number < 20 else "sten")


def year(number: int) -> str:
    """1999 is "neunzehnhundertneunundneunzig", 2026 "zweitausendsechsundzwanzig"."""
    if 1100 <= number < 2000:
        hundreds, rest = divmod(number, 100)
        return cardinal(hundreds) + "hundert" + (cardinal(rest) if rest else "")
    return cardinal(number)


def clock(hours: int, minutes: int) -> str:
    """14:30 is "vierzehn Uhr dreißig", 1:00 "ein Uhr", 0:05 "null Uhr fünf"."""
    said = ("ein" if hours == 1 else cardinal(hours)) + " Uhr"
    return f"{said} {cardinal(minutes)}" if minutes else said


def digits(group: str) -> str:
    """ "112" is "eins eins zwo"."""
    return " ".join(PHONE_DIGITS[int(d)] for d in group if d.isdigit())


def phone(number: str) -> str:
    """Digit groups read one by one, groups separated by a pause: "null sechs zwo zwo eins, …"."""
    groups = [g for g in re.split(r"[\s/()\-]+", number.strip()) if g]
    return ", ".join(("plus " if g.startswith("+") else "") + digits(g) for g in groups)


def _phone(match: re.Match[str]) -> str:
    # Fewer than six digits is a time or a quantity ("07 Uhr"), not a phone number.
    return phone(match[0]) if sum(ch.isdigit() for ch in match[0]) >= MIN_PHONE_DIGITS else match[0]


def _decimal(text: str) -> str:
    """ "2,5" is "zwei Komma fünf"; digits after the comma are read one by one."""
    sign = "minus " if text.startswith(("-", "−")) else ""
    whole, _, fraction = text.lstrip("-−").partition(",")
    said = sign + cardinal(int(whole.replace(".", "")))
    if fraction:
        said += " Komma " + " ".join(ONES[int(d)] for d in fraction)
    return said


def _unit_amount(text: str) -> str:
    return "ein" if text == "1" else _decimal(text)


MIN_PHONE_DIGITS = 6
NUMBER = r"[-−]?\d{1,3}(?:\.\d{3})*(?:,\d+)?|[-−]?\d+(?:,\d+)?"
# A phone number: starts with + or 0, at least six digits, groups joined by space, / or -.
PHONE = re.compile(r"(?<![\w.,:])(?:\+|0)\d+(?:[ /\-]?\(?\d+\)?){1,6}(?![\w.,:]\d)")
EMERGENCY = re.compile(r"\b(Notruf(?:nummer)?|Feuerwehr|Polizei|Rettungsdienst)\s+(11[02])\b")
DATE = re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.(\d{4}|\d{2}(?!\d))?")
TIME = re.compile(r"\b([01]?\d|2[0-3])(?::|\.(?=\d\d\s*Uhr))([0-5]\d)\b(\s*Uhr\b)?")
FULL_HOUR = re.compile(r"\b([01]?\d|2[0-4])\s+Uhr\b")
DATE_BEFORE_TIME = re.compile(DATE.pattern + r"\s+(?=\d{1,2}:\d\d)")
STREET = re.compile(r"(?<=[a-zß])str\.(?=[\s,]|$)")  # "Hauptstr. 5"
URL = re.compile(r"\bhttps?://(\S+?)(?=[.,;:!?]?(?:\s|$))")


def _date(match: re.Match[str]) -> str:
    day, month, given_year = int(match[1]), int(match[2]), match[3]
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match[0]
    said = f"{ordinal(day)} {MONTHS[month - 1]}"
    if given_year:
        full = int(given_year) + (2000 if len(given_year) == 2 else 0)
        said += " " + year(full)
    return said


def _time(match: re.Match[str]) -> str:
    return clock(int(match[1]), int(match[2]))


def _unit(unit: str, words: str) -> tuple[re.Pattern[str], Callable[[re.Match[str]], str]]:
    # "°C" and "%" may follow the number directly; letter units need a word boundary after them.
    tail = r"(?![\w²³])" if unit[-1].isalpha() or unit[-1] == "." else ""
    pattern = re.compile(rf"(?<![\w,.])({NUMBER})\s?{re.escape(unit)}{tail}")
    return pattern, lambda m: f"{_unit_amount(m[1])} {words}"


def _url(match: re.Match[str]) -> str:
    address = match[1].rstrip("/")
    return address.replace(".", " Punkt ").replace("/", " Schrägstrich ").replace("-", " Strich ")


RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str], ...] = (
    (URL, _url),
    (EMERGENCY, lambda m: f"{m[1]} {digits(m[2])}"),
    (PHONE, _phone),
    (DATE_BEFORE_TIME, lambda m: _date(m).strip() + ", "),
    (DATE, _date),
    (TIME, _time),
    (FULL_HOUR, lambda m: clock(int(m[1]), 0)),
    *(_unit(unit, words) for unit, words in UNITS),
    (STREET, "straße"),
    *((re.compile(rf"(?<!\w){pattern}(?!\w)"), words) for pattern, words in ABBREVIATIONS),
)


def for_speech(text: str) -> str:
    """``text`` with times, dates, phone numbers, units and abbreviations in spoken German."""
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    for symbol, words in SYMBOLS:
        text = text.replace(symbol, words)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",\s*,", ",", text)
    return re.sub(r"[ \t]+", " ", text).strip()
