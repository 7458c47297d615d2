"""Diagnosis: service health maturity on three dimensions, and the improvement priority table.

Maturity (docs/diagnosis.md has the formula and the table of indicators):

- each indicator is a metric with a goal and a "zero" value (the value that scores 0); its
  sub-score is ``100 × (value − zero) ÷ (goal − zero)`` clamped to 0–100, so meeting the goal
  scores 100 whichever way is better;
- a dimension's score is the weighted mean of its indicators' sub-scores, leaving out the ones
  without data (no sample); with no data at all the dimension has no score;
- the level: 0–39 initial, 40–59 developing, 60–79 managed, 80–100 optimised.

The improvement table turns every gap (an indicator below its goal, a problem in the urgency
list) into a measure with an impact 1–5 (gap × share of the period's contacts it touches) and an
effort 1–5 (a default per kind of measure, which a lead may change: ``ImprovementEffort``);
quick wins (impact ≥ 3, effort ≤ 2) come first, then by impact ÷ effort.

The scoring and ordering functions are pure; ``diagnosis_compute`` gathers the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from closeloop.analytics.diagnosis_improvements import (
    DEFAULT_EFFORT,
    Improvement,
    MeasureKind,
    improvements_from,
)
from closeloop.analytics.diagnosis_problems import Problem, problems_find, problems_ranked
from closeloop.analytics.diagnosis_scoring import (
    Dimension,
    DimensionScore,
    Evidence,
    dimension_of,
    evidence_of,
)
from closeloop.analytics.engine import metric_value
from closeloop.analytics.metrics import Measurement, Scope, measuring, rate
from closeloop.analytics.models_diagnosis import ImprovementEffort
from closeloop.analytics.models_engine import Goal, GoalComparison
from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.tickets.models import Channel, Kind, Ticket

CHAT_RECEPTION_MINUTES = 10
FEEDBACK_ANSWER_HOURS = 24

# --- goals ------------------------------------------------------------------------------------

# The plans' targets (DESIGN.md), in one place: metric key → goal. Percent metrics in percent.
# The organisation's goals (``Goal`` rows, changed by leads) take precedence: ``goals_current``.
GOALS: dict[str, float] = {
    "response_on_time_rate": 98.0,
    "first_response_median": 60.0,  # minutes: the high-priority response target
    "chat_reception_rate": 100.0,  # chat answered within 10 minutes
    "resolution_on_time_rate": 95.0,
    "first_contact_resolution": 70.0,
    "reopen_rate": 5.0,
    "repeat_contact_rate": 10.0,
    "escalated_resolution_rate": 95.0,
    "csat": 90.0,
    "nps": 60.0,
    "complaint_rate": 5.0,
    "feedback_answered_rate": 100.0,  # every piece of feedback answered within 24 h
}
# The plan's goals that are strict ("NPS > 60", "complaint rate < 5 %"): the goal value itself
# does not meet them.
STRICT_GOALS = frozenset({"nps", "complaint_rate"})


# (start, end, now) → measurement
IndicatorMeasure = Callable[[datetime, datetime, datetime], Measurement]


@dataclass(frozen=True)
class Indicator:
    """One metric counted in a dimension: the value that scores 0, its weight, its measure."""

    key: str
    dimension: Dimension
    label: Promise
    unit: str  # "percent", "minutes" or "score"
    zero_at: float
    weight: int
    measure: IndicatorMeasure
    touches_all: bool = False  # the gap touches every contact (surveys), not the sample


# --- indicators -------------------------------------------------------------------------------


def _registered(key: str) -> IndicatorMeasure:
    def measured(start: datetime, end: datetime, now: datetime) -> Measurement:
        # The engine's value equals ``measure``'s and reads the daily rollups.
        return metric_value(key, Scope(), start, end)

    return measured


def answered_within(*, kind: str = "", channel: str = "", limit: timedelta) -> IndicatorMeasure:
    """Tickets opened in the period (of the kind or channel) first answered by a person within
    ``limit`` ÷ those answered or already waiting longer than ``limit`` at the period's end (or
    now, if sooner)."""

    def answered(start: datetime, end: datetime, now: datetime) -> Measurement:
        tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        if kind:
            tickets = tickets.filter(kind=kind)
        if channel:
            tickets = tickets.filter(channel=channel)
        decided = Q(first_responded_at__isnull=False) | Q(created_at__lt=min(end, now) - limit)
        counts = tickets.aggregate(
            sample=Count("pk", filter=decided),
            hits=Count("pk", filter=Q(first_responded_at__lte=F("created_at") + limit)),
        )
        return rate(counts["hits"], counts["sample"])

    return answered


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "response_on_time_rate",
        Dimension.RESPONSE,
        _("Response on-time rate"),
        "percent",
        50,
        3,
        _registered("response_on_time_rate"),
    ),
    Indicator(
        "first_response_median",
        Dimension.RESPONSE,
        _("First response time (median)"),
        "minutes",
        480,
        2,
        _registered("first_response_median"),
    ),
    Indicator(
        "chat_reception_rate",
        Dimension.RESPONSE,
        _("Chats answered within 10 minutes"),
        "percent",
        50,
        2,
        answered_within(channel=Channel.CHAT, limit=timedelta(minutes=CHAT_RECEPTION_MINUTES)),
    ),
    Indicator(
        "resolution_on_time_rate",
        Dimension.RESOLUTION,
        _("Resolution on-time rate"),
        "percent",
        50,
        3,
        _registered("resolution_on_time_rate"),
    ),
    Indicator(
        "first_contact_resolution",
        Dimension.RESOLUTION,
        _("First-contact resolution"),
        "percent",
        20,
        2,
        _registered("first_contact_resolution"),
    ),
    Indicator(
        "reopen_rate",
        Dimension.RESOLUTION,
        _("Reopen rate"),
        "percent",
        30,
        1,
        _registered("reopen_rate"),
    ),
    Indicator(
        "repeat_contact_rate",
        Dimension.RESOLUTION,
        _("Repeat-contact rate"),
        "percent",
        30,
        1,
        _registered("repeat_contact_rate"),
    ),
    Indicator(
        "escalated_resolution_rate",
        Dimension.RESOLUTION,
        _("Escalated resolution rate"),
        "percent",
        50,
        2,
        _registered("escalated_resolution_rate"),
    ),
    Indicator(
        "csat", Dimension.SATISFACTION, _("CSAT"), "percent", 50, 3, _registered("csat"), True
    ),
    Indicator("nps", Dimension.SATISFACTION, _("NPS"), "score", 0, 2, _registered("nps"), True),
    Indicator(
        "complaint_rate",
        Dimension.SATISFACTION,
        _("Complaint rate"),
        "percent",
        20,
        2,
        _registered("complaint_rate"),
        True,
    ),
    Indicator(
        "feedback_answered_rate",
        Dimension.SATISFACTION,
        _("Feedback answered within 24 h"),
        "percent",
        50,
        2,
        answered_within(kind=Kind.FEEDBACK, limit=timedelta(hours=FEEDBACK_ANSWER_HOURS)),
    ),
)


def goals_current() -> dict[str, float]:
    """GOALS with the organisation's targets (``Goal`` rows) in their place, where a target is
    on the same side of the indicator's zero as the plan's (a goal past the floor could not be
    scored)."""
    return {key: target for key, (target, _strict) in _goals_in_force().items()}


def goals_strict() -> frozenset[str]:
    """The indicators whose goal in force is strict ("above" or "below")."""
    return frozenset(key for key, (_target, strict) in _goals_in_force().items() if strict)


def _goals_in_force() -> dict[str, tuple[float, bool]]:
    goals = {key: (target, key in STRICT_GOALS) for key, target in GOALS.items()}
    zero = {indicator.key: indicator.zero_at for indicator in INDICATORS}
    rows = Goal.objects.filter(metric__in=list(GOALS)).values_list("metric", "comparison", "target")
    for metric, comparison, target in rows:
        if (target - zero[metric]) * (GOALS[metric] - zero[metric]) > 0:
            strict = comparison in (GoalComparison.ABOVE, GoalComparison.BELOW)
            goals[metric] = (target, strict)
    return goals


def assessment_compute(
    *, start: datetime, end: datetime, now: datetime, goals: dict[str, float] | None = None
) -> list[DimensionScore]:
    """The three dimensions' scores over [start, end) against ``goals`` (default: the current
    goals)."""
    goals = {**GOALS, **(goals if goals is not None else goals_current())}
    strict = goals_strict()
    by_dimension: dict[Dimension, list[Evidence]] = {dimension: [] for dimension in Dimension}
    with measuring():
        for indicator in INDICATORS:
            measurement = indicator.measure(start, end, now)
            by_dimension[indicator.dimension].append(
                evidence_of(
                    key=indicator.key,
                    label=str(indicator.label),
                    unit=indicator.unit,
                    measurement=measurement,
                    goal=goals[indicator.key],
                    zero_at=indicator.zero_at,
                    weight=indicator.weight,
                    touches_all=indicator.touches_all,
                    strict=indicator.key in strict,
                )
            )
    return [dimension_of(dimension, rows) for dimension, rows in by_dimension.items()]


# --- the whole diagnosis ----------------------------------------------------------------------


@dataclass(frozen=True)
class Diagnosis:
    """Everything the diagnosis page and API show for one period."""

    start: datetime
    end: datetime
    computed_at: datetime
    volume: int
    dimensions: list[DimensionScore]
    problems: list[Problem]
    improvements: list[Improvement]


def diagnosis_compute(*, start: datetime, end: datetime, now: datetime | None = None) -> Diagnosis:
    """Assess [start, end): maturity, the ranked problem list, the improvement table."""
    if not start < end:
        raise InvalidInput(gettext("The period must end after it starts."), details={"field": "to"})
    now = now or clock.now()
    goals = goals_current()
    dimensions = assessment_compute(start=start, end=end, now=now, goals=goals)
    with measuring():
        problems = problems_ranked(problems_find(start=start, end=end, now=now, goals=goals))
        volume = Ticket.objects.filter(created_at__gte=start, created_at__lt=end).count()
    efforts = dict(ImprovementEffort.objects.values_list("measure", "effort"))
    evidence = [row for dimension in dimensions for row in dimension.evidence]
    improvements = improvements_from(
        evidence=evidence, problems=problems, volume=volume, efforts=efforts
    )
    return Diagnosis(
        start=start,
        end=end,
        computed_at=now,
        volume=volume,
        dimensions=dimensions,
        problems=problems,
        improvements=improvements,
    )


@dataclass(frozen=True)
class EffortRow:
    """A kind of improvement measure with its effort: a lead's, or the default."""

    measure: str
    label: str
    effort: int
    default: int
    is_changed: bool


def improvement_efforts() -> list[EffortRow]:
    """Every kind of improvement measure with its effort, in the kinds' order."""
    stored = dict(ImprovementEffort.objects.values_list("measure", "effort"))
    return [
        EffortRow(
            measure=value,
            label=str(label),
            effort=stored.get(value, DEFAULT_EFFORT[value]),
            default=DEFAULT_EFFORT[value],
            is_changed=value in stored,
        )
        for value, label in MeasureKind.choices
    ]


def improvement_effort_set(*, measure: str, effort: int, actor: Any) -> ImprovementEffort:
    """Store a lead's effort estimate (1–5) for one kind of improvement measure."""
    if measure not in MeasureKind.values:
        raise InvalidInput(
            gettext("%(measure)s is not a kind of improvement measure.") % {"measure": measure},
            details={"field": "measure"},
        )
    if not 1 <= effort <= 5:
        raise InvalidInput(gettext("Effort is 1 to 5."), details={"field": "effort"})
    with transaction.atomic():
        row, _created = ImprovementEffort.objects.update_or_create(
            measure=measure,
            defaults={
                "effort": effort,
                "updated_at": clock.now(),
                "updated_by": getattr(actor, "user", actor),
            },
        )
    return row
