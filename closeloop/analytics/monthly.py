"""The monthly review: the figures a service director goes through once a month.

``monthly_review(month)`` gathers, for one calendar month in the organisation's time zone:
the headline volumes with the change on the previous month; the Pareto of categories (count,
share, cumulative share, and which categories make up the first 80 %); the repeat-contact rate
of the leading categories; the top problems (by tickets of the month linked to them) and the
problems by root cause; the alerts that fired and the corrective actions of the month with
whether their effect check found them effective; and the SLA and survey metrics against their
goals and the previous month. The page, the PDF (``report_pdf.py``) and the CSV all render this
one structure, so they always agree. Metric values come from the metric definitions
(``metrics.py``, DESIGN.md "Metrics"): one definition everywhere.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.analytics.metrics import Measurement, Scope, measure, measuring, metric_get
from closeloop.analytics.models import (
    ActionStatus,
    Alert,
    CorrectiveAction,
    RootCause,
)
from closeloop.analytics.models_problems import Problem, ProblemStatus
from closeloop.core.errors import InvalidInput
from closeloop.tickets.models import Ticket
from closeloop.triage.models import Category

PARETO_LINE = 80.0
REPEAT_CATEGORIES = 10
TOP_PROBLEMS = 10
HEADLINE_METRICS = ("volume", "first_response_median", "resolution_median", "reopen_rate")
GOAL_METRICS = (
    "response_on_time_rate",
    "resolution_on_time_rate",
    "sla_breach_rate",
    "first_contact_resolution",
    "csat",
    "nps",
    "ces",
    "complaint_rate",
)
GOAL_SIGNS = {"at_least": "≥", "at_most": "≤", "above": ">", "below": "<"}
MONTH = re.compile(r"^(\d{4})-(\d{2})$")

SECTION_TITLES = {
    "headline": gettext_lazy("The month at a glance"),
    "pareto": gettext_lazy("Pareto of categories"),
    "repeat": gettext_lazy("Repeat rate by category"),
    "problems": gettext_lazy("Top problems and their root causes"),
    "actions": gettext_lazy("Alerts and corrective actions"),
    "goals": gettext_lazy("SLA and survey results against goals"),
}


@dataclass
class Figure:
    """One metric this month, last month and against its goal."""

    key: str
    label: str
    unit: str
    value: float | None
    sample: int
    previous: float | None
    change: float | None  # this month − last month, in the metric's unit
    better: bool | None  # than last month
    comparison: str = ""
    target: float | None = None
    met: bool | None = None

    def _show(self, value: float | None, *, signed: bool = False) -> str:
        if value is None:
            return "–"
        sign = "+" if signed and value > 0 else ""
        if self.unit == "count":
            return f"{sign}{value:.0f}"
        suffix = {"percent": " %", "minutes": " " + _("min")}.get(self.unit, "")
        return f"{sign}{value:.1f}{suffix}"

    @property
    def shown(self) -> str:
        """This month's value with its unit (``93.2 %``, ``45.0 min``, ``120``)."""
        return self._show(self.value)

    @property
    def previous_shown(self) -> str:
        """Last month's value with its unit."""
        return self._show(self.previous)

    @property
    def change_shown(self) -> str:
        """The change on last month, signed, in the metric's unit."""
        return self._show(self.change, signed=True)

    @property
    def goal_label(self) -> str:
        """The goal as ``≥ 90`` (an en dash when there is none)."""
        if self.target is None:
            return "–"
        sign = GOAL_SIGNS.get(self.comparison, self.comparison)
        return f"{sign} {self.target:g}"


@dataclass
class ParetoRow:
    """One category's share of the month's tickets."""

    category_id: int | None
    label: str
    count: int
    share: float
    cumulative: float
    vital: bool  # within the first 80 %


@dataclass
class MonthlyReview:
    """Everything the monthly review shows (see the module docstring)."""

    month: str
    start: datetime
    end: datetime
    previous_month: str
    headline: list[Figure]
    pareto: list[ParetoRow]
    repeat: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    root_causes: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    goals: list[Figure]
    effective_actions: int = 0
    checked_actions: int = 0
    sections: dict[str, str] = field(default_factory=dict)
    chart: dict[str, Any] = field(default_factory=dict)


