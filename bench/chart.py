"""A plain SVG strip chart of latency distributions (no plotting library needed).

One row per series: every round as a dot, the median as a bar, the p99 as a tick, on a
logarithmic millisecond axis (so 10 ms and 500 ms both stay readable).
"""

from __future__ import annotations

import math
import statistics
from html import escape

WIDTH, LEFT, RIGHT, ROW, TOP = 900, 260, 30, 34, 40
COLOURS = {"ernstfall": "#b3261e", "limit": "#1f6feb", "apprise": "#2e7d32", "api call": "#8a6d3b"}


def _colour(name: str) -> str:
    return next((c for prefix, c in COLOURS.items() if name.startswith(prefix)), "#555555")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered) + 0.5) - 1))]


def latency_svg(series: dict[str, list[float]]) -> str:
    rows = [(name, values) for name, values in series.items() if values]
    low = max(1.0, min(min(v) for _, v in rows) * 0.8)
    high = max(max(v) for _, v in rows) * 1.2
    span = math.log10(high) - math.log10(low)

    def x(ms: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (math.log10(max(ms, low)) - math.log10(low)) / span

    height = TOP + ROW * len(rows) + 50
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{LEFT}" y="20" font-size="14">Latency per round (ms, log scale): '
        "dots = rounds, bar = median, tick = p99</text>",
    ]
    for tick in _ticks(low, high):
        out.append(
            f'<line x1="{x(tick):.1f}" y1="{TOP - 8}" x2="{x(tick):.1f}" y2="{height - 40}" stroke="#ddd"/>'
        )
        out.append(f'<text x="{x(tick):.1f}" y="{height - 24}" text-anchor="middle">{tick:g}</text>')
    for index, (name, values) in enumerate(rows):
        y = TOP + ROW * index + ROW / 2
        colour = _colour(name)
        out.append(f'<text x="{LEFT - 10}" y="{y + 4:.1f}" text-anchor="end">{escape(name)}</text>')
        for value in values:
            out.append(
                f'<circle cx="{x(value):.1f}" cy="{y:.1f}" r="3" fill="{colour}" fill-opacity="0.35"/>'
            )
        median, p99 = statistics.median(values), _p99(values)
        out.append(
            f'<line x1="{x(median):.1f}" y1="{y - 11:.1f}" x2="{x(median):.1f}" y2="{y + 11:.1f}" '
            f'stroke="{colour}" stroke-width="3"/>'
        )
        out.append(
            f'<line x1="{x(p99):.1f}" y1="{y - 7:.1f}" x2="{x(p99):.1f}" y2="{y + 7:.1f}" '
            f'stroke="{colour}" stroke-width="1.5"/>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _ticks(low: float, high: float) -> list[float]:
    found = []
    decade = 10 ** math.floor(math.log10(low))
    while decade <= high:
        found += [m * decade for m in (1, 2, 5) if low <= m * decade <= high]
        decade *= 10
    return found
