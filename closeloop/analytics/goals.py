"""Goals and the baseline: how far a figure is from its goal and how it moved since the
baseline period ("first response time −50 % vs baseline", better or worse)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from closeloop.analytics.metrics import Direction, metric_get
from closeloop.analytics.models_engine import BaselinePeriod, Goal, GoalComparison
from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.people.models import Agent


@dataclass(frozen=True)
class Progress:
    """A figure against its goal and its baseline.

    ``met`` is None without a goal or a value; ``gap`` is value − target (in the metric's
    unit); ``change_pct`` is the relative change from the baseline in percent (None without a
    baseline or when the baseline is 0); ``better`` says whether the change is an improvement
    (None when unchanged or unknown)."""

    key: str
    value: float | None
    comparison: str
    target: float | None
    met: bool | None
    gap: float | None
    baseline: float | None
    change_pct: float | None
    better: bool | None

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "comparison": self.comparison,
            "target": self.target,
            "met": self.met,
            "gap": self.gap,
            "baseline": self.baseline,
            "change_pct": self.change_pct,
            "better": self.better,
        }


def goals_by_metric() -> dict[str, Goal]:
    """Every goal by metric key (a handful of rows)."""
    return {goal.metric: goal for goal in Goal.objects.all()}


def goal_progress(
    *,
    key: str,
    value: float | None,
    baseline: float | None,
    goals: dict[str, Goal] | None = None,
) -> Progress:
    """``value`` of metric ``key`` against its goal and ``baseline``; pass ``goals`` (from
    ``goals_by_metric``) when computing many to read the table once."""
    definition = metric_get(key)
    goal = (goals if goals is not None else goals_by_metric()).get(key)
    met = gap = None
    if goal is not None and value is not None:
        met = goal.is_met(value)
        gap = value - goal.target
    change = better = None
    if baseline is not None and value is not None:
        if baseline:
            change = 100.0 * (value - baseline) / abs(baseline)
        if value != baseline:
            better = definition.is_better(value, baseline)
    return Progress(
        key=key,
        value=value,
        comparison=goal.comparison if goal else "",
        target=goal.target if goal else None,
        met=met,
        gap=gap,
        baseline=baseline,
        change_pct=change,
        better=better,
    )


def baseline_get() -> BaselinePeriod | None:
    """The baseline period, if one is set."""
    return BaselinePeriod.objects.order_by("pk").first()


def baseline_bounds() -> tuple[datetime, datetime] | None:
    """The baseline period as a half-open [start, end) in the organisation's time zone."""
    period = baseline_get()
    if period is None:
        return None
    return day_start(period.start), day_start(period.end + timedelta(days=1))


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the organisation's time zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def goal_set(*, actor: Agent | None, metric: str, comparison: str, target: float) -> Goal:
    """Set (or replace) the goal for ``metric``."""
    metric_get(metric)
    if comparison not in GoalComparison.values:
        raise InvalidInput(str(_("Unknown comparison.")), details={"field": "comparison"})
    with transaction.atomic():
        goal, _created = Goal.objects.update_or_create(
            metric=metric,
            defaults={"comparison": comparison, "target": float(target), "updated_at": clock.now()},
        )
    return goal


def goal_delete(*, actor: Agent | None, metric: str) -> bool:
    """Remove the goal for ``metric``; whether there was one."""
    with transaction.atomic():
        deleted, _rows = Goal.objects.filter(metric=metric).delete()
    return bool(deleted)


def baseline_set(
    *, actor: Agent | None, start: date | None, end: date | None
) -> BaselinePeriod | None:
    """Set the baseline period (inclusive days), or clear it with ``start`` None."""
    with transaction.atomic():
        BaselinePeriod.objects.all().delete()
        if start is None:
            return None
        if end is None or end < start:
            raise InvalidInput(
                str(_("The baseline must end on or after its start.")), details={"field": "end"}
            )
        return BaselinePeriod.objects.create(start=start, end=end, updated_at=clock.now())


def direction_word(key: str) -> Direction:
    """Which way is better for ``key`` (for templates)."""
    return metric_get(key).direction
