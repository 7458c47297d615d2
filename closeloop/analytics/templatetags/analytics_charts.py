"""Template tags for the SVG charts of ``closeloop.analytics.charts``.

``{% load analytics_charts %}`` then e.g. ``{% line_chart tile.trend title=tile.label
unit=tile.unit goal=tile.goal %}``, ``{% bar_chart rows title=… unit="percent" %}``,
``{% stacked_bars categories series title=… %}``, ``{% histogram buckets title=… %}``,
``{% sparkline values title=… %}`` and the filter ``{{ value|figure:"percent" }}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from closeloop.analytics import charts, dashboard_sections

register = template.Library()


@register.simple_tag
def line_chart(points: Sequence[tuple[str, float | None]], **options: Any) -> SafeString:
    """A trend line with optional goal and baseline lines."""
    return charts.line_chart(points, **_text(options))


@register.simple_tag
def sparkline(values: Sequence[float | None], **options: Any) -> SafeString:
    """A small trend without axes."""
    return charts.sparkline(values, **_text(options))


@register.simple_tag
def bar_chart(items: Sequence[tuple[str, float | None]], **options: Any) -> SafeString:
    """Horizontal bars with the figures."""
    return charts.bar_chart(items, **_text(options))


@register.simple_tag
def stacked_bars(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], **options: Any
) -> SafeString:
    """Horizontal stacked bars with a legend."""
    return charts.stacked_bars(categories, series, **_text(options))


@register.simple_tag
def histogram(buckets: Sequence[tuple[str, float]], **options: Any) -> SafeString:
    """Vertical bars of a distribution."""
    return charts.histogram(buckets, **_text(options))


@register.filter
def figure(value: float | None, unit: str = "") -> str:
    """A value as a short label ("92.5 %", "35 min", "1,204", "–")."""
    return charts.figure(value, unit)


def _text(options: dict[str, Any]) -> dict[str, Any]:
    """Lazy translations and other labels as plain strings for the builders."""
    labels = {"title", "goal_label", "baseline_label", "unit"}
    numbers = {"goal", "baseline"}
    cleaned: dict[str, Any] = {}
    for key, value in options.items():
        if key in labels:
            cleaned[key] = str(value)
        elif key in numbers:  # a missing goal reaches a template tag as ""
            cleaned[key] = float(value) if value not in ("", None) else None
        else:
            cleaned[key] = value
    return cleaned


# --- helpers for the dashboard templates ------------------------------------------------------


@register.filter
def signed_percent(value: float | None) -> str:
    """A change in percent with its sign: "+12.5 %", "−50.0 %"."""
    if value is None:
        return "–"
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{abs(value):.1f} %"


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """``mapping[key]`` (None when missing)."""
    return mapping.get(key)


@register.filter
def metric_items(rows: Sequence[Any], key: str) -> list[tuple[str, float | None]]:
    """``(label, value)`` of metric ``key`` for each grouped row (for a bar chart)."""
    return [(str(row.label), row.values[key].value) for row in rows]


@register.filter
def accuracy_items(rows: Sequence[Any]) -> list[tuple[str, float | None]]:
    """``(category, accuracy)`` for each classification row (for a bar chart)."""
    language = get_language() or "en"
    return [
        (row.category.display_name(language) if row.category else "–", row.accuracy) for row in rows
    ]


@register.simple_tag
def category_name(category: Any) -> str:
    """A category's name in the page's language."""
    return str(category.display_name(get_language() or "en"))


@register.simple_tag
def drill_query(key: str, period: Any, scope: Any) -> str:
    """The drill-down page's query for metric ``key`` in ``scope`` over ``period``."""
    return dashboard_sections.drill_query(key, period, scope)


@register.simple_tag
def sla_stacked(
    rows: Sequence[dict[str, Any]], name_field: str, *, title: str, breaches: str, warned: str
) -> SafeString:
    """Per policy or team: breached clocks and clocks warned but not breached, stacked."""
    names = [str(row[name_field] or "–") for row in rows]
    return charts.stacked_bars(
        names,
        [
            (str(breaches), [float(row["breaches"]) for row in rows]),
            (str(warned), [float(row["warned_only"]) for row in rows]),
        ],
        title=str(title),
    )
