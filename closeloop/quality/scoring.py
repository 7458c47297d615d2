"""Pure maths of a review and of the sampling: weighted score, critical failure, allocation
of a sample across channels, the seeded draw, round-robin reviewers, calibration spread."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class CriterionRule:
    """What the score needs to know of a criterion."""

    key: str
    weight: int
    max_points: int
    is_critical: bool


@dataclass(frozen=True)
class ScoreResult:
    """A review's weighted score (0–100, two decimals), critical failure and pass."""

    score: Decimal
    critical_failed: bool
    passed: bool


def criterion_failed(points: int, max_points: int) -> bool:
    """A criterion is failed below half its points (0 of a pass/fail criterion)."""
    return points * 2 < max_points


def score_compute(
    criteria: Sequence[CriterionRule], points: Mapping[str, int], pass_mark: int
) -> ScoreResult:
    """Weighted percentage of points; failing a critical criterion fails the review."""
    total_weight = sum(rule.weight for rule in criteria)
    if total_weight == 0:
        raise ValueError("a scorecard needs at least one criterion")
    earned = sum(
        Decimal(rule.weight) * Decimal(points[rule.key]) / Decimal(rule.max_points)
        for rule in criteria
    )
    score = (earned * 100 / Decimal(total_weight)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    critical_failed = any(
        rule.is_critical and criterion_failed(points[rule.key], rule.max_points)
        for rule in criteria
    )
    return ScoreResult(
        score=score,
        critical_failed=critical_failed,
        passed=score >= pass_mark and not critical_failed,
    )


def sample_size(mode: str, amount: int, available: int) -> int:
    """How many of ``available`` conversations to draw: n, or x % rounded up."""
    if available <= 0:
        return 0
    wanted = amount if mode == "count" else math.ceil(available * amount / 100)
    return min(wanted, available)


def allocate(strata: Mapping[str, int], n: int) -> dict[str, int]:
    """Split ``n`` across strata (channel → size) in proportion, at least one each where n
    allows, by largest remainder; ties go to the larger stratum, then the name."""
    total = sum(strata.values())
    n = min(n, total)
    allocation = dict.fromkeys(strata, 0)
    if n <= 0:
        return allocation
    exact = {name: n * size / total for name, size in strata.items()}
    for name in strata:
        allocation[name] = math.floor(exact[name])
    if n >= len([s for s in strata.values() if s > 0]):
        for name, size in strata.items():
            if size > 0 and allocation[name] == 0:
                allocation[name] = 1
    # The minimum of one may overshoot: take back from the most over-allocated.
    while sum(allocation.values()) > n:
        name = max(
            (name for name in strata if allocation[name] > 1),
            key=lambda k: (allocation[k] - exact[k], k),
        )
        allocation[name] -= 1
    order = sorted(strata, key=lambda k: (-(exact[k] - allocation[k]), -strata[k], k))
    while sum(allocation.values()) < n:
        for name in order:
            if sum(allocation.values()) == n:
                break
            if allocation[name] < strata[name]:
                allocation[name] += 1
    return allocation


def draw(candidates: Mapping[str, Sequence[int]], n: int, *, seed: str) -> list[int]:
    """A reproducible stratified sample: ``n`` ids across the channels' candidate lists."""
    allocation = allocate({channel: len(ids) for channel, ids in candidates.items()}, n)
    rng = random.Random(seed)  # noqa: S311 - reproducible on purpose, not a secret
    chosen: list[int] = []
    for channel in sorted(candidates):
        chosen.extend(rng.sample(sorted(candidates[channel]), allocation[channel]))
    return sorted(chosen)


class RoundRobin:
    """Hands out reviewers in turn, skipping the reviewed agent themselves."""

    def __init__(self, reviewer_ids: Sequence[int]) -> None:
        self.reviewer_ids = sorted(set(reviewer_ids))
        self.position = 0

    def next_for(self, agent_id: int) -> int | None:
        """The next reviewer who is not ``agent_id`` (None if nobody else can review)."""
        count = len(self.reviewer_ids)
        for step in range(count):
            index = (self.position + step) % count
            if self.reviewer_ids[index] != agent_id:
                self.position = index + 1
                return self.reviewer_ids[index]
        return None


@dataclass(frozen=True)
class Spread:
    """How far several reviewers' scores of one conversation lie apart."""

    count: int
    minimum: float | None
    maximum: float | None
    mean: float | None
    stdev: float | None  # population standard deviation of the total scores
    # criterion key -> (min points, max points, share of reviewers off the most common score)
    criteria: dict[str, tuple[int, int, float]]


def spread_compute(scores: Sequence[float], criteria: Mapping[str, Sequence[int]]) -> Spread:
    """The spread of total scores and, per criterion, the disagreement between reviewers."""
    per_criterion: dict[str, tuple[int, int, float]] = {}
    for key, points in criteria.items():
        if not points:
            continue
        most_common = max(points.count(p) for p in set(points))
        per_criterion[key] = (min(points), max(points), round(1 - most_common / len(points), 4))
    if not scores:
        return Spread(0, None, None, None, None, per_criterion)
    return Spread(
        count=len(scores),
        minimum=min(scores),
        maximum=max(scores),
        mean=round(statistics.fmean(scores), 2),
        stdev=round(statistics.pstdev(scores), 2),
        criteria=per_criterion,
    )
