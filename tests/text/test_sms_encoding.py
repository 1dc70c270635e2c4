"""GSM-7 / UCS-2 detection and segment counting as providers bill it."""

from __future__ import annotations

import pytest

from publisher.text.sms import analyse, describe


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("€" * 80, "gsm7", 160, 1),  # euro is in the extension table: 2 septets each
        ("€" * 81, "gsm7", 162, 2),
        ("[]{}", "gsm7", 8, 1),
        ("ğ" * 70, "ucs2", 70, 1),
        ("ğ" * 71, "ucs2", 71, 2),
        ("ğ" * 134, "ucs2", 134, 2),
        ("ğ" * 135, "ucs2", 135, 3),
        ("😀" * 35, "ucs2", 70, 1),  # outside the BMP: a surrogate pair, 2 units
        ("Straße, Ärger, Öl, Übung, é, à", "gsm7", 30, 1),
        ("", "gsm7", 0, 0),
    ],
)
def test_counts_units_and_segments(text: str, encoding: str, units: int, segments: int) -> None:
    sms = analyse(text)
    assert (sms.encoding, sms.units, sms.segments) == (encoding, units, segments)


def test_typographic_quotes_dashes_ellipsis_and_nbsp_stay_gsm() -> None:
    sms = analyse("„Achtung“ – Sperrung ‚Nordbrücke‘ … ab 14\u00a0Uhr — 5\u202f€")
    assert sms.encoding == "gsm7"
    assert sms.text == "\"Achtung\" - Sperrung 'Nordbrücke' ... ab 14 Uhr - 5 €"
    assert set(sms.replaced) == {"„", "“", "–", "‚", "‘", "…", "\u00a0", "—", "\u202f"}


def test_without_replacement_one_quote_switches_to_ucs2() -> None:
    text = "„" + "a" * 100
    assert analyse(text, replace_typographic=False).encoding == "ucs2"
    assert analyse(text, replace_typographic=False).segments == 2
    assert analyse(text).segments == 1


def test_extension_character_is_not_split_across_segments() -> None:
    # 152 plain + "€" would be 154 septets in segment one: the euro moves to segment two,
    # so 306 septets need three segments although 2 x 153 = 306.
    sms = analyse("a" * 152 + "€" + "a" * 152)
    assert sms.units == 306
    assert sms.segments == 3


def test_describe_names_cost_and_the_character_forcing_ucs2() -> None:
    line = describe(analyse("Warnung 😀"), recipients=200, cost_per_segment=0.075)
    assert "UCS-2" in line and "„😀“" in line
    assert "0,075 € je Empfänger" in line
    assert "15,00 € für 200 Empfänger" in line