def month_parse(raw: str) -> date:
    """The first day of a ``YYYY-MM`` month, or InvalidInput."""
    match = MONTH.match((raw or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise InvalidInput(
            _("Give the month as YYYY-MM, for example 2026-11."), details={"field": "month"}
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _previous_month(first: date) -> date:
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def month_bounds(first: date) -> tuple[datetime, datetime]:
    """[first midnight, next month's first midnight) in the organisation's time zone."""
    tz = timezone.get_default_timezone()
    after = _next_month(first)
    return (
        datetime(first.year, first.month, 1, tzinfo=tz),
        datetime(after.year, after.month, 1, tzinfo=tz),
    )


def _measure(key: str, start: datetime, end: datetime, scope: Scope | None = None) -> Measurement:
    try:  # the metrics engine reads the daily rollups where it can (same definitions)
        from closeloop.analytics.engine import metric_value
    except ImportError:  # pragma: no cover - before the engine exists
        return measure(key, scope or Scope(), start, end)
    return metric_value(key, scope or Scope(), start, end)


def _goals() -> tuple[dict[str, Any], Any]:
    try:
        from closeloop.analytics.goals import goal_progress, goals_by_metric
    except ImportError:  # pragma: no cover - before goals exist
        return {}, None
    return goals_by_metric(), goal_progress


def _figures(
    keys: tuple[str, ...], bounds: tuple[datetime, datetime], previous: tuple[datetime, datetime]
) -> list[Figure]:
    goals, goal_progress = _goals()
    figures: list[Figure] = []
    for key in keys:
        definition = metric_get(key)
        now = _measure(key, *bounds)
        before = _measure(key, *previous)
        change = better = None
        if now.value is not None and before.value is not None:
            change = now.value - before.value
            better = definition.is_better(now.value, before.value) if change else None
        figure = Figure(
            key=key,
            label=str(definition.label),
            unit=str(definition.unit),
            value=now.value,
            sample=now.sample,
            previous=before.value,
            change=change,
            better=better,
        )
        if goal_progress is not None and key in goals:
            progress = goal_progress(key=key, value=now.value, baseline=before.value, goals=goals)
            figure.comparison = progress.comparison
            figure.target = progress.target
            figure.met = progress.met
        figures.append(figure)
    return figures


def category_label(category: Category | None) -> str:
    """The category's name in the active language."""
    if category is None:
        return _("Uncategorised")
    from django.utils.translation import get_language

    return category.name_zh if (get_language() or "").startswith("zh") else category.name_en


def pareto(start: datetime, end: datetime) -> list[ParetoRow]:
    """Categories by tickets opened in [start, end), largest first, with cumulative share; a
    category is "vital" while the cumulative share before it is under 80 %."""
    rows = list(
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("triage__category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = sum(row["n"] for row in rows)
    names = Category.objects.in_bulk([r["triage__category"] for r in rows if r["triage__category"]])
    rows.sort(key=lambda r: (-r["n"], r["triage__category"] is None, r["triage__category"] or 0))
    result: list[ParetoRow] = []
    running = 0
    for row in rows:
        before = 100.0 * running / total if total else 0.0
        running += row["n"]
        category_id = row["triage__category"]
        result.append(
            ParetoRow(
                category_id=category_id,
                label=category_label(names.get(category_id) if category_id else None),
                count=row["n"],
                share=100.0 * row["n"] / total,
                cumulative=100.0 * running / total,
                vital=before < PARETO_LINE,
            )
        )
    return result


def repeat_by_category(
    rows: list[ParetoRow], bounds: tuple[datetime, datetime]
) -> list[dict[str, Any]]:
    """The repeat-contact rate (DESIGN.md: same customer, same category, within 7 days) of the
    leading categories."""
    result: list[dict[str, Any]] = []
    with measuring():
        for row in [r for r in rows if r.category_id is not None][:REPEAT_CATEGORIES]:
            m = measure("repeat_contact_rate", Scope(category_id=row.category_id), *bounds)
            result.append(
                {
                    "category_id": row.category_id,
                    "label": row.label,
                    "tickets": m.sample,
                    "repeats": int(m.numerator),
                    "rate": m.value,
                    "over_30": m.value is not None and m.value > 30.0,
                }
            )
    result.sort(key=lambda r: -(r["rate"] or 0))
    return result


def top_problems(
    start: datetime, end: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Problems ranked by tickets of the month linked to them (then by all their tickets), and
    every problem touched in the month grouped by root cause."""
    in_month = Q(links__ticket__created_at__gte=start, links__ticket__created_at__lt=end)
    touched = (
        Problem.objects.exclude(status=ProblemStatus.REJECTED)
        .filter(Q(created_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=start)))
        .annotate(month_tickets=Count("links", filter=in_month), all_tickets=Count("links"))
        .select_related("owner", "category")
        .order_by("-month_tickets", "-all_tickets", "-id")
    )
    problems: list[dict[str, Any]] = []
    causes: dict[str, int] = {}
    for problem in touched:
        cause = problem.root_cause or ""
        causes[cause] = causes.get(cause, 0) + 1
        if len(problems) < TOP_PROBLEMS:
            problems.append(
                {
                    "id": problem.pk,
                    "title": problem.title,
                    "status": problem.get_status_display(),
                    "root_cause": problem.get_root_cause_display() if cause else _("Not yet known"),
                    "owner": str(problem.owner) if problem.owner else "",
                    "category": category_label(problem.category) if problem.category else "",
                    "month_tickets": problem.month_tickets,
                    "all_tickets": problem.all_tickets,
                }
            )
    root_causes = [
        {
            "root_cause": cause,
            "label": RootCause(cause).label if cause else _("Not yet known"),
            "problems": count,
        }
        for cause, count in sorted(causes.items(), key=lambda item: (-item[1], item[0]))
    ]
    return problems, root_causes


def alerts_and_actions(
    start: datetime, end: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Alerts fired in the month, and corrective actions opened in the month or whose effect
    was checked in it, with what the check found."""
    alerts = [
        {
            "id": alert.pk,
            "rule": alert.rule.name,
            "metric": str(metric_get(alert.metric).label),
            "fired_at": alert.fired_at,
            "fired_value": alert.fired_value,
            "cleared_at": alert.cleared_at,
            "action_status": (
                alert.corrective_action.get_status_display()
                if hasattr(alert, "corrective_action")
                else ""
            ),
        }
        for alert in Alert.objects.filter(fired_at__gte=start, fired_at__lt=end)
        .select_related("rule", "corrective_action")
        .order_by("fired_at", "id")
    ]
    problem_type = ContentType.objects.get_for_model(Problem)
    rows = CorrectiveAction.objects.filter(
        Q(created_at__gte=start, created_at__lt=end)
        | Q(effect_checked_at__gte=start, effect_checked_at__lt=end)
        | Q(closed_at__gte=start, closed_at__lt=end)
    ).order_by("created_at", "id")
    actions = []
    for action in rows:
        if action.is_improved is True or action.status == ActionStatus.EFFECTIVE:
            worked = _("Effective")
        elif action.is_improved is False or action.status == ActionStatus.NOT_EFFECTIVE:
            worked = _("Not effective")
        else:
            worked = _("Not checked yet")
        actions.append(
            {
                "id": action.pk,
                "title": action.title,
                "for": _("Problem")
                if action.subject_type_id == problem_type.pk
                else (_("Alert") if action.alert_id else ""),
                "status": action.get_status_display(),
                "root_cause": action.get_root_cause_display() if action.root_cause else "",
                "value_before": action.value_before,
                "value_after": action.value_after,
                "is_improved": action.is_improved,
                "worked": worked,
            }
        )
    return alerts, actions


def monthly_review(month: str) -> MonthlyReview:
    """The review of ``month`` (``YYYY-MM``)."""
    first = month_parse(month)
    bounds = month_bounds(first)
    previous_first = _previous_month(first)
    previous = month_bounds(previous_first)
    rows = pareto(*bounds)
    problems, root_causes = top_problems(*bounds)
    alerts, actions = alerts_and_actions(*bounds)
    return MonthlyReview(
        month=first.strftime("%Y-%m"),
        start=bounds[0],
        end=bounds[1],
        previous_month=previous_first.strftime("%Y-%m"),
        headline=_figures(HEADLINE_METRICS, bounds, previous),
        pareto=rows,
        repeat=repeat_by_category(rows, bounds),
        problems=problems,
        root_causes=root_causes,
        alerts=alerts,
        actions=actions,
        goals=_figures(GOAL_METRICS, bounds, previous),
        effective_actions=sum(1 for a in actions if a["is_improved"] is True),
        checked_actions=sum(1 for a in actions if a["is_improved"] is not None),
        sections={key: str(title) for key, title in SECTION_TITLES.items()},
        chart=pareto_chart(rows),
    )


def fmt(value: float | None, digits: int = 1) -> str:
    """A figure for a table cell: rounded, or an en dash when there is none."""
    if value is None:
        return "–"
    return f"{value:.{digits}f}"


def monthly_csv(review: MonthlyReview) -> str:
    """The review as one CSV with sections: a ``section`` column names each row's table, and
    every section starts with its own header row (section, then the column names)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "month", review.month])

    def figures(section: str, rows: list[Figure]) -> None:
        writer.writerow(
            [
                section,
                "metric",
                "label",
                "unit",
                "value",
                "sample",
                "previous",
                "change",
                "goal",
                "target",
                "met",
            ]
        )
        for f in rows:
            writer.writerow(
                [
                    section,
                    f.key,
                    f.label,
                    f.unit,
                    fmt(f.value, 2),
                    f.sample,
                    fmt(f.previous, 2),
                    fmt(f.change, 2),
                    f.comparison,
                    "" if f.target is None else f.target,
                    "" if f.met is None else ("yes" if f.met else "no"),
                ]
            )

    figures("headline", review.headline)
    writer.writerow(
        ["pareto", "category_id", "category", "tickets", "share", "cumulative", "vital"]
    )
    for p in review.pareto:
        writer.writerow(
            [
                "pareto",
                p.category_id or "",
                p.label,
                p.count,
                fmt(p.share, 2),
                fmt(p.cumulative, 2),
                "yes" if p.vital else "no",
            ]
        )
    writer.writerow(["repeat", "category_id", "category", "tickets", "repeats", "rate"])
    for r in review.repeat:
        writer.writerow(
            ["repeat", r["category_id"], r["label"], r["tickets"], r["repeats"], fmt(r["rate"], 2)]
        )
    writer.writerow(
        ["problems", "id", "title", "status", "root_cause", "owner", "month_tickets", "all_tickets"]
    )
    for prob in review.problems:
        writer.writerow(
            [
                "problems",
                prob["id"],
                prob["title"],
                prob["status"],
                prob["root_cause"],
                prob["owner"],
                prob["month_tickets"],
                prob["all_tickets"],
            ]
        )
    writer.writerow(["root_causes", "root_cause", "label", "problems"])
    for c in review.root_causes:
        writer.writerow(["root_causes", c["root_cause"], c["label"], c["problems"]])
    writer.writerow(["alerts", "id", "rule", "metric", "fired_at", "fired_value", "cleared_at"])
    for a in review.alerts:
        writer.writerow(
            [
                "alerts",
                a["id"],
                a["rule"],
                a["metric"],
                a["fired_at"].isoformat(),
                fmt(a["fired_value"], 2),
                a["cleared_at"].isoformat() if a["cleared_at"] else "",
            ]
        )
    writer.writerow(
        ["actions", "id", "title", "status", "root_cause", "value_before", "value_after", "worked"]
    )
    for a in review.actions:
        writer.writerow(
            [
                "actions",
                a["id"],
                a["title"],
                a["status"],
                a["root_cause"],
                fmt(a["value_before"], 2),
                fmt(a["value_after"], 2),
                a["worked"],
            ]
        )
    figures("goals", review.goals)
    return out.getvalue()


__all__ = [
    "Figure",
    "MonthlyReview",
    "ParetoRow",
    "monthly_csv",
    "monthly_review",
    "month_parse",
]


CHART_BARS = 12
CHART_W, CHART_H, CHART_PAD = 720, 240, 30


def pareto_chart(rows: list[ParetoRow]) -> dict[str, Any]:
    """Geometry of the Pareto chart (bars: tickets; line: cumulative share; dashed: 80 %) in
    SVG user units, for the page and the standalone HTML; the table beside it has the figures."""
    shown = rows[:CHART_BARS]
    if not shown:
        return {}
    plot_w, plot_h = CHART_W - 2 * CHART_PAD, CHART_H - 2 * CHART_PAD
    step = plot_w / len(shown)
    top = max(r.count for r in shown)
    bars, points = [], []
    for index, row in enumerate(shown):
        height = plot_h * row.count / top
        x = CHART_PAD + index * step
        bars.append(
            {
                "x": round(x + step * 0.1, 1),
                "y": round(CHART_PAD + plot_h - height, 1),
                "w": round(step * 0.8, 1),
                "h": round(height, 1),
                "row": row,
            }
        )
        y = CHART_PAD + plot_h * (1 - row.cumulative / 100)
        points.append(f"{x + step / 2:.1f},{y:.1f}")
    return {
        "width": CHART_W,
        "height": CHART_H,
        "bars": bars,
        "line": " ".join(points),
        "line80_y": round(CHART_PAD + plot_h * (1 - PARETO_LINE / 100), 1),
        "left": CHART_PAD,
        "right": CHART_W - CHART_PAD,
        "bottom": CHART_PAD + plot_h,
    }


FILE_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


def monthly_file(review: MonthlyReview, fmt: str) -> bytes:
    """The review as a file: a standalone HTML page, a PDF, or the CSV (UTF-8 with a byte
    order mark, so spreadsheet programs read Chinese correctly)."""
    if fmt == "pdf":
        from closeloop.analytics.report_pdf import monthly_pdf

        return monthly_pdf(review)
    if fmt == "csv":
        return monthly_csv(review).encode("utf-8-sig")
    if fmt == "html":
        from django.template.loader import render_to_string

        html = render_to_string("analytics/monthly_standalone.html", {"review": review})
        return html.encode("utf-8")
    raise InvalidInput(_("Unknown format."), details={"field": "format"})
