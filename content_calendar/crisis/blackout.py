"""The blackout pack: what still works when internet and phones fail.

* a printable A4 notice (PDF) for doors, notice boards and the emergency meeting points
  ("Katastrophenschutz-Leuchttürme"): readable from a few metres (headline at least 48 pt,
  text at least 20 pt), with the city, date and time, the hotline and a QR code to the darksite;
* a loudspeaker announcement written for speech (``content_calendar.crisis.speech``), and audio
  of it if ``espeak-ng`` is installed;
* a "darksite": one self-contained HTML page with the current alerts, to copy to
  any web server or a USB stick (no scripts, no external files);
* the CAP XML for the district control centre (MoWaS hand-over).

Every text comes from the composer (``alert_message``), so the drill and update marks are the
ones approved and sent everywhere else.
"""

from __future__ import annotations

import html
import importlib.util
import io
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.crisis.alerts import message_for_alert
from content_calendar.crisis.compose import PRIMARY_LANGUAGE, alert_message, is_drill
from content_calendar.crisis.models import Alert
from content_calendar.crisis.speech import for_speech
from content_calendar.crisis.templates import LANGUAGE_LABELS, LEVELS
from publisher.models import Channel
from publisher.outputs.cap import CapProfile, cap_document
from publisher.settings import Settings, load_settings
from publisher.vocabulary import DRILL_MARK, MARK_SEPARATOR, CapStatus, level_colour, level_hex_colours

if TYPE_CHECKING:  # fpdf2 (about 34 MB), segno and pyphen: imported only when a notice is printed
    import pyphen
    from fpdf import FPDF

# fpdf2 leaves the cursor right of a cell by default; every block starts a new line
# (XPos.LMARGIN, YPos.NEXT, by name: fpdf2 takes either, and this module loads without it).
NEXT_LINE: dict[str, Any] = {"new_x": "LMARGIN", "new_y": "NEXT"}
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FONT_FAMILY = "DejaVu"  # DejaVu Sans covers Latin, Cyrillic, Turkish and Arabic
DEFAULT_ISSUER = "Ihre Stadtverwaltung"
EMERGENCY_NUMBER = "112"
MARGIN_MM = 15.0
PT_TO_MM = 25.4 / 72
LINE_SPACING = 1.25
QR_SIZE_MM = 45.0
LATIN1_SWAPS = {"„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."}
SOFT_HYPHEN = "\u00ad"


@cache
def german_hyphenation() -> pyphen.Pyphen:
    import pyphen

    return pyphen.Pyphen(lang="de_DE")


WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
MISSING_FONT_NOTE = (
    "{language}: kann hier nicht gedruckt werden – auf dem Server fehlt eine Schrift dafür "
    "(Debian-Paket fonts-dejavu-core, Python-Paket uharfbuzz). Der Text steht auf der Notfall-Webseite."
)


@dataclass(frozen=True)
class Sizes:
    """Font sizes in points: the headline, and everything else."""

    headline: float
    body: float


# Tried from the top: the largest sizes whose block fits on one page win; the last are the minimum
# readable from a few metres, and text that does not fit even then continues on the next page.
SIZE_STEPS = (
    Sizes(72, 32),
    Sizes(64, 28),
    Sizes(58, 26),
    Sizes(54, 24),
    Sizes(50, 22),
    Sizes(48, 20),
)
MINIMUM_SIZES = SIZE_STEPS[-1]


@dataclass(frozen=True)
class Typeface:
    """The font the notice is set in, and what it can show."""

    font_dir: Path | None  # None: only the PDF core fonts (Latin-1)
    shaping: bool  # uharfbuzz present: Arabic joined and right-to-left

    @property
    def family(self) -> str:
        return FONT_FAMILY if self.font_dir else "Helvetica"


@dataclass(frozen=True)
class NoticeFacts:
    """What the notice says besides the alert's text."""

    city: str = DEFAULT_ISSUER
    timezone: str = "Europe/Berlin"
    hotline: str = ""
    darksite_url: str = ""


def find_typeface(dirs: tuple[Path, ...] = FONT_DIRS) -> Typeface:
    found = next((d for d in dirs if all((d / name).exists() for name in FONT_FILES.values())), None)
    return Typeface(font_dir=found, shaping=importlib.util.find_spec("uharfbuzz") is not None)


