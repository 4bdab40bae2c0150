"""A tiny inline-SVG horizontal bar chart (no script, no inline style: the console's CSP allows neither)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart"]

_PALETTE = ("#2b6cb0", "#c53030", "#2f855a", "#b7791f", "#6b46c1", "#4a5568")


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, empty: str, width: int = 520,
              bar_height: int = 22, label_width: int = 180) -> str:
    """An ``<svg>`` element (a string of safe markup: every label is escaped) with one bar per item."""
    t = escape(title)
    if not items:
        return (f'<svg class="chart" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg" '
                f'width="{width}" height="40" viewBox="0 0 {width} 40"><title>{t}</title>'
                f'<text x="8" y="24" fill="#718096" font-size="13">{escape(empty)}</text></svg>')
    top = max(v for _, v in items) or 1
    gap = 6
    height = len(items) * (bar_height + gap) + gap
    span = width - label_width - 60
    parts = [f'<svg class="chart" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}"><title>{t}</title>']
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        w = max(1, round(span * value / top)) if value else 0
        colour = _PALETTE[i % len(_PALETTE)]
        parts.append(
            f'<g class="bar"><text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" '
            f'font-size="13" fill="#2d3748">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w}" height="{bar_height}" rx="3" fill="{colour}">'
            f'<title>{escape(label)}: {value}</title></rect>'
            f'<text x="{label_width + w + 6}" y="{y + bar_height * 0.7:.1f}" font-size="13" '
            f'fill="#2d3748">{value}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
