"""Tiny inline-SVG charts: horizontal bars and stacked columns (no script, no inline style: the console's CSP allows neither)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "stacked_columns"]

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


def stacked_columns(columns: Sequence[tuple[str, Sequence[int]]], series: Sequence[tuple[str, str]], *,
                    title: str, empty: str, width: int = 1000, height: int = 220) -> str:
    """An ``<svg>`` with one stacked column per ``(label, values)`` (``values`` in the order of ``series``, which
    gives each stack part's ``(name, colour)``), a legend and the total above each column."""
    t = escape(title)
    if not columns or not any(sum(v) for _, v in columns):
        return (f'<svg class="chart" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg" '
                f'width="{width}" height="40" viewBox="0 0 {width} 40"><title>{t}</title>'
                f'<text x="8" y="24" fill="#718096" font-size="13">{escape(empty)}</text></svg>')
    top = max(sum(v) for _, v in columns) or 1
    legend_h, axis_h, pad = 24, 22, 18
    plot_h = height - legend_h - axis_h - pad
    slot = width / len(columns)
    col_w = max(4.0, min(48.0, slot * 0.6))
    parts = [f'<svg class="chart" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}"><title>{t}</title>']
    x = 8.0
    for name, colour in series:
        parts.append(f'<rect x="{x:.1f}" y="6" width="12" height="12" rx="2" fill="{colour}"></rect>'
                     f'<text x="{x + 16:.1f}" y="16" font-size="12" fill="#2d3748">{escape(name)}</text>')
        x += 24 + 8 * len(name) if name.isascii() else 24 + 14 * len(name)
    base = legend_h + pad + plot_h
    for i, (label, values) in enumerate(columns):
        cx = slot * i + (slot - col_w) / 2
        y = float(base)
        total = sum(values)
        tip = ", ".join(f"{n} {v}" for (n, _), v in zip(series, values, strict=True))
        parts.append(f'<g class="column" data-label="{escape(label)}" data-total="{total}">'
                     f'<title>{escape(label)}: {escape(tip)}</title>')
        for (_name, colour), value in zip(series, values, strict=True):
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            parts.append(f'<rect x="{cx:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" fill="{colour}"></rect>')
        parts.append(f'<text x="{cx + col_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11" '
                     f'fill="#2d3748">{total}</text>'
                     f'<text x="{cx + col_w / 2:.1f}" y="{base + 16}" text-anchor="middle" font-size="11" '
                     f'fill="#4a5568">{escape(label)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
