"""Server-rendered SVG charts for the analytics pages: pure functions, no JavaScript, no CDN.

Each builder takes plain numbers and labels and returns safe SVG markup with ``role="img"``,
a ``<title>`` (the accessible name) and a ``<desc>`` (what it shows); every bar or point has
its own ``<title>`` so a pointer shows the figure. Charts are decoration over the numbers: a
page always shows the same figures in a table next to the chart. Text passed in is escaped
here; callers pass translated strings. Sizes are in SVG user units and the SVG scales to its
box (``width: 100%`` in CSS), so a chart fits any column.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#1f5fa8", "#d9822b", "#2e8540", "#b3261e", "#6b4ea0", "#00838f", "#7a6a00")
GOAL_COLOUR = "#2e8540"
BASELINE_COLOUR = "#777777"
_ids = itertools.count(1)


def _number(value: float) -> str:
    """A coordinate with at most one decimal (keeps the markup small and stable)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def figure(value: float | None, unit: str = "") -> str:
    """A value as a short label: "92.5 %", "35 min", "1,204"; "–" for no value."""
    if value is None:
        return "–"
    if unit == "percent":
        return f"{value:.1f} %"
    if unit == "minutes":
        if abs(value) >= 120:
            return f"{value / 60:.1f} h"
        return f"{value:.0f} min"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _scale_max(values: Sequence[float]) -> float:
    """A round upper bound at or above every value (1, 2, 2.5, 5 × 10ⁿ)."""
    top = max([v for v in values if v is not None] + [0.0])
    if top <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if top <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _open(width: int, height: int, title: str, description: str, css: str) -> tuple[str, str]:
    """The opening of an accessible SVG and its id (unique per render)."""
    uid = f"chart{next(_ids)}"
    head = (
        f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">{escape(description)}</desc>'
    )
    return head, uid


