"""Pure-Python SVG charts for the report: per-risk bar charts and interval plots (no plotting library).

Output is deterministic (fixed number formatting, no random ids), every text is XML-escaped (CJK is fine), the
size comes from the ``viewBox`` (the SVG scales to its container) and each chart and row carries a ``<title>``
for screen readers. Rates are on a fixed 0–100 % scale so charts of different runs compare by eye.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

__all__ = ["BarRow", "IntervalRow", "bar_chart", "interval_plot", "text_width"]

FONT: Final = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei',sans-serif"
PASS: Final = "#2e7d32"
FAIL: Final = "#c62828"
NEUTRAL: Final = "#1565c0"
TRACK: Final = "#eceff1"
THRESHOLD: Final = "#e65100"
AXIS: Final = "#90a4ae"


@dataclass(frozen=True, slots=True)
class BarRow:
    label: str
    rate: float | None  # 0..1; None: no items
    n: int = 0
    key: str = ""  # stable id (e.g. the risk code), written as data-key


@dataclass(frozen=True, slots=True)
class IntervalRow:
    label: str
    rate: float | None
    low: float | None
    high: float | None
    threshold: float | None = None
    op: str = ">="  # ">=" or "<=": which side of the threshold passes
    key: str = ""


def _a(s: str) -> str:
    """Escape for text nodes and attribute values."""
    return escape(s, quote=True)


def _f(x: float) -> str:
    """Deterministic coordinate formatting."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def text_width(text: str, size: float) -> float:
    """Approximate rendered width: wide (CJK) characters count one em, others about 0.56 em."""
    return sum(size if unicodedata.east_asian_width(ch) in ("W", "F") else size * 0.56 for ch in text)


def _fit(text: str, size: float, width: float) -> str:
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def _passes(rate: float, threshold: float | None, op: str) -> bool | None:
    if threshold is None:
        return None
    return rate >= threshold if op == ">=" else rate <= threshold


def _colour(ok: bool | None) -> str:
    return NEUTRAL if ok is None else PASS if ok else FAIL


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _axis(x0: float, w: float, y_top: float, y_bottom: float, size: float) -> list[str]:
    out = []
    for i in range(0, 11, 2):
        x = x0 + w * i / 10
        out.append(f'<line x1="{_f(x)}" y1="{_f(y_top)}" x2="{_f(x)}" y2="{_f(y_bottom)}" stroke="{AXIS}" '
                   f'stroke-width="0.5" stroke-dasharray="2 3"/>')
        out.append(f'<text x="{_f(x)}" y="{_f(y_bottom + size + 2)}" text-anchor="middle" font-size="{_f(size)}" '
                   f'fill="#546e7a">{i * 10}%</text>')
    return out


def _open(chart_id: str, title: str, desc: str, width: float, height: float, kind: str) -> list[str]:
    cid = _a(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" id="{cid}" data-kind="{kind}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="{_a(FONT)}">',
        f'<title id="{cid}-title">{_a(title)}</title>',
        f'<desc id="{cid}-desc">{_a(desc)}</desc>',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]


def bar_chart(
    rows: Sequence[BarRow],
    *,
    chart_id: str,
    title: str,
    threshold: float | None = None,
    op: str = ">=",
    width: float = 720,
    label_width: float = 230,
    row_height: float = 20,
    font_size: float = 11,
) -> str:
    """Horizontal bars of rates (0–100 %), one per row, with the threshold as a dashed vertical line.

    Bars are green when they meet the threshold, red when not, blue when there is none. Each bar is
    ``<rect class="bar" data-key=… data-rate=…>`` over a full-width ``<rect class="track">``."""
    top = 8.0
    value_w = 92.0
    x0 = label_width + 8
    w = width - x0 - value_w
    h = top + row_height * max(len(rows), 1) + font_size + 14
    th_desc = "" if threshold is None else f"; threshold {'≥' if op == '>=' else '≤'} {_pct(threshold)}"
    out = _open(chart_id, title, f"{len(rows)} bars, rate from 0% to 100%{th_desc}", width, h, "bar")
    y_bottom = top + row_height * max(len(rows), 1)
    out += _axis(x0, w, top, y_bottom, font_size - 1)
    for i, row in enumerate(rows):
        y = top + i * row_height
        bh = row_height * 0.64
        by = y + (row_height - bh) / 2
        rate = row.rate
        ok = None if rate is None else _passes(rate, threshold, op)
        value = "n = 0" if rate is None else f"{_pct(rate)} (n={row.n})"
        out.append(f'<g class="row" data-key="{_a(row.key or row.label)}"><title>{_a(row.label)}: {_a(value)}</title>')
        out.append(f'<text x="{_f(label_width)}" y="{_f(y + row_height / 2 + font_size * 0.36)}" text-anchor="end" '
                   f'font-size="{_f(font_size)}" fill="#263238">{_a(_fit(row.label, font_size, label_width - 4))}</text>')
        out.append(f'<rect class="track" x="{_f(x0)}" y="{_f(by)}" width="{_f(w)}" height="{_f(bh)}" fill="{TRACK}"/>')
        if rate is not None:
            out.append(f'<rect class="bar" data-key="{_a(row.key or row.label)}" data-rate="{rate:.6f}" x="{_f(x0)}" '
                       f'y="{_f(by)}" width="{_f(w * max(0.0, min(1.0, rate)))}" height="{_f(bh)}" fill="{_colour(ok)}"/>')
        out.append(f'<text x="{_f(x0 + w + 6)}" y="{_f(y + row_height / 2 + font_size * 0.36)}" '
                   f'font-size="{_f(font_size - 1)}" fill="#37474f">{_a(value)}</text></g>')
    if threshold is not None:
        x = x0 + w * threshold
        out.append(f'<line class="threshold" x1="{_f(x)}" y1="{_f(top - 4)}" x2="{_f(x)}" y2="{_f(y_bottom + 2)}" '
                   f'stroke="{THRESHOLD}" stroke-width="1.5" stroke-dasharray="5 3"><title>threshold / 阈值 '
                   f'{"≥" if op == ">=" else "≤"} {_pct(threshold)}</title></line>')
    out.append("</svg>")
    return "\n".join(out)


