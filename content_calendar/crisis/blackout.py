"""The blackout pack: what still works when internet and phones fail.

* a printable A4 notice (PDF) for notice boards and the emergency meeting points
  ("Katastrophenschutz-Leuchttürme");
* a loudspeaker announcement (text, and audio if ``espeak-ng`` is installed);
* a "darksite": one self-contained HTML page with the current alerts, to copy to
  any web server or a USB stick (no scripts, no external files);
* the CAP XML for the district control centre (MoWaS hand-over).
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.crisis.alerts import message_for_alert
from content_calendar.crisis.models import Alert
from content_calendar.crisis.templates import LANGUAGE_LABELS, LEVELS
from publisher.models import Channel
from publisher.outputs.cap import CapProfile, cap_document
from publisher.settings import Settings, load_settings
from publisher.vocabulary import DRILL_MARK

# fpdf2 leaves the cursor right of a cell by default; every block starts a new line.
# After each block, continue at the left margin on the next line.
NEXT_LINE: dict[str, Any] = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
LEVEL_COLOURS = {
    "extreme": (139, 0, 0),
    "severe": (192, 57, 43),
    "info": (185, 119, 14),
    "allclear": (30, 132, 73),
}


def _font_dir() -> Path | None:
    return next((d for d in FONT_DIRS if (d / "DejaVuSans.ttf").exists()), None)


def _latin1(text: str) -> str:
    """Core PDF fonts know Latin-1 only; keep umlauts, replace what they cannot show."""
    swaps = {"„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."}
    text = "".join(swaps.get(ch, ch) for ch in text)
    return text.encode("latin-1", "replace").decode("latin-1")


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y, %H:%M Uhr")


def notice_pdf(alert: Alert, timezone: str = "Europe/Berlin", issuer: str = "Ihre Stadtverwaltung") -> bytes:
    """An A4 notice: large headline, the German text, then the other languages."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    fonts = _font_dir()
    if fonts:
        pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        family, clean = "DejaVu", (lambda s: s)
    else:  # no Unicode font installed: readable German, but other scripts become "?"
        family, clean = "Helvetica", _latin1
    drill = alert.status == "Exercise"
    red, green, blue = LEVEL_COLOURS.get(alert.level, (51, 51, 51))
    pdf.set_fill_color(red, green, blue)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(family, "B", 22)
    label = LEVELS.get(alert.level, alert.level).upper()
    pdf.multi_cell(
        0, 14, clean(f"{DRILL_MARK} – " if drill else "") + clean(label), fill=True, align="C", **NEXT_LINE
    )
    pdf.ln(4)
    pdf.set_text_color(0, 0, 0)
    texts = alert.texts
    primary = texts.get("de") or next(iter(texts.values()))
    pdf.set_font(family, "B", 26)
    pdf.multi_cell(0, 12, clean(primary.get("headline", alert.headline)), **NEXT_LINE)
    pdf.ln(3)
    pdf.set_font(family, "", 16)
    pdf.multi_cell(0, 8, clean(primary["text"]), **NEXT_LINE)
    pdf.ln(3)
    pdf.set_font(family, "", 11)
    pdf.multi_cell(0, 6, clean(f"Stand: {_local(alert.created_at, timezone)} · {issuer}"), **NEXT_LINE)
    for lang, parts in texts.items():
        if lang == "de" or lang == "ar":  # fpdf2 needs a shaping engine for Arabic; left out
            continue
        pdf.ln(4)
        pdf.set_font(family, "B", 13)
        pdf.multi_cell(
            0, 7, clean(f"{LANGUAGE_LABELS.get(lang, lang)}: {parts.get('headline', '')}"), **NEXT_LINE
        )
        pdf.set_font(family, "", 12)
        pdf.multi_cell(0, 6, clean(parts["text"]), **NEXT_LINE)
    return bytes(pdf.output())


def announcement_text(alert: Alert) -> str:
    """For loudspeaker cars: short sentences, said twice, as is practice."""
    parts = alert.texts.get("de-x-ls") or alert.texts.get("de") or next(iter(alert.texts.values()))
    main = alert.texts.get("de", parts)
    drill = "Achtung, dies ist eine Übung. " if alert.status == "Exercise" else ""
    body = (
        f"{drill}Achtung, Achtung. Eine Durchsage Ihrer Stadtverwaltung. {main['headline']}. {main['text']}"
    )
    return f"{body}\n\nIch wiederhole: {main['headline']}. {main['text']}\n"


def announcement_audio(alert: Alert) -> bytes | None:
    """A WAV file spoken by espeak-ng, or None if it is not installed."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "durchsage.wav"
        subprocess.run(
            [binary, "-v", "de", "-s", "140", "-w", str(target), announcement_text(alert)],
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
    alerts: list[Alert], timezone: str = "Europe/Berlin", generated: datetime | None = None
) -> str:
    """A single page with inline CSS, no scripts and no links to load: works from a USB stick."""
    esc = html.escape
    items = []
    for alert in alerts:
        drill = f"<p class='drill'>{DRILL_MARK}</p>" if alert.status == "Exercise" else ""
        langs = "".join(
            f"<section lang='{esc(lang)}'><h3>{esc(LANGUAGE_LABELS.get(lang, lang))}: "
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
    return f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aktuelle Warnungen</title><style>
body{{font:18px/1.5 sans-serif;margin:0 auto;max-width:50rem;padding:1rem;color:#111;background:#fff}}
article{{border-left:.6rem solid #333;padding:.5rem 1rem;margin:1rem 0;background:#f7f7f7}}
.extreme{{border-color:#8b0000}}.severe{{border-color:#c0392b}}.info{{border-color:#b9770e}}.allclear{{border-color:#1e8449}}
.level{{font-weight:700;text-transform:uppercase}}.drill{{font-weight:700;color:#5b2c6f}}.main{{font-size:1.2em}}
section{{font-size:.95em}}
</style></head><body><h1>Aktuelle Warnungen</h1>{body}
<p><small>Notfall-Seite, erstellt {esc(stamp)}.
Bei Stromausfall: Notfall-Anlaufstellen (Leuchttürme) aufsuchen. Notruf 112.</small></p></body></html>
"""


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