def _marker_line(
    y: float, x0: float, x1: float, colour: str, label: str, dash: str, *, at_start: bool = False
) -> str:
    """A horizontal reference line labelled at its end (or its start, so that a goal and a
    baseline close together keep both labels readable)."""
    text_x, anchor = (x0, "start") if at_start else (x1, "end")
    return (
        f'<g class="marker"><title>{escape(label)}</title>'
        f'<line x1="{_number(x0)}" y1="{_number(y)}" x2="{_number(x1)}" y2="{_number(y)}" '
        f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}"/>'
        f'<text x="{_number(text_x)}" y="{_number(y - 3)}" text-anchor="{anchor}" '
        f'font-size="10" fill="{colour}">{escape(label)}</text></g>'
    )


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    goal: float | None = None,
    goal_label: str = "",
    baseline: float | None = None,
    baseline_label: str = "",
    width: int = 320,
    height: int = 120,
) -> SafeString:
    """A trend line over labelled points (gaps where a value is None), with an optional goal
    line (green, dashed) and baseline line (grey, dotted)."""
    values = [v for _, v in points if v is not None]
    marked = values + [v for v in (goal, baseline) if v is not None]
    top = _scale_max(marked)
    # a score such as NPS can be negative: the scale then reaches below zero
    low = -_scale_max([-v for v in marked if v < 0]) if any(v < 0 for v in marked) else 0.0
    left, right, top_pad, bottom = 4.0, width - 4.0, 14.0, height - 16.0
    span = bottom - top_pad
    count = max(len(points), 1)
    step = (right - left) / max(count - 1, 1)

    def y_of(value: float) -> float:
        return bottom - span * ((value - low) / (top - low))

    description = ", ".join(f"{label}: {figure(value, unit)}" for label, value in points)
    head, _uid = _open(width, height, title, description or "–", "chart-line")
    parts = [head]
    parts.append(
        f'<line x1="{_number(left)}" y1="{_number(bottom)}" x2="{_number(right)}" '
        f'y2="{_number(bottom)}" stroke="#bbb" stroke-width="1"/>'
    )
    if baseline is not None:
        parts.append(
            _marker_line(
                y_of(baseline), left, right, BASELINE_COLOUR, baseline_label, "2 3", at_start=True
            )
        )
    if goal is not None:
        parts.append(_marker_line(y_of(goal), left, right, GOAL_COLOUR, goal_label, "6 3"))
    segments: list[list[tuple[float, float]]] = [[]]
    for index, (_label, value) in enumerate(points):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((left + step * index, y_of(value)))
    for segment in segments:
        if len(segment) > 1:
            coordinates = " ".join(f"{_number(x)},{_number(y)}" for x, y in segment)
            parts.append(
                f'<polyline points="{coordinates}" fill="none" stroke="{PALETTE[0]}" '
                f'stroke-width="2" stroke-linejoin="round"/>'
            )
    for index, (label, value) in enumerate(points):
        if value is None:
            continue
        parts.append(
            f'<circle cx="{_number(left + step * index)}" cy="{_number(y_of(value))}" r="2.5" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {escape(figure(value, unit))}</title>'
            f"</circle>"
        )
    if points:
        parts.append(
            f'<text x="{_number(left)}" y="{height - 3}" font-size="10" fill="#555">'
            f"{escape(points[0][0])}</text>"
            f'<text x="{_number(right)}" y="{height - 3}" font-size="10" fill="#555" '
            f'text-anchor="end">{escape(points[-1][0])}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def sparkline(
    values: Sequence[float | None],
    *,
    title: str,
    goal: float | None = None,
    width: int = 120,
    height: int = 28,
) -> SafeString:
    """A small trend without axes (a goal, when given, as a thin green line)."""
    present = [v for v in values if v is not None]
    top = _scale_max(present + ([goal] if goal is not None else []))
    step = (width - 4) / max(len(values) - 1, 1)
    head, _uid = _open(width, height, title, ", ".join(figure(v) for v in values) or "–", "spark")
    parts = [head]
    if goal is not None:
        y = height - 2 - (height - 4) * goal / top
        parts.append(
            f'<line x1="2" y1="{_number(y)}" x2="{width - 2}" y2="{_number(y)}" '
            f'stroke="{GOAL_COLOUR}" stroke-width="1" stroke-dasharray="3 2"/>'
        )
    coordinates = " ".join(
        f"{_number(2 + step * i)},{_number(height - 2 - (height - 4) * v / top)}"
        for i, v in enumerate(values)
        if v is not None
    )
    if coordinates:
        parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{PALETTE[0]}" '
            f'stroke-width="1.5"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def bar_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    goal: float | None = None,
    goal_label: str = "",
    width: int = 480,
    row_height: int = 22,
) -> SafeString:
    """Horizontal bars, one per labelled value, with the figure at the end of each bar and
    an optional goal line across them."""
    label_width = 150.0
    value_width = 64.0
    plot = width - label_width - value_width
    height = max(len(items), 1) * row_height + 6
    top = _scale_max([v for _, v in items if v is not None] + ([goal] if goal else []))
    description = ", ".join(f"{label}: {figure(value, unit)}" for label, value in items)
    head, _uid = _open(width, height, title, description or "–", "chart-bars")
    parts = [head]
    for index, (label, value) in enumerate(items):
        y = 3 + index * row_height
        length = plot * (value or 0) / top
        text = figure(value, unit)
        short = label if len(label) <= 21 else label[:20] + "…"
        parts.append(
            f"<g><title>{escape(label)}: {escape(text)}</title>"
            f'<text x="{_number(label_width - 6)}" y="{_number(y + row_height * 0.62)}" '
            f'font-size="11" text-anchor="end" fill="#222">{escape(short)}</text>'
            f'<rect x="{_number(label_width)}" y="{_number(y + 3)}" width="{_number(length)}" '
            f'height="{row_height - 8}" fill="{PALETTE[0]}" rx="2"/>'
            f'<text x="{_number(label_width + length + 4)}" y="{_number(y + row_height * 0.62)}" '
            f'font-size="11" fill="#222">{escape(text)}</text></g>'
        )
    if goal is not None:
        x = label_width + plot * goal / top
        parts.append(
            f'<g class="marker"><title>{escape(goal_label)}</title>'
            f'<line x1="{_number(x)}" y1="0" x2="{_number(x)}" y2="{height}" '
            f'stroke="{GOAL_COLOUR}" stroke-width="1.5" stroke-dasharray="6 3"/></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def stacked_bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    width: int = 480,
    row_height: int = 22,
) -> SafeString:
    """Horizontal stacked bars: one row per category, one coloured part per series, with a
    legend. ``series`` is ``[(name, values per category), …]``."""
    label_width = 150.0
    legend_height = 20
    plot = width - label_width - 40
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    top = _scale_max(totals)
    height = legend_height + max(len(categories), 1) * row_height + 4
    description = "; ".join(
        f"{category}: " + ", ".join(f"{name} {figure(values[i])}" for name, values in series)
        for i, category in enumerate(categories)
    )
    head, _uid = _open(width, height, title, description or "–", "chart-stacked")
    parts = [head]
    x = label_width
    for index, (name, _values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{_number(x)}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{_number(x + 13)}" y="13" font-size="10" fill="#222">{escape(name)}</text>'
        )
        x += 13 + 7 * len(name) + 12
    for row, category in enumerate(categories):
        y = legend_height + row * row_height
        short = category if len(category) <= 21 else category[:20] + "…"
        parts.append(
            f'<text x="{_number(label_width - 6)}" y="{_number(y + row_height * 0.62)}" '
            f'font-size="11" text-anchor="end" fill="#222">{escape(short)}</text>'
        )
        x = label_width
        for index, (name, values) in enumerate(series):
            value = values[row]
            length = plot * value / top
            if length > 0:
                parts.append(
                    f'<rect x="{_number(x)}" y="{_number(y + 3)}" width="{_number(length)}" '
                    f'height="{row_height - 8}" fill="{PALETTE[index % len(PALETTE)]}">'
                    f"<title>{escape(category)} · {escape(name)}: {escape(figure(value))}</title>"
                    f"</rect>"
                )
            x += length
        parts.append(
            f'<text x="{_number(x + 4)}" y="{_number(y + row_height * 0.62)}" font-size="11" '
            f'fill="#222">{escape(figure(totals[row], "count"))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def histogram(
    buckets: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 320,
    height: int = 140,
    highlight: Sequence[str] = (),
) -> SafeString:
    """Vertical bars of a distribution (e.g. survey scores 0–10), the bucket label under
    each bar and its count above; buckets named in ``highlight`` are drawn in the second
    colour (e.g. the promoters)."""
    top = _scale_max([count for _, count in buckets])
    bottom, top_pad = height - 16.0, 14.0
    span = bottom - top_pad
    slot = (width - 4) / max(len(buckets), 1)
    description = ", ".join(f"{label}: {figure(count, 'count')}" for label, count in buckets)
    head, _uid = _open(width, height, title, description or "–", "chart-histogram")
    parts = [head]
    for index, (label, count) in enumerate(buckets):
        bar = span * count / top
        x = 2 + slot * index
        colour = PALETTE[1] if label in highlight else PALETTE[0]
        parts.append(
            f"<g><title>{escape(label)}: {escape(figure(count, 'count'))}</title>"
            f'<rect x="{_number(x + slot * 0.12)}" y="{_number(bottom - bar)}" '
            f'width="{_number(slot * 0.76)}" height="{_number(bar)}" fill="{colour}"/>'
            f'<text x="{_number(x + slot / 2)}" y="{height - 3}" font-size="10" '
            f'text-anchor="middle" fill="#555">{escape(label)}</text>'
            f'<text x="{_number(x + slot / 2)}" y="{_number(bottom - bar - 3)}" font-size="9" '
            f'text-anchor="middle" fill="#222">{escape(figure(count, "count"))}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
