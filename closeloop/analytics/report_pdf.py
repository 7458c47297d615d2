"""The monthly review as a PDF (ReportLab).

Every string is set in ReportLab's built-in CID font STSong-Light (Adobe's Chinese font that
PDF readers carry; nothing is downloaded or embedded), which has Latin letters too, so one font
serves the English and the Chinese report. The tables are the same as the page's.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from closeloop.analytics.monthly import Figure, MonthlyReview, fmt

FONT = "STSong-Light"


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _local(moment: datetime) -> str:
    """A time in the organisation's time zone, to the minute."""
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M")


def _met(figure: Figure) -> str:
    if figure.met is None:
        return "–"
    return _("met") if figure.met else _("missed")


def _figure_rows(figures: list[Figure]) -> list[list[str]]:
    change = pgettext("difference on last month", "Change")
    rows = [[_("Metric"), _("This month"), _("Last month"), change, _("Goal"), _("Result")]]
    for f in figures:
        rows.append(
            [
                f.label,
                f.shown,
                f.previous_shown,
                f.change_shown,
                f.goal_label,
                _met(f),
            ]
        )
    return rows


def monthly_pdf(review: MonthlyReview) -> bytes:
    """The review rendered as PDF bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading2", "BodyText"):
        styles[name].fontName = font
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Monthly review %(month)s") % {"month": review.month},
    )
    style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa5b1")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)

    def table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
        wrapped = [
            [Paragraph(str(value), cell) if isinstance(value, str) else value for value in row]
            for row in rows
        ]
        result = Table(wrapped, colWidths=widths, repeatRows=1)
        result.setStyle(style)
        return result

    def heading(key: str) -> None:
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph(review.sections[key], styles["Heading2"]))

    def empty() -> None:
        story.append(Paragraph(_("Nothing this month."), styles["BodyText"]))

    story: list[Any] = [
        Paragraph(_("Monthly review %(month)s") % {"month": review.month}, styles["Title"]),
        Paragraph(
            _("Compared with %(previous)s.") % {"previous": review.previous_month},
            styles["BodyText"],
        ),
    ]
    heading("headline")
    story.append(table(_figure_rows(review.headline)))
    heading("pareto")
    if review.pareto:
        rows = [[_("Category"), _("Tickets"), _("Share %"), _("Cumulative %"), _("Top 80 %")]]
        for p in review.pareto:
            rows.append(
                [p.label, str(p.count), fmt(p.share), fmt(p.cumulative), "●" if p.vital else ""]
            )
        story.append(table(rows))
    else:
        empty()
    heading("repeat")
    if review.repeat:
        rows = [[_("Category"), _("Tickets"), _("Repeats"), _("Repeat rate %")]]
        for r in review.repeat:
            rows.append([r["label"], str(r["tickets"]), str(r["repeats"]), fmt(r["rate"])])
        story.append(table(rows))
    else:
        empty()
    heading("problems")
    if review.problems:
        rows = [[_("Problem"), _("Status"), _("Root cause"), _("Tickets this month"), _("All")]]
        for prob in review.problems:
            rows.append(
                [
                    prob["title"],
                    prob["status"],
                    prob["root_cause"],
                    str(prob["month_tickets"]),
                    str(prob["all_tickets"]),
                ]
            )
        story.append(table(rows, [70 * mm, 25 * mm, 35 * mm, 25 * mm, 20 * mm]))
        rows = [[_("Root cause"), _("Problems")]]
        rows += [[c["label"], str(c["problems"])] for c in review.root_causes]
        story.append(Spacer(1, 2 * mm))
        story.append(table(rows))
    else:
        empty()
    heading("actions")
    if review.alerts:
        rows = [[_("Alert"), _("Metric"), _("Fired"), _("Value"), _("Cleared")]]
        for a in review.alerts:
            rows.append(
                [
                    a["rule"],
                    a["metric"],
                    _local(a["fired_at"]),
                    fmt(a["fired_value"]),
                    _local(a["cleared_at"]) if a["cleared_at"] else "–",
                ]
            )
        story.append(table(rows))
    if review.actions:
        rows = [[_("Corrective action"), _("Status"), _("Before"), _("After"), _("Worked?")]]
        for a in review.actions:
            rows.append(
                [
                    a["title"],
                    a["status"],
                    fmt(a["value_before"]),
                    fmt(a["value_after"]),
                    a["worked"],
                ]
            )
        story.append(Spacer(1, 2 * mm))
        story.append(table(rows, [75 * mm, 30 * mm, 20 * mm, 20 * mm, 30 * mm]))
    if not review.alerts and not review.actions:
        empty()
    heading("goals")
    story.append(table(_figure_rows(review.goals)))
    doc.build(story)
    return buffer.getvalue()