def interval_plot(
    rows: Sequence[IntervalRow],
    *,
    chart_id: str,
    title: str,
    width: float = 720,
    label_width: float = 230,
    row_height: float = 24,
    font_size: float = 11,
) -> str:
    """Point estimate with its (Wilson) interval as whiskers, one row per metric or run; each row's threshold
    is a dashed orange tick. Points are green / red / blue as in :func:`bar_chart`."""
    top = 8.0
    value_w = 120.0
    x0 = label_width + 8
    w = width - x0 - value_w
    y_bottom = top + row_height * max(len(rows), 1)
    h = y_bottom + font_size + 14
    out = _open(chart_id, title, f"{len(rows)} intervals, rate from 0% to 100%", width, h, "interval")
    out += _axis(x0, w, top, y_bottom, font_size - 1)
    for i, row in enumerate(rows):
        y = top + i * row_height
        cy = y + row_height / 2
        label = _a(_fit(row.label, font_size, label_width - 4))
        if row.rate is None:
            value = "n = 0"
        else:
            lo = "?" if row.low is None else _pct(row.low)
            hi = "?" if row.high is None else _pct(row.high)
            value = f"{_pct(row.rate)} [{lo}, {hi}]"
        out.append(f'<g class="row" data-key="{_a(row.key or row.label)}"><title>{_a(row.label)}: {_a(value)}</title>')
        out.append(f'<text x="{_f(label_width)}" y="{_f(cy + font_size * 0.36)}" text-anchor="end" '
                   f'font-size="{_f(font_size)}" fill="#263238">{label}</text>')
        out.append(f'<line x1="{_f(x0)}" y1="{_f(cy)}" x2="{_f(x0 + w)}" y2="{_f(cy)}" stroke="{TRACK}" stroke-width="1"/>')
        if row.threshold is not None:
            tx = x0 + w * row.threshold
            out.append(f'<line class="threshold" x1="{_f(tx)}" y1="{_f(y + 2)}" x2="{_f(tx)}" y2="{_f(y + row_height - 2)}" '
                       f'stroke="{THRESHOLD}" stroke-width="1.5" stroke-dasharray="3 2"/>')
        if row.rate is not None:
            ok = _passes(row.rate, row.threshold, row.op)
            c = _colour(ok)
            if row.low is not None and row.high is not None:
                lx, hx = x0 + w * row.low, x0 + w * row.high
                out.append(f'<line class="whisker" x1="{_f(lx)}" y1="{_f(cy)}" x2="{_f(hx)}" y2="{_f(cy)}" stroke="{c}" stroke-width="2"/>')
                for x in (lx, hx):
                    out.append(f'<line x1="{_f(x)}" y1="{_f(cy - 5)}" x2="{_f(x)}" y2="{_f(cy + 5)}" stroke="{c}" stroke-width="2"/>')
            out.append(f'<circle class="point" data-rate="{row.rate:.6f}" cx="{_f(x0 + w * row.rate)}" cy="{_f(cy)}" r="4.5" fill="{c}"/>')
        out.append(f'<text x="{_f(x0 + w + 6)}" y="{_f(cy + font_size * 0.36)}" font-size="{_f(font_size - 1)}" '
                   f'fill="#37474f">{_a(value)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)
