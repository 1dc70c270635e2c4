"""The printed notice: readable on a door (headline ≥ 48 pt, text ≥ 20 pt), with the city, date,
time, hotline and a QR code to the darksite; Arabic shaped and right to left; nothing cut off.

Checked on the PDF itself: text extracted with pypdf, font sizes read from the content stream,
the QR code's modules read back from the embedded image."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader

from content_calendar.crisis.blackout import (
    FONT_DIRS,
    FONT_FILES,
    NoticeFacts,
    Typeface,
    find_typeface,
    notice_pdf,
)
from content_calendar.crisis.models import Alert
from publisher.vocabulary import level_colour

FACTS = NoticeFacts(
    city="Stadt Heidelberg",
    timezone="Europe/Berlin",
    hotline="+49 6221 123456",
    darksite_url="https://www.heidelberg.de/notfall",
)
ARABIC_HEADLINE = "اغلوا ماء الشرب في الحي"
ARABIC_TEXT = "يجب غلي ماء الصنبور قبل الشرب أو تنظيف الأسنان."
UNICODE_FONT = find_typeface()
needs_font = pytest.mark.skipif(
    UNICODE_FONT.font_dir is None or not UNICODE_FONT.shaping,
    reason="DejaVu Sans (fonts-dejavu-core) and uharfbuzz are needed for this test",
)


def alert(texts: dict[str, dict[str, str]], *, status: str = "Actual", level: str = "severe") -> Alert:
    return Alert(
        id=7,
        identifier="urn:test:7",
        idempotency_key="k7",
        msg_type="Alert",
        status=status,
        level=level,
        headline=texts["de"]["headline"],
        created_at=datetime(2026, 12, 1, 13, 30, tzinfo=UTC),  # 14:30 in Heidelberg
        variables={},
        texts=texts,
    )


GERMAN = {
    "headline": "Trinkwasser abkochen in Südstadt",
    "text": "Leitungswasser nur abgekocht trinken. Einmal sprudelnd aufkochen und abkühlen lassen.",
}


@dataclass(frozen=True)
class Run:
    text: str
    size: float


def runs(pdf: bytes) -> list[list[Run]]:
    """Each page's text pieces with the size they are drawn at (the Tf size times the text matrix)."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        found: list[Run] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            if text.strip():
                found.append(Run(text, size * tm[0]))  # noqa: B023 (used within this iteration)

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def sizes_in_content_stream(pdf: bytes) -> set[float]:
    sizes = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        data = page.get_contents().get_data()  # type: ignore[union-attr]
        sizes |= {float(size) for size in re.findall(rb"/F\d+ ([\d.]+) Tf", data)}
    return sizes


def fill_colours(pdf: bytes) -> set[tuple[int, int, int]]:
    """The fill colours (``r g b rg``) used on page one, back in 0–255."""
    stream = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()  # type: ignore[union-attr]
    found = re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", stream)
    return {(round(float(r) * 255), round(float(g) * 255), round(float(b) * 255)) for r, g, b in found}


def glyphs_for(pdf: bytes, char: str) -> int:
    """How many different glyphs of any embedded font stand for ``char`` (from its ToUnicode map)."""
    most = 0
    for font in PdfReader(io.BytesIO(pdf)).pages[-1]["/Resources"]["/Font"].values():
        to_unicode = font.get_object().get("/ToUnicode")
        if to_unicode is not None:
            cmap = to_unicode.get_object().get_data().decode()
            codes = re.findall(rf"<[0-9A-F]{{4}}> <{ord(char):04X}>", cmap)
            most = max(most, len(codes))
    return most


def test_the_notice_names_city_date_time_hotline_and_headline() -> None:
    text = text_of(notice_pdf(alert({"de": GERMAN}), FACTS))
    flat = " ".join(text.split())
    assert "Trinkwasser abkochen in Südstadt" in flat
    assert "Stadt Heidelberg" in flat
    assert "Dienstag, 01.12.2026, 14:30 Uhr" in flat  # local time, not the stored UTC 13:30
    assert "Bürgertelefon: +49 6221 123456" in flat
    assert "www.heidelberg.de/notfall" in flat
    assert "112" in flat


def test_the_headline_is_at_least_48_pt_and_no_text_is_under_20_pt() -> None:
    pdf = notice_pdf(alert({"de": GERMAN}), FACTS)
    [page] = runs(pdf)
    headline_words = set(GERMAN["headline"].split())
    headline = [run for run in page if set(run.text.split()) <= headline_words]
    assert headline and min(run.size for run in headline) >= 48
    assert min(run.size for run in page) >= 20
    assert min(sizes_in_content_stream(pdf)) >= 20


def test_a_short_notice_uses_larger_type_than_the_minimum() -> None:
    short = {"headline": "Stromausfall", "text": "Bitte Ruhe bewahren."}
    [page] = runs(notice_pdf(alert({"de": short}), FACTS))
    assert max(run.size for run in page) > 48
    body = [run for run in page if "Ruhe" in run.text]
    assert body and body[0].size > 20


def test_a_headline_word_wider_than_the_page_is_broken_at_a_syllable_with_a_hyphen() -> None:
    headline = "Trinkwasserverunreinigung im Versorgungsgebiet"
    [page] = runs(notice_pdf(alert({"de": {"headline": headline, "text": "Kurz."}}), FACTS))
    lines = [run.text.strip() for run in page if run.size >= 48]
    assert any(line.endswith("-") for line in lines)
    assert " ".join(lines).replace("- ", "") == headline
    assert max(run.size for run in page if "Kurz" in run.text) > 20  # the text is not shrunk with it


