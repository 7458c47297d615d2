"""What the dashboards show: the period, the overview's tiles, the journey and team tables.

Every figure comes from the metric registry (``closeloop.analytics.metrics``), so a dashboard
number is the API's and the exports' number. These functions only read (no side effects) and
return plain dataclasses for the templates; the SLA, survey and classification pages are in
``dashboard_sections``. ``overview_data`` is what the overview benchmark times.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from closeloop.analytics.engine import (
    ALL,
    SCOPE_FIELD,
    GroupKey,
    metric_series,
    metric_value,
    metrics_table,
    nothing,
)
from closeloop.analytics.goals import (
    Progress,
    baseline_bounds,
    day_start,
    goal_progress,
    goals_by_metric,
)
from closeloop.analytics.metrics import Measurement, Scope, Unit, measuring, metric_get
from closeloop.analytics.models_engine import Goal
from closeloop.core import clock
from closeloop.core.errors import InvalidInput

PRESET_DAYS = (7, 30, 90)
MAX_PERIOD_DAYS = 731

# The overview's tiles in order; a time tile's business-minutes twin replaces it when the
# page shows business time.
OVERVIEW_METRICS = (
    "volume",
    "first_response_median",
    "first_response_p90",
    "resolution_median",
    "resolution_p90",
    "response_on_time_rate",
    "resolution_on_time_rate",
    "first_contact_resolution",
    "reopen_rate",
    "csat",
    "nps",
    "complaint_rate",
    "bot_share",
    "self_service_share",
    "knowledge_use_rate",
    "escalated_resolution_rate",
)
BUSINESS_TWIN = {
    "first_response_median": "first_response_business_median",
    "first_response_p90": "first_response_business_p90",
    "resolution_median": "resolution_business_median",
    "resolution_p90": "resolution_business_p90",
}


# --- the period -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A half-open period [start, end) in the current time zone, and how it was chosen."""

    start: datetime
    end: datetime
    preset: str  # "7", "30", "90", "month" or "custom"
    month: str = ""

    @property
    def first_day(self) -> date:
        return _local(self.start)

    @property
    def last_day(self) -> date:
        """The last day inside the period (the end is exclusive)."""
        return _local(self.end - timedelta(microseconds=1))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def query(self) -> dict[str, str]:
        """The period as query parameters (for links that keep it)."""
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}


