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

from closeloop.analytics import charts

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
    return {key: str(value) if key in labels else value for key, value in options.items()}