def hotline_for(alert: Alert, fallback: str = "") -> str:
    """The alert's own phone fields (the template's ``phone`` placeholders), else the configured hotline."""
    spec = alert.template.placeholders if alert.template is not None else {}
    values = alert.variables or {}
    phones = [name for name, meta in spec.items() if meta.get("type") == "phone"]
    numbers = [values[name] for name in phones if values.get(name)]
    return " / ".join(dict.fromkeys(numbers)) or fallback


def notice_facts(alert: Alert, settings: Settings) -> NoticeFacts:
    return NoticeFacts(
        city=settings.city_name or DEFAULT_ISSUER,
        timezone=settings.timezone,
        hotline=hotline_for(alert, settings.hotline),
        darksite_url=settings.darksite_url,
    )


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y, %H:%M Uhr")


def _local_with_weekday(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{WEEKDAYS[local.weekday()]}, {_local(moment, timezone)}"


def is_right_to_left(text: str) -> bool:
    """Whether most letters are Arabic or Hebrew ("ÜBUNG – " in front of Arabic stays Arabic)."""
    directions = [unicodedata.bidirectional(char) for char in text]
    right = sum(d in ("R", "AL") for d in directions)
    return right > 0 and right >= directions.count("L")


def _latin1(text: str, *, lossy: bool = False) -> str | None:
    """Core PDF fonts know Latin-1 only: typographic marks are swapped, anything else cannot be shown."""
    text = "".join(LATIN1_SWAPS.get(ch, ch) for ch in text)
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("latin-1", "replace").decode("latin-1") if lossy else None
    return text


def printable(text: str, face: Typeface) -> str | None:
    """``text`` as the typeface can print it, or None when it would come out wrong."""
    if face.font_dir is None:
        return _latin1(text)
    if is_right_to_left(text) and not face.shaping:
        return None  # unshaped Arabic is unreadable: loose letters in the wrong order
    return text


def _new_pdf(face: Typeface) -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM)
    if face.font_dir is not None:
        for style, name in FONT_FILES.items():
            pdf.add_font(FONT_FAMILY, style, str(face.font_dir / name))
        if face.shaping:
            pdf.set_text_shaping(True)
    return pdf


def _paragraph(pdf: FPDF, face: Typeface, text: str, size: float, *, bold: bool = False, **cell: Any) -> None:
    """One block of text at ``size`` points; right-aligned when it is Arabic."""
    pdf.set_font(face.family, "B" if bold else "", size)
    shown = printable(text, face)
    if shown is None:  # German on page one is printed whatever happens; "?" marks what the font lacks
        shown = (_latin1(text, lossy=True) or text) if face.font_dir is None else text
    rtl = is_right_to_left(shown)
    align = "R" if rtl else cell.pop("align", "L")
    if rtl and face.shaping:  # the paragraph reads right to left even where it starts with "ÜBUNG"
        pdf.set_text_shaping(True, direction="rtl")
    pdf.multi_cell(0, size * PT_TO_MM * LINE_SPACING, shown, align=align, **cell, **NEXT_LINE)
    if rtl and face.shaping:
        pdf.set_text_shaping(True)


def _qr_png(url: str) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


@dataclass(frozen=True)
class NoticeContent:
    """Everything printed, prepared once; the layout is tried at several sizes."""

    band: str
    colour: tuple[int, int, int]
    headline: str
    text: str
    facts: tuple[str, ...]
    darksite_url: str
    languages: tuple[tuple[str, str, str], ...]  # (label, headline, text)