def _local(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def period_between(first_day: date, last_day: date, *, preset: str = "custom") -> Period:
    """The days from ``first_day`` to ``last_day`` inclusive."""
    return Period(day_start(first_day), day_start(last_day + timedelta(days=1)), preset)


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            _("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}, details={"field": name}
        ) from None


def period_parse(params: Mapping[str, str]) -> Period:
    """The period a page asks for: ``period=7|30|90`` (last days up to today), ``month=YYYY-MM``
    or ``from``/``to`` dates (inclusive); the last 30 days by default. InvalidInput names the
    wrong field."""
    today = _local(clock.now())
    month = params.get("month", "").strip()
    first, last = params.get("from", "").strip(), params.get("to", "").strip()
    if month:
        try:
            year, number = (int(part) for part in month.split("-"))
            first_day = date(year, number, 1)
        except ValueError:
            raise InvalidInput(
                _("%(value)s is not a month (YYYY-MM).") % {"value": month},
                details={"field": "month"},
            ) from None
        last_day = first_day.replace(day=calendar.monthrange(year, number)[1])
        period = period_between(first_day, last_day, preset="month")
        return Period(period.start, period.end, "month", month=f"{year:04d}-{number:02d}")
    if first or last:
        first_day = _day(first, "from") if first else today - timedelta(days=29)
        last_day = _day(last, "to") if last else today
        if last_day < first_day:
            raise InvalidInput(_("The period ends before it starts."), details={"field": "to"})
        if (last_day - first_day).days >= MAX_PERIOD_DAYS:
            raise InvalidInput(_("A period is at most two years."), details={"field": "from"})
        return period_between(first_day, last_day)
    preset = params.get("period", "30").strip() or "30"
    if preset not in {str(days) for days in PRESET_DAYS}:
        raise InvalidInput(_("Choose the last 7, 30 or 90 days."), details={"field": "period"})
    days = int(preset)
    return period_between(today - timedelta(days=days - 1), today, preset=preset)


def baseline_of(period: Period) -> tuple[Period, bool]:
    """The organisation's baseline period, or else the period just before ``period`` (same
    length); the flag says whether it is the organisation's."""
    bounds = baseline_bounds()
    if bounds is not None:
        return Period(bounds[0], bounds[1], "custom"), True
    length = period.end - period.start
    return Period(period.start - length, period.start, "custom"), False


# --- the overview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    """One metric on the overview: value, goal, baseline, trend."""

    key: str
    label: str | Promise
    definition: str | Promise
    unit: str
    measurement: Measurement
    progress: Progress
    goal_text: str
    trend: list[tuple[str, float | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Overview:
    """The overview dashboard's data."""

    period: Period
    baseline: Period
    is_organisation_baseline: bool
    is_business_time: bool
    bucket: str
    tiles: list[Tile]


def bucket_of(period: Period) -> str:
    """The trend's step: days up to 92 days (daily values come from the rollups, medians
    and on-time rates included), weeks up to 26 weeks, months beyond."""
    if period.days <= 92:
        return "day"
    if period.days <= 182:
        return "week"
    return "month"


def _bucket_label(day: date, bucket: str) -> str:
    return day.strftime("%Y-%m") if bucket == "month" else day.strftime("%m-%d")


def _goal_text(goal: Goal | None) -> str:
    return f"{goal.get_comparison_display()} {goal.target:g}" if goal is not None else ""


def overview_data(start: datetime, end: datetime, *, business: bool = False) -> Overview:
    """Every overview metric over [start, end) with its goal, its baseline and a trend
    (additive metrics from the daily rollups; see ``engine``)."""
    period = Period(start, end, "custom")
    baseline, is_organisation = baseline_of(period)
    goals = goals_by_metric()
    bucket = bucket_of(period)
    tiles: list[Tile] = []
    with measuring():
        for base_key in OVERVIEW_METRICS:
            key = BUSINESS_TWIN.get(base_key, base_key) if business else base_key
            definition = metric_get(key)
            value = metric_value(key, ALL, start, end)
            before = metric_value(key, ALL, baseline.start, baseline.end).value
            if before is not None and definition.unit == Unit.COUNT:
                # a count grows with the period's length: compare it per day
                before *= (end - start) / (baseline.end - baseline.start)
            trend = metric_series(key=key, start=start, end=end, bucket=bucket)
            tiles.append(
                Tile(
                    key=key,
                    label=definition.label,
                    definition=definition.definition,
                    unit=str(definition.unit),
                    measurement=value,
                    progress=goal_progress(
                        key=key, value=value.value, baseline=before, goals=goals
                    ),
                    goal_text=_goal_text(goals.get(key)),
                    trend=[(_bucket_label(day, bucket), m.value) for day, m in trend],
                )
            )
    return Overview(period, baseline, is_organisation, business, bucket, tiles)


# --- grouped tables (journey, channels, teams, agents) -----------------------------------------


@dataclass(frozen=True)
class GroupRow:
    """One group's figures: its label, the scope that selects it, a value per metric."""

    label: str | Promise
    scope: Scope
    values: dict[str, Measurement]


def grouped(
    keys: Sequence[str],
    group_by: str,
    groups: Iterable[tuple[GroupKey, str | Promise]],
    period: Period,
) -> list[GroupRow]:
    """Each metric for each of ``groups`` (key, label; in that order, present or not) over
    the period: one grouped query per metric (``engine.metrics_table``)."""
    table = {
        row.key: row.values
        for row in metrics_table(keys=keys, start=period.start, end=period.end, group_by=group_by)
    }
    field_name = SCOPE_FIELD[group_by]
    return [
        GroupRow(
            label=label,
            scope=Scope(**{field_name: key}),  # type: ignore[arg-type]
            values=table.get(key) or {k: nothing(k) for k in keys},
        )
        for key, label in groups
    ]
