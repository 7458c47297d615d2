"""What the dashboards show: the period, the overview's tiles, the journey and team tables.

Every figure comes from the metric registry (``closeloop.analytics.metrics``), so a dashboard
number is the API's and the exports' number. These functions only read (no side effects) and
return plain dataclasses for the templates; the SLA, survey and classification pages are in
``dashboard_sections``. ``overview_data`` is what the overview benchmark times.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from closeloop.analytics.metrics import (
    Direction,
    Measurement,
    MetricDefinition,
    Scope,
    Unit,
    measure,
    measuring,
    metric_get,
)
from closeloop.analytics.models_engine import BaselinePeriod, Goal
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
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> date:
        """The last day inside the period (the end is exclusive)."""
        return timezone.localtime(self.end - timedelta(microseconds=1)).date()

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def query(self) -> dict[str, str]:
        """The period as query parameters (for links that keep it)."""
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_between(first_day: date, last_day: date, *, preset: str = "custom") -> Period:
    """The days from ``first_day`` to ``last_day`` inclusive."""
    return Period(_midnight(first_day), _midnight(last_day + timedelta(days=1)), preset)


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
    today = timezone.localdate(clock.now())
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
    row = BaselinePeriod.objects.order_by("-updated_at").first()
    if row is not None:
        return period_between(row.start, row.end), True
    length = period.end - period.start
    return Period(period.start - length, period.start, "custom"), False


def buckets_of(period: Period) -> list[Period]:
    """The trend's steps: days up to two weeks, weeks up to 16 weeks, months beyond."""
    if period.days <= 14:
        step = 1
    elif period.days <= 112:
        step = 7
    else:
        step = 0
    buckets: list[Period] = []
    day = period.first_day
    while day <= period.last_day:
        if step:
            following = day + timedelta(days=step)
        else:
            following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        buckets.append(
            period_between(
                day, min(following, period.last_day + timedelta(days=1)) - timedelta(days=1)
            )
        )
        day = following
    return buckets


# --- goals and progress -----------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """A figure against its goal and its baseline."""

    goal: float | None
    goal_text: str
    is_met: bool | None
    baseline: float | None
    change: float | None  # percent points for percent metrics, else percent change
    change_unit: str  # "points" or "percent"
    is_better: bool | None


def progress_of(
    definition: MetricDefinition, value: float | None, baseline: float | None, goal: Goal | None
) -> Progress:
    """How ``value`` compares with the goal and the baseline (pure)."""
    is_met = goal.is_met(value) if goal is not None and value is not None else None
    goal_text = f"{goal.get_comparison_display()} {goal.target:g}" if goal is not None else ""
    change: float | None = None
    change_unit = "points" if definition.unit in (Unit.PERCENT, Unit.SCORE) else "percent"
    if value is not None and baseline is not None:
        if change_unit == "points":
            change = value - baseline
        elif baseline:
            change = 100.0 * (value - baseline) / baseline
    is_better = (
        definition.is_better(value, baseline)
        if value is not None and baseline is not None and value != baseline
        else None
    )
    return Progress(
        goal=goal.target if goal is not None else None,
        goal_text=goal_text,
        is_met=is_met,
        baseline=baseline,
        change=change,
        change_unit=change_unit,
        is_better=is_better,
    )


# --- the overview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    """One metric on the overview: value, goal, baseline, trend."""

    key: str
    label: str | Promise
    definition: str | Promise
    unit: str
    lower_is_better: bool
    measurement: Measurement
    progress: Progress
    trend: list[tuple[str, float | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Overview:
    """The overview dashboard's data."""

    period: Period
    baseline: Period
    is_organisation_baseline: bool
    is_business_time: bool
    tiles: list[Tile]


def _bucket_label(bucket: Period) -> str:
    first = bucket.first_day
    if bucket.days >= 28 and first.day == 1:
        return first.strftime("%Y-%m")
    return first.strftime("%m-%d")


def series(key: str, buckets: Iterable[Period], scope: Scope) -> list[tuple[str, float | None]]:
    """The metric's value in each bucket, labelled."""
    return [
        (_bucket_label(bucket), measure(key, scope, bucket.start, bucket.end).value)
        for bucket in buckets
    ]


def overview_data(start: datetime, end: datetime, *, business: bool = False) -> Overview:
    """Every overview metric over [start, end) with its goal, its baseline and a trend."""
    period = Period(start, end, "custom")
    baseline, is_organisation = baseline_of(period)
    goals = {goal.metric: goal for goal in Goal.objects.all()}
    buckets = buckets_of(period)
    scope = Scope()
    tiles: list[Tile] = []
    with measuring():
        for base_key in OVERVIEW_METRICS:
            key = BUSINESS_TWIN.get(base_key, base_key) if business else base_key
            definition = metric_get(key)
            value = measure(key, scope, start, end)
            before = measure(key, scope, baseline.start, baseline.end)
            tiles.append(
                Tile(
                    key=key,
                    label=definition.label,
                    definition=definition.definition,
                    unit=str(definition.unit),
                    lower_is_better=definition.direction == Direction.LOWER_IS_BETTER,
                    measurement=value,
                    progress=progress_of(definition, value.value, before.value, goals.get(key)),
                    trend=series(key, buckets, scope),
                )
            )
    return Overview(period, baseline, is_organisation, business, tiles)


# --- grouped tables (journey, channels, teams, agents) -----------------------------------------


@dataclass(frozen=True)
class GroupRow:
    """One group's figures: its label, the scope that selects it, a value per metric."""

    label: str | Promise
    scope: Scope
    values: dict[str, Measurement]


def grouped(
    keys: Iterable[str], groups: Iterable[tuple[str | Promise, Scope]], period: Period
) -> list[GroupRow]:
    """Each metric for each group over the period."""
    keys = list(keys)
    rows: list[GroupRow] = []
    with measuring():
        for label, scope in groups:
            rows.append(
                GroupRow(
                    label=label,
                    scope=scope,
                    values={key: measure(key, scope, period.start, period.end) for key in keys},
                )
            )
    return rows