def notice_content(alert: Alert, facts: NoticeFacts) -> NoticeContent:
    drill = is_drill(alert)
    label = LEVELS.get(alert.level, alert.level).upper()
    main = alert_message(alert)
    others = tuple(
        (LANGUAGE_LABELS.get(lang, lang), message.title or "", message.text)
        for lang in alert.texts
        if lang != PRIMARY_LANGUAGE
        for message in (alert_message(alert, language=lang),)
    )
    lines = [f"{facts.city} · Stand: {_local_with_weekday(alert.created_at, facts.timezone)}"]
    if facts.hotline:
        lines.append(f"Bürgertelefon: {facts.hotline}")
    lines.append(f"Notruf (Feuerwehr, Rettungsdienst): {EMERGENCY_NUMBER}")
    return NoticeContent(
        band=MARK_SEPARATOR.join([DRILL_MARK, label]) if drill else label,
        colour=level_colour(alert.level, drill=drill),
        headline=main.title or alert.headline,
        text=main.text,
        facts=tuple(lines),
        darksite_url=facts.darksite_url,
        languages=others,
    )


def _draw_front(pdf: FPDF, face: Typeface, content: NoticeContent, sizes: Sizes) -> None:
    """The German notice: coloured level band, headline, text, facts, QR code."""
    pdf.set_fill_color(*content.colour)
    pdf.set_text_color(255, 255, 255)
    _paragraph(pdf, face, content.band, sizes.body * 1.25, bold=True, fill=True, align="C", padding=2)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(sizes.body * PT_TO_MM * 0.6)
    pdf.set_font(face.family, "B", sizes.headline)
    _paragraph(pdf, face, hyphenated(pdf, content.headline), sizes.headline, bold=True)
    pdf.ln(sizes.body * PT_TO_MM * 0.4)
    _paragraph(pdf, face, content.text, sizes.body)
    pdf.ln(sizes.body * PT_TO_MM * 0.6)
    pdf.set_draw_color(*content.colour)
    pdf.set_line_width(1.2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(sizes.body * PT_TO_MM * 0.4)
    for line in content.facts:
        _paragraph(pdf, face, line, sizes.body, bold=line.startswith("Bürgertelefon"))
    if content.darksite_url:
        _draw_qr(pdf, face, content.darksite_url, sizes)


def _draw_qr(pdf: FPDF, face: Typeface, url: str, sizes: Sizes) -> None:
    from fpdf.enums import XPos, YPos

    pdf.ln(sizes.body * PT_TO_MM * 0.4)
    if pdf.get_y() + QR_SIZE_MM > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    pdf.image(_qr_png(url), x=pdf.l_margin, y=top, w=QR_SIZE_MM, h=QR_SIZE_MM, alt_text=url)
    pdf.set_xy(pdf.l_margin + QR_SIZE_MM + 5, top + 2)
    width = pdf.w - pdf.r_margin - pdf.get_x()
    pdf.set_font(face.family, "", MINIMUM_SIZES.body)  # the caption may be small: the code is the link
    height = MINIMUM_SIZES.body * PT_TO_MM * LINE_SPACING
    caption = "Aktuelle Informationen, auch bei Stromausfall:"
    pdf.multi_cell(width, height, caption, align="L", new_x=XPos.LEFT)
    shown = url.removeprefix("https://").removeprefix("http://")
    shown = printable(shown, face) or shown
    pdf.multi_cell(width, height, shown, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + QR_SIZE_MM))


def _draw_languages(pdf: FPDF, face: Typeface, content: NoticeContent, sizes: Sizes) -> None:
    """The other languages, each its headline and text at the body size."""
    for label, headline, text in content.languages:
        if printable(headline + text, face) is None:
            note = MISSING_FONT_NOTE.format(language=label)
            _paragraph(pdf, face, note, sizes.body, bold=True)
        else:
            _paragraph(pdf, face, f"{label}:", sizes.body, bold=True)
            _paragraph(pdf, face, headline, sizes.body, bold=True)
            _paragraph(pdf, face, text, sizes.body)
        pdf.ln(sizes.body * PT_TO_MM * 0.6)


def _headline_words_fit(pdf: FPDF, face: Typeface, headline: str, sizes: Sizes) -> bool:
    """Whether every word of the headline fits the line: "Unwetterwarnu-ng" is hard to read."""
    pdf.set_font(face.family, "B", sizes.headline)
    shown = printable(headline, face) or _latin1(headline, lossy=True) or headline
    return all(pdf.get_string_width(word) <= _line_width(pdf) for word in shown.split())


def _line_width(pdf: FPDF) -> float:
    return float(pdf.epw - 2 * pdf.c_margin)


