"""A square image tile for an alert, for platforms that only post images (Instagram).

Municipal accounts post alerts on Instagram as text tiles; an alert has no photo, so
we draw one: the warning level's colour, the headline, the text. JPEG, because the
Instagram content publishing API takes no other image format (and it encodes in a fifth
of the time PNG took on the hot path).
"""

from __future__ import annotations

import io
import textwrap
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from publisher.vocabulary import DRILL_MARK, LEVEL_LABELS, MARK_SEPARATOR, AlertLevel, level_colour

SIZE = 1080
MARGIN = 80
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@lru_cache(maxsize=8)  # loading a TrueType file costs milliseconds on the hot path
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)  # Pillow's bundled scalable font


def tile_jpeg(headline: str, text: str, level: str | None, drill: bool = False) -> bytes:
    colour = level_colour(level, drill=drill)
    image = Image.new("RGB", (SIZE, SIZE), colour)
    draw = ImageDraw.Draw(image)
    known = LEVEL_LABELS.get(AlertLevel(level)) if level in tuple(AlertLevel) else None
    label = (DRILL_MARK + MARK_SEPARATOR if drill else "") + (known or "Warnung").upper()
    y = MARGIN
    draw.text((MARGIN, y), label, font=_font(44, bold=True), fill="white")
    y += 90
    for line in textwrap.wrap(headline, width=24)[:4]:
        draw.text((MARGIN, y), line, font=_font(64, bold=True), fill="white")
        y += 80
    y += 30
    body = textwrap.wrap(text, width=38)
    for line in body[:12]:
        draw.text((MARGIN, y), line, font=_font(40), fill="white")
        y += 52
    if len(body) > 12:
        draw.text((MARGIN, y), "…", font=_font(40), fill="white")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)  # flat colour and white text: no visible artefacts
    return out.getvalue()

