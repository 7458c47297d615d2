"""Diagnosis scoring: pure functions from an indicator's value and goal to a sub-score, from
sub-scores to a dimension's score, from a score to a maturity level (no database)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from closeloop.analytics.metrics import Measurement


class Dimension(StrEnum):
    """The three maturity dimensions."""

    RESPONSE = "response"
    RESOLUTION = "resolution"
    SATISFACTION = "satisfaction"


DIMENSION_LABELS: dict[Dimension, Promise] = {
    Dimension.RESPONSE: _("Response"),
    Dimension.RESOLUTION: _("Resolution"),
    Dimension.SATISFACTION: _("Satisfaction"),
}


class Level(StrEnum):
    """Maturity levels by score."""

    INITIAL = "initial"
    DEVELOPING = "developing"
    MANAGED = "managed"
    OPTIMISED = "optimised"


LEVEL_LABELS: dict[Level, Promise] = {
    Level.INITIAL: _("Initial"),
    Level.DEVELOPING: _("Developing"),
    Level.MANAGED: _("Managed"),
    Level.OPTIMISED: _("Optimised"),
}


@dataclass(frozen=True)
class Evidence:
    """One indicator's figures in an assessment."""

    key: str
    label: str
    unit: str
    value: float | None
    sample: int
    goal: float
    zero_at: float
    weight: int
    sub_score: float | None
    meets_goal: bool | None
    touches_all: bool = False  # the gap touches every contact (surveys), not only the sample


@dataclass(frozen=True)
class DimensionScore:
    """A dimension's score 0–100 (None without data), its level and the evidence."""

    dimension: str
    label: str
    score: float | None
    level: str | None
    level_label: str
    evidence: list[Evidence]
    measured: int = 0  # indicators with data (the score rests on these)


# --- pure scoring -----------------------------------------------------------------------------


def sub_score(value: float, *, goal: float, zero_at: float) -> float:
    """100 × (value − zero) ÷ (goal − zero), clamped to 0–100, one decimal."""
    if goal == zero_at:
        raise ValueError("goal and zero_at must differ")
    share = (value - zero_at) / (goal - zero_at)
    return round(100.0 * min(1.0, max(0.0, share)), 1)


def meets_goal(value: float, *, goal: float, zero_at: float, strict: bool = False) -> bool:
    """Whether ``value`` is at or past the goal in the better direction (past it when the goal
    is ``strict``: "NPS > 60")."""
    if strict:
        return value > goal if goal > zero_at else value < goal
    return value >= goal if goal > zero_at else value <= goal


def dimension_score(parts: Iterable[tuple[int, float | None]]) -> float | None:
    """The weighted mean of (weight, sub-score) pairs, skipping those without a score."""
    scored = [(weight, score) for weight, score in parts if score is not None and weight > 0]
    total = sum(weight for weight, _score in scored)
    if not total:
        return None
    return round(sum(weight * score for weight, score in scored) / total, 1)


def maturity_level(score: float) -> Level:
    """0–39 initial, 40–59 developing, 60–79 managed, 80–100 optimised."""
    if score >= 80:
        return Level.OPTIMISED
    if score >= 60:
        return Level.MANAGED
    if score >= 40:
        return Level.DEVELOPING
    return Level.INITIAL


def evidence_of(
    *,
    key: str,
    label: str,
    unit: str,
    measurement: Measurement,
    goal: float,
    zero_at: float,
    weight: int,
    touches_all: bool = False,
    strict: bool = False,
) -> Evidence:
    """An indicator's measurement scored against its goal."""
    value = measurement.value
    return Evidence(
        key=key,
        label=label,
        unit=unit,
        value=None if value is None else round(value, 1),
        sample=measurement.sample,
        goal=goal,
        zero_at=zero_at,
        weight=weight,
        sub_score=None if value is None else sub_score(value, goal=goal, zero_at=zero_at),
        meets_goal=(
            None if value is None else meets_goal(value, goal=goal, zero_at=zero_at, strict=strict)
        ),
        touches_all=touches_all,
    )


def dimension_of(dimension: Dimension, evidence: list[Evidence]) -> DimensionScore:
    """The dimension's score and level from its indicators' evidence."""
    score = dimension_score((row.weight, row.sub_score) for row in evidence)
    level = None if score is None else maturity_level(score)
    return DimensionScore(
        dimension=dimension.value,
        label=str(DIMENSION_LABELS[dimension]),
        score=score,
        level=None if level is None else level.value,
        level_label=str(LEVEL_LABELS[level]) if level else str(_("No data")),
        evidence=evidence,
        measured=sum(1 for row in evidence if row.sub_score is not None),
    )
