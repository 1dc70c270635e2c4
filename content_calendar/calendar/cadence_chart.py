"""A small server-rendered SVG bar chart of planned vs. published posts per week."""

from __future__ import annotations

from markupsafe import Markup, escape

from content_calendar.calendar.cadence import ChannelCadence, Target

WIDTH, HEIGHT, PAD = 320, 120, 18


def cadence_svg(figures: ChannelCadence, target: Target) -> Markup:
    weeks = figures.weeks
    top = max([w.planned for w in weeks] + [w.published for w in weeks] + [target.min_per_week, 1])
    scale = (HEIGHT - 2 * PAD) / top
    slot = (WIDTH - PAD) / len(weeks)
    bar = max(slot / 2 - 2, 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(figures.channel)}: Beiträge pro Woche">',
        f"<title>{escape(figures.channel)}: geplant (hell) und veröffentlicht (dunkel) pro Woche</title>",
    ]
    base = HEIGHT - PAD
    for i, week in enumerate(weeks):
        x = PAD + i * slot
        for offset, value, css in ((0, week.planned, "#9ab8dc"), (bar + 1, week.published, "#14325c")):
            h = value * scale
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{base - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{css}">'
                f"<title>{week.monday:%d.%m.}: {value}</title></rect>"
            )
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 4}" font-size="9">{week.monday:%d.%m.}</text>')
    if target.min_per_week:
        y = base - target.min_per_week * scale
        parts.append(
            f'<line x1="{PAD}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#a93226" stroke-dasharray="4 3">'
            f"<title>Ziel: mindestens {target.min_per_week:g} pro Woche</title></line>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
