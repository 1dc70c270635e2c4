"""The loudspeaker text is written for the ear: times, dates, phone numbers, units and
abbreviations come out as spoken German, before a person or espeak-ng reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from content_calendar.crisis.blackout import announcement_text
from content_calendar.crisis.models import Alert
from content_calendar.crisis.speech import cardinal, for_speech


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Bis 14:30 Uhr im Haus bleiben.", "Bis vierzehn Uhr dreißig im Haus bleiben."),
        ("ab 14:30", "ab vierzehn Uhr dreißig"),
        ("ab 14.30 Uhr", "ab vierzehn Uhr dreißig"),
        ("um 9:00 Uhr", "um neun Uhr"),
        ("um 1:05", "um ein Uhr fünf"),
        ("um 0:15", "um null Uhr fünfzehn"),
        ("ab 18 Uhr", "ab achtzehn Uhr"),
        ("ab 1 Uhr", "ab ein Uhr"),
        ("ab 07 Uhr", "ab sieben Uhr"),
    ],
)
def test_it_says_clock_times_the_way_people_do(written: str, spoken: str) -> None:
    assert for_speech(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("am 03.12.", "am dritten Dezember"),
        ("am 1.3.2026", "am ersten März zweitausendsechsundzwanzig"),
        ("am 24.12.26", "am vierundzwanzigsten Dezember zweitausendsechsundzwanzig"),
        ("seit 7.8.1999", "seit siebten August neunzehnhundertneunundneunzig"),
        ("bis 03.12. 09:00 Uhr", "bis dritten Dezember, neun Uhr"),
    ],
)
def test_it_says_dates_with_ordinal_day_and_month_name(written: str, spoken: str) -> None:
    assert for_speech(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("+49 6221 123456.", "plus vier neun, sechs zwo zwo eins, eins zwo drei vier fünf sechs."),
        ("Tel. 06221/12345-0", "Telefon null sechs zwo zwo eins, eins zwo drei vier fünf, null"),
        ("Notruf 112", "Notruf eins eins zwo"),
        ("Polizei 110", "Polizei eins eins null"),
    ],
)
def test_it_reads_phone_numbers_digit_by_digit_in_their_groups(written: str, spoken: str) -> None:
    assert for_speech(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("bis zu 38 °C", "bis zu achtunddreißig Grad Celsius"),
        ("nachts -5°C", "nachts minus fünf Grad Celsius"),
        ("Böen bis 120 km/h", "Böen bis einhundertzwanzig Kilometer pro Stunde"),
        ("zu 80 % belegt", "zu achtzig Prozent belegt"),
        ("2,5 l pro Person", "zwei Komma fünf Liter pro Person"),
        ("Sperrzone: 1 km", "Sperrzone: ein Kilometer"),
        ("Pegel 3,40 m", "Pegel drei Komma vier null Meter"),
        ("30 l/m² Regen", "dreißig Liter pro Quadratmeter Regen"),
        ("10 min warten", "zehn Minuten warten"),
    ],
)
def test_it_spells_out_units_with_their_amount(written: str, spoken: str) -> None:
    assert for_speech(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("z. B. Wasser", "zum Beispiel Wasser"),
        ("z.B. Wasser", "zum Beispiel Wasser"),
        ("ca. 300 Haushalte", "circa 300 Haushalte"),
        ("Haus Nr. 5", "Haus Nummer 5"),
        ("Hauptstr. 5, bzw. Ringstr. 2", "Hauptstraße 5, beziehungsweise Ringstraße 2"),
        ("d. h. sofort", "das heißt sofort"),
        ("Feuerwehr & Polizei", "Feuerwehr und Polizei"),
        ("Rathaus – Eingang Süd", "Rathaus, Eingang Süd"),
        ("https://www.stadt-x.de/notfall.", "www Punkt stadt Strich x Punkt de Schrägstrich notfall."),
    ],
)
def test_it_spells_out_abbreviations_and_symbols(written: str, spoken: str) -> None:
    assert for_speech(written) == spoken


@pytest.mark.parametrize(
    ("number", "words"),
    [(0, "null"), (1, "eins"), (16, "sechzehn"), (21, "einundzwanzig"), (26, "sechsundzwanzig"),
     (70, "siebzig"), (101, "einhunderteins"), (2026, "zweitausendsechsundzwanzig")],
)
def test_it_writes_whole_numbers_as_one_german_word(number: int, words: str) -> None:
    assert cardinal(number) == words


def test_text_without_anything_to_spell_out_stays_as_it_is() -> None:
    plain = "Bitte bleiben Sie in Gebäuden und schließen Sie Fenster und Türen."
    assert for_speech(plain) == plain


def _alert(status: str = "Actual") -> Alert:
    return Alert(
        id=3,
        identifier="urn:test:3",
        idempotency_key="k3",
        msg_type="Alert",
        status=status,
        level="severe",
        headline="Stromausfall in Südstadt",
        created_at=datetime(2026, 12, 1, 13, 30, tzinfo=UTC),
        variables={},
        texts={
            "de": {
                "headline": "Stromausfall in Südstadt",
                "text": "Strom fehlt bis ca. 14:30 Uhr. Bürgertelefon: +49 6221 123456.",
            }
        },
    )


def test_the_announcement_names_the_city_and_says_everything_twice_in_spoken_form() -> None:
    text = announcement_text(_alert(), "Stadt Heidelberg")
    assert "Stadt Heidelberg informiert." in text
    assert text.count("circa vierzehn Uhr dreißig") == 2
    assert "plus vier neun, sechs zwo zwo eins, eins zwo drei vier fünf sechs" in text
    assert "Ich wiederhole: Stromausfall in Südstadt." in text
    assert "14:30" not in text and "+49" not in text


def test_a_drill_announcement_starts_by_saying_it_is_a_drill() -> None:
    text = announcement_text(_alert(status="Exercise"))
    assert text.startswith("Achtung, dies ist eine Übung.")
    assert "ÜBUNG" not in text  # capitals would be spelled letter by letter
    assert "Ihre Stadtverwaltung informiert." in text