def hyphenated(pdf: FPDF, text: str) -> str:
    """``text`` with soft hyphens in the words too wide for a line at the current font.

    At 48 pt "Trinkwasserverunreinigung" is wider than A4; broken at a syllable
    ("Trinkwasser-verunreinigung") it reads, broken at the margin ("Trinkwasserverunrei-nigung"
    without a hyphen) it does not.
    """
    words = text.split(" ")
    return " ".join(
        german_hyphenation().inserted(word, hyphen=SOFT_HYPHEN)
        if pdf.get_string_width(word) > _line_width(pdf)
        else word
        for word in words
    )


Draw = Callable[["FPDF", Typeface, NoticeContent, Sizes], None]


def fitting_sizes(trial: FPDF, face: Typeface, content: NoticeContent, *draws: Draw) -> Sizes:
    """The largest sizes at which the blocks fit on one page; else the minimum (and more pages).

    Each attempt is drawn on a fresh page of ``trial``, a scratch document that is thrown away
    (one document for all attempts: loading the font is the slow part). The headline is never
    set so large that one of its words is broken at the margin, whatever the body size.
    """
    cap = _headline_cap(trial, face, content.headline) if _draw_front in draws else SIZE_STEPS[0].headline
    steps = [replace(sizes, headline=min(sizes.headline, cap)) for sizes in SIZE_STEPS]

    def fits(sizes: Sizes) -> bool:
        trial.add_page()
        first = trial.page
        for draw in draws:
            draw(trial, face, content, sizes)
        return trial.page == first

    if not fits(steps[-1]):  # a long text: one try instead of every step
        return steps[-1]
    return next((sizes for sizes in steps[:-1] if fits(sizes)), steps[-1])


def _headline_cap(pdf: FPDF, face: Typeface, headline: str) -> float:
    """The largest headline size at which every word fits a line (else the minimum, hyphenated)."""
    sizes = [step for step in SIZE_STEPS if _headline_words_fit(pdf, face, headline, step)]
    return sizes[0].headline if sizes else MINIMUM_SIZES.headline


def _has_right_to_left(content: NoticeContent) -> bool:
    texts = [content.headline, content.text, *(part for language in content.languages for part in language)]
    return any(unicodedata.bidirectional(char) in ("R", "AL") for text in texts for char in text)


def notice_pdf(alert: Alert, facts: NoticeFacts | None = None, face: Typeface | None = None) -> bytes:
    """The A4 notice: the German notice on page one, the other languages after it.

    When everything fits on one page at readable sizes it is one page; otherwise the German
    notice keeps page one and the other languages follow. Nothing is ever cut off.
    """
    facts = facts or NoticeFacts()
    content = notice_content(alert, facts)
    face = face or find_typeface()
    # Shaping is slow and only Arabic (and Hebrew) needs it here.
    face = replace(face, shaping=face.shaping and _has_right_to_left(content))
    pdf = _new_pdf(face)
    pdf.set_title(content.headline if printable(content.headline, face) else "Warnung")
    pdf.add_page()
    trial = _new_pdf(face)
    together = fitting_sizes(trial, face, content, _draw_front, _draw_languages)
    if not content.languages or together != MINIMUM_SIZES:
        _draw_front(pdf, face, content, together)
        _draw_languages(pdf, face, content, together)
        return bytes(pdf.output())
    _draw_front(pdf, face, content, fitting_sizes(trial, face, content, _draw_front))
    pdf.add_page()
    _draw_languages(pdf, face, content, fitting_sizes(trial, face, content, _draw_languages))
    return bytes(pdf.output())


def announcement_text(alert: Alert, city: str = "") -> str:
    """For loudspeaker cars: short sentences, said twice, as is practice, written as spoken."""
    main = alert_message(alert)
    headline = (main.title or alert.headline).replace(DRILL_MARK, DRILL_MARK.capitalize())
    text = main.text.replace(DRILL_MARK, DRILL_MARK.capitalize())
    drill = "Achtung, dies ist eine Übung. " if is_drill(alert) else ""
    body = f"{drill}Achtung, Achtung. {city or DEFAULT_ISSUER} informiert. {headline}. {text}"
    return for_speech(f"{body}\n\nIch wiederhole: {headline}. {text}") + "\n"


