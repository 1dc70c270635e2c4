"""SMS: GSM-7 transliterations, each with its reason, and the editor showing what is sent."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from publisher.db import Database
from publisher.text.sms import GSM_BASIC, GSM_EXTENSION, TRANSLITERATIONS, analyse
from tests.calendar.calendar_helpers import CHANNELS_TOML
from tests.conftest import configure_channels, login

CASES = [
    # (typed, sent, reason)
    ("Hitze bis 38 °C", "Hitze bis 38 Grad Celsius", "no degree sign in GSM-7"),
    ("Hitze bis 38°C", "Hitze bis 38 Grad Celsius", "with or without a space before °"),
    ("Hitze bis 38\u202f°C", "Hitze bis 38 Grad Celsius", "a narrow no-break space before ° too"),
    ("Frost: −5 °F", "Frost: -5 Grad Fahrenheit", "Fahrenheit, and the minus sign"),
    ("Neigung 45°", "Neigung 45 Grad", "degrees of an angle"),
    ("Pegel 5′ 30″", "Pegel 5' 30\"", "prime and double prime"),
    ("HAUPTSTRAẞE GESPERRT", "HAUPTSTRASSE GESPERRT", "capital sharp s: GSM has only ß"),
    ("Bürger·innen", "Bürger:innen", "middle dot of gender-inclusive forms"),
    ("1½ Stunden", "1 1/2 Stunden", "a fraction after a digit keeps the numbers apart"),
    ("½ Liter, ¼ Stunde, ¾ voll", "1/2 Liter, 1/4 Stunde, 3/4 voll", "vulgar fractions"),
    ("Sandsäcke 2 × 3", "Sandsäcke 2 x 3", "multiplication sign"),
    ("100 ÷ 4", "100 : 4", "division sign"),
    ("Façade", "Facade", "ç: GSM has only a capital Ç"),
    ("Auf\u00adräumen", "Aufräumen", "invisible soft hyphen from a word processor"),
    ("\ufeffAchtung", "Achtung", "byte order mark from a pasted file"),
    ("„Achtung“ – geht’s", '"Achtung" - geht\'s', "typographic quotes, dash and apostrophe"),
]


@pytest.mark.parametrize(("typed", "sent", "reason"), CASES, ids=[c[2] for c in CASES])
def test_it_sends_the_gsm_7_transliteration(typed: str, sent: str, reason: str) -> None:
    sms = analyse(typed)
    assert (sms.text, sms.encoding) == (sent, "gsm7"), reason


@pytest.mark.parametrize(
    "text", ["Sel uyarısı: ğ ş ı", "Увага: повінь", "تحذير"], ids=["turkish", "ukrainian", "arabic"]
)
def test_letters_of_other_languages_are_kept_and_sent_in_ucs2(text: str) -> None:
    sms = analyse(text)
    assert (sms.text, sms.encoding) == (text, "ucs2")


def test_every_transliteration_states_its_reason_and_yields_gsm_7() -> None:
    for rule in TRANSLITERATIONS:
        assert rule.reason.strip()
        assert all(c in GSM_BASIC or c in GSM_EXTENSION for c in rule.replacement), rule


@given(st.text(max_size=200))
def test_counting_never_raises_and_segments_hold_the_units(text: str) -> None:
    sms = analyse(text)
    assert sms.segments * (160 if sms.encoding == "gsm7" else 70) >= sms.units


@given(st.text(alphabet="abc äöüß„“–°½", max_size=100), st.text(alphabet="abc äöüß", max_size=30))
def test_adding_gsm_text_never_lowers_the_segment_count(text: str, tail: str) -> None:
    assert analyse(text + tail).segments >= analyse(text).segments


def test_the_editor_shows_the_text_that_is_sent_and_what_was_replaced(
    client: FlaskClient, db: Database
) -> None:
    configure_channels(
        db,
        CHANNELS_TOML + '\n[channels.sms]\ntype = "sms"\npreview = true\nrecipients = ["+491701234567"]\n'
        "cost_per_segment = 0.075\n",
    )
    login(client, "redaktion")
    response = client.post(
        "/posts/check", data={"text": "Hitze bis 38 °C – ½ Liter je Stunde!", "link": "", "channels": ["sms"]}
    )
    (sms,) = response.get_json()["channels"]
    assert sms["preview"] == "Hitze bis 38 Grad Celsius - 1/2 Liter je Stunde!"
    assert "GSM-7, 1 Teil" in sms["note"]
    assert "° → Grad Celsius" in sms["note"] and "½ → 1/2" in sms["note"]