def test_a_long_text_shrinks_to_the_minimum_then_continues_on_the_next_page_without_loss() -> None:
    sentence = "Halten Sie sich von der Absperrung fern und folgen Sie den Einsatzkräften."
    sentences = [f"Satz {n}: {sentence}" for n in range(60)]
    pdf = notice_pdf(alert({"de": {"headline": GERMAN["headline"], "text": " ".join(sentences)}}), FACTS)
    pages = runs(pdf)
    assert len(pages) >= 2
    sizes = [run.size for page in pages for run in page]
    assert min(sizes) >= 20 and max(sizes) >= 48
    flat = " ".join(text_of(pdf).split())
    for n in (0, 30, 59):
        assert f"Satz {n}: Halten Sie sich" in flat
    assert "Bürgertelefon: +49 6221 123456" in flat  # the facts after the long text are still there


def test_a_drill_notice_carries_the_drill_mark_and_the_drill_colour() -> None:
    pdf = notice_pdf(alert({"de": GERMAN}, status="Exercise"), FACTS)
    assert "ÜBUNG – GEFAHR" in text_of(pdf)
    assert level_colour("severe", drill=True) in fill_colours(pdf)
    assert level_colour("severe") not in fill_colours(pdf)


def test_a_real_alert_is_printed_in_its_level_colour() -> None:
    pdf = notice_pdf(alert({"de": GERMAN}, level="extreme"), FACTS)
    assert level_colour("extreme") in fill_colours(pdf)
    assert "ÜBUNG" not in text_of(pdf)


def test_the_qr_code_encodes_the_darksite_address() -> None:
    pdf = notice_pdf(alert({"de": GERMAN}), FACTS)
    [image] = PdfReader(io.BytesIO(pdf)).pages[0].images
    picture = image.image.convert("L")  # type: ignore[union-attr]
    expected = segno.make(FACTS.darksite_url, error="m", micro=False)
    modules = expected.symbol_size(scale=1, border=0)[0]
    side = picture.width / (modules + 8)  # four modules of quiet zone each side
    def dark(x: int, y: int) -> bool:
        return bool(picture.getpixel((int((4 + x + 0.5) * side), int((4 + y + 0.5) * side))) < 128)

    read = [[dark(x, y) for x in range(modules)] for y in range(modules)]
    assert read == [[bool(cell) for cell in row] for row in expected.matrix]


@needs_font
def test_an_arabic_alert_prints_shaped_arabic_right_to_left() -> None:
    texts = {"de": GERMAN, "ar": {"headline": ARABIC_HEADLINE, "text": ARABIC_TEXT}}
    pdf = notice_pdf(alert(texts), FACTS, UNICODE_FONT)
    flat = " ".join(text_of(pdf).split())
    assert ARABIC_HEADLINE in flat
    assert "يجب غلي ماء الصنبور" in flat
    assert "Arabisch" in flat and "nicht gedruckt" not in flat
    # Shaped: lam (ل) at the start, in the middle and at the end of a word is drawn with its
    # joined forms, several glyphs for one letter; unshaped text would use one glyph for all.
    assert glyphs_for(pdf, "ل") >= 3
    unshaped = notice_pdf(alert(texts), FACTS, Typeface(font_dir=UNICODE_FONT.font_dir, shaping=False))
    assert "Arabisch: kann hier nicht gedruckt werden" in " ".join(text_of(unshaped).split())


@needs_font
def test_the_arabic_paragraph_is_right_aligned() -> None:
    texts = {"de": GERMAN, "ar": {"headline": ARABIC_HEADLINE, "text": ARABIC_TEXT}}
    pdf = notice_pdf(alert(texts), FACTS, UNICODE_FONT)
    lefts: dict[str, float] = {}

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            lefts.setdefault(text.strip(), tm[4])

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    german_left = min(x for t, x in lefts.items() if "Trinkwasser" in t)
    arabic_left = min(x for t, x in lefts.items() if "الصنبور" in t)
    assert arabic_left > german_left + 20  # starts further right: the line ends at the right margin


def test_without_a_unicode_font_the_notice_says_which_language_it_cannot_print() -> None:
    texts = {
        "de": GERMAN,
        "en": {"headline": "Boil water notice", "text": "Boil tap water before drinking."},
        "ar": {"headline": ARABIC_HEADLINE, "text": ARABIC_TEXT},
        "uk": {"headline": "Кип'ятіть воду", "text": "Кип'ятіть воду з-під крана."},
    }
    pdf = notice_pdf(alert(texts), FACTS, Typeface(font_dir=None, shaping=False))
    flat = " ".join(text_of(pdf).split())
    assert "Trinkwasser abkochen in Südstadt" in flat and "Boil water notice" in flat
    assert "Arabisch: kann hier nicht gedruckt werden" in flat
    assert "Ukrainisch: kann hier nicht gedruckt werden" in flat
    assert "fonts-dejavu-core" in flat and "Notfall-Webseite" in flat
    assert "?" not in flat  # nothing silently garbled


@pytest.mark.parametrize("script", ["install-test-system-deps.sh", "install-print-fonts.sh"])
def test_the_install_scripts_put_the_font_where_the_notice_looks_for_it(script: str) -> None:
    text = (Path(__file__).parents[2] / "scripts" / script).read_text()
    assert "fonts-dejavu-core" in text
    assert any(str(folder) in text for folder in FONT_DIRS)
    assert all(name in text for name in FONT_FILES.values())