def announcement_audio(alert: Alert, city: str = "") -> bytes | None:
    """A WAV file spoken by espeak-ng, or None if it is not installed."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "durchsage.wav"
        subprocess.run(
            [binary, "-v", "de", "-s", "140", "-w", str(target), announcement_text(alert, city)],
            check=True,
            timeout=60,
            capture_output=True,
        )
        return target.read_bytes()


def current_alerts(session: Session) -> list[Alert]:
    return list(
        session.scalars(select(Alert).where(Alert.active.is_(True)).order_by(Alert.created_at.desc()))
    )


def darksite_html(
    alerts: list[Alert], timezone: str = "Europe/Berlin", generated: datetime | None = None, city: str = ""
) -> str:
    """A single page with inline CSS, no scripts and no links to load: works from a USB stick."""
    esc = html.escape
    items = []
    for alert in alerts:
        drill = f"<p class='drill'>{DRILL_MARK}</p>" if alert.status == CapStatus.EXERCISE else ""
        langs = "".join(
            f"<section lang='{esc(lang)}'{_direction(p)}><h3>{esc(LANGUAGE_LABELS.get(lang, lang))}: "
            f"{esc(p.get('headline', ''))}</h3><p>{esc(p['text'])}</p></section>"
            for lang, p in alert.texts.items()
            if lang != "de"
        )
        de = alert.texts.get("de") or next(iter(alert.texts.values()))
        items.append(
            f"<article class='{esc(alert.level)}'>{drill}"
            f"<p class='level'>{esc(LEVELS.get(alert.level, alert.level))}</p>"
            f"<h2>{esc(de.get('headline', alert.headline))}</h2><p class='main'>{esc(de['text'])}</p>"
            f"<p class='when'>Stand: {esc(_local(alert.created_at, timezone))}</p>{langs}</article>"
        )
    body = "".join(items) or "<p>Zurzeit gibt es keine Warnung.</p>"
    stamp = _local(generated, timezone) if generated else ""
    title = f"Aktuelle Warnungen – {esc(city)}" if city else "Aktuelle Warnungen"
    colours = level_hex_colours()
    level_css = "".join(
        f".{level}{{border-color:{hex}}}" for level, hex in colours.items() if level != "exercise"
    )
    return f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>
body{{font:18px/1.5 sans-serif;margin:0 auto;max-width:50rem;padding:1rem;color:#111;background:#fff}}
article{{border-left:.6rem solid #333;padding:.5rem 1rem;margin:1rem 0;background:#f7f7f7}}
{level_css}
.level{{font-weight:700;text-transform:uppercase}}.drill{{font-weight:700;color:{colours["exercise"]}}}.main{{font-size:1.2em}}
section{{font-size:.95em}}
</style></head><body><h1>{title}</h1>{body}
<p><small>Notfall-Seite, erstellt {esc(stamp)}.
Bei Stromausfall: Notfall-Anlaufstellen (Leuchttürme) aufsuchen. Notruf 112.</small></p></body></html>
"""


def _direction(parts: dict[str, str]) -> str:
    return " dir='rtl'" if is_right_to_left(parts.get("headline", "") + parts.get("text", "")) else ""


def cap_profile(session: Session, settings: Settings) -> CapProfile:
    """The municipality's CAP data (name, area, ARS) from the CAP channel, shared with the MoWaS file."""
    channel = session.scalar(
        select(Channel).where(Channel.type == "cap", Channel.enabled.is_(True)).order_by(Channel.id).limit(1)
    )
    return CapProfile.from_options(dict(channel.options or {}) if channel else {}, settings.timezone)


def cap_for_alert(session: Session, alert: Alert) -> bytes:
    """The CAP file for the MoWaS hand-over: the same document the CAP channel publishes.

    Raises :class:`~publisher.outputs.cap.CapError` (German message) when the configured
    ARS is not a 12-digit Amtlicher Regionalschlüssel.
    """
    message = message_for_alert(session, alert)
    area = (alert.variables or {}).get("gebiet")
    if area:
        message = replace(message, extras={**message.extras, "area": area})
    return cap_document(message, cap_profile(session, load_settings()), fallback_identifier=str(alert.id))
