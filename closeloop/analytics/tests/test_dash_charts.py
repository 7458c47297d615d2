"""The SVG chart builders: accessible, escaped, scaled (pure, no database)."""

from __future__ import annotations

import re

from django.template import Context, Template

from closeloop.analytics import charts


def test_line_chart_is_an_accessible_image_with_escaped_text() -> None:
    svg = charts.line_chart(
        [("1 Mar", 10.0), ("2 Mar", None), ("3 Mar", 30.0), ("4 Mar", 40.0)],
        title="<CSAT>",
        unit="percent",
        goal=90,
        goal_label="Goal 90 %",
    )
    assert svg.startswith('<svg class="chart chart-line"')
    assert 'role="img"' in svg
    assert "<title id=" in svg
    assert "&lt;CSAT&gt;" in svg
    assert "<CSAT>" not in svg
    # the desc lists every point, the gap as a dash
    assert "1 Mar: 10.0 %, 2 Mar: –, 3 Mar: 30.0 %, 4 Mar: 40.0 %" in svg
    # the gap splits the line: one polyline of the two points after it (a lone point has none)
    assert svg.count("<polyline") == 1
    assert svg.count("<circle") == 3
    assert "Goal 90 %" in svg


def test_line_chart_scales_to_a_round_maximum() -> None:
    # the top of the scale is 100 (goal 90 lies under it): goal y = 104 - 90 * 90 / 100 = 23
    svg = charts.line_chart([("a", 50.0), ("b", 60.0)], title="t", goal=90, goal_label="g")
    assert 'y1="23" ' in svg


def test_line_chart_keeps_negative_values_inside() -> None:
    # NPS from −50 to 50: the scale runs from −50 to 50, so every point lies in 14…104
    svg = charts.line_chart([("a", -50.0), ("b", 50.0)], title="NPS")
    ys = [float(y) for y in re.findall(r'<circle [^>]*cy="([-\d.]+)"', svg)]
    assert ys == [104.0, 14.0]


def test_bar_chart_lengths_are_proportional() -> None:
    svg = charts.bar_chart([("Chat", 50.0), ("Email", 100.0)], title="Volume", unit="count")
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[1] == 2 * widths[0]
    assert "Chat: 50" in svg
    assert "Email: 100" in svg


def test_stacked_bars_and_histogram_name_every_part() -> None:
    svg = charts.stacked_bars(
        ["Pre-sale", "After-sale"], [("Met", [3, 5]), ("Breached", [1, 0])], title="SLA"
    )
    assert "Pre-sale · Met: 3.0" in svg
    assert "Pre-sale · Breached: 1.0" in svg
    assert "After-sale · Breached" not in svg  # a zero part is not drawn
    histogram = charts.histogram([("0", 1), ("9", 3), ("10", 4)], title="NPS", highlight=["10"])
    assert histogram.count("<rect") == 3
    assert charts.PALETTE[1] in histogram


def test_figures() -> None:
    assert charts.figure(None) == "–"
    assert charts.figure(92.345, "percent") == "92.3 %"
    assert charts.figure(35, "minutes") == "35 min"
    assert charts.figure(180, "minutes") == "3.0 h"
    assert charts.figure(1204, "count") == "1,204"


def test_template_tags_render_the_charts() -> None:
    html = Template(
        "{% load analytics_charts %}{% sparkline values title=name %}{{ 12.34|figure:'percent' }}"
    ).render(Context({"values": [1, 2, 3], "name": "Trend"}))
    assert html.startswith('<svg class="chart spark"')
    assert html.endswith("12.3 %")
