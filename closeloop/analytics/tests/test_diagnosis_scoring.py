"""The diagnosis' pure functions: sub-scores, dimension scores, levels, impact, quadrants and
the orders of the problem list and the improvement table (no database)."""

from __future__ import annotations

import pytest

from closeloop.analytics.diagnosis_improvements import (
    DEFAULT_EFFORT,
    Improvement,
    MeasureKind,
    Quadrant,
    impact_level,
    improvement_of,
    improvements_from,
    improvements_ranked,
    quadrant_of,
)
from closeloop.analytics.diagnosis_problems import Problem, Rule, Urgency, problems_ranked
from closeloop.analytics.diagnosis_scoring import (
    Dimension,
    Level,
    dimension_of,
    dimension_score,
    evidence_of,
    maturity_level,
    meets_goal,
    sub_score,
)
from closeloop.analytics.metrics import Measurement


@pytest.mark.parametrize(
    ("value", "goal", "zero_at", "expected"),
    [
        (98.0, 98.0, 50.0, 100.0),  # at the goal
        (99.5, 98.0, 50.0, 100.0),  # past the goal: clamped
        (74.0, 98.0, 50.0, 50.0),  # (74 − 50) ÷ (98 − 50) = 24 ÷ 48
        (40.0, 98.0, 50.0, 0.0),  # below zero: clamped
        (86.0, 90.0, 50.0, 90.0),  # CSAT: 36 ÷ 40
        (120.0, 60.0, 480.0, 85.7),  # minutes, lower is better: (120 − 480) ÷ (60 − 480) = 0.857…
        (12.5, 5.0, 20.0, 50.0),  # complaint rate: (12.5 − 20) ÷ (5 − 20)
        (-10.0, 60.0, 0.0, 0.0),  # NPS below zero
        (45.0, 60.0, 0.0, 75.0),  # NPS 45 of 60
    ],
)
def test_sub_score_is_the_share_of_the_way_from_zero_to_the_goal(
    value: float, goal: float, zero_at: float, expected: float
) -> None:
    assert sub_score(value, goal=goal, zero_at=zero_at) == expected


def test_sub_score_refuses_a_goal_equal_to_zero() -> None:
    with pytest.raises(ValueError, match="differ"):
        sub_score(1.0, goal=5.0, zero_at=5.0)


def test_meets_goal_follows_the_better_direction() -> None:
    assert meets_goal(98.0, goal=98.0, zero_at=50.0)
    assert not meets_goal(97.9, goal=98.0, zero_at=50.0)
    assert meets_goal(4.0, goal=5.0, zero_at=20.0)
    assert not meets_goal(5.1, goal=5.0, zero_at=20.0)


def test_a_strict_goal_is_not_met_by_its_own_value() -> None:
    # "NPS > 60" and "complaint rate < 5 %"
    assert not meets_goal(60.0, goal=60.0, zero_at=0.0, strict=True)
    assert meets_goal(60.1, goal=60.0, zero_at=0.0, strict=True)
    assert not meets_goal(5.0, goal=5.0, zero_at=20.0, strict=True)
    assert meets_goal(4.9, goal=5.0, zero_at=20.0, strict=True)


def test_dimension_score_is_the_weighted_mean_without_the_missing() -> None:
    # (3 × 100 + 2 × 85.7 + 2 × 50) ÷ 7 = 571.4 ÷ 7 = 81.63 → 81.6; the None is left out.
    assert dimension_score([(3, 100.0), (2, 85.7), (2, 50.0), (5, None)]) == 81.6
    assert dimension_score([(1, None), (2, None)]) is None
    assert dimension_score([]) is None


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0.0, Level.INITIAL),
        (39.9, Level.INITIAL),
        (40.0, Level.DEVELOPING),
        (59.9, Level.DEVELOPING),
        (60.0, Level.MANAGED),
        (79.9, Level.MANAGED),
        (80.0, Level.OPTIMISED),
        (100.0, Level.OPTIMISED),
    ],
)
def test_maturity_levels(score: float, level: Level) -> None:
    assert maturity_level(score) == level


def test_a_dimension_from_evidence_names_its_level() -> None:
    rows = [
        evidence_of(
            key="csat",
            label="CSAT",
            unit="percent",
            measurement=Measurement(value=70.0, numerator=7, sample=10),
            goal=90.0,
            zero_at=50.0,
            weight=3,
        ),
        evidence_of(
            key="nps",
            label="NPS",
            unit="score",
            measurement=Measurement(value=None, numerator=0, sample=0),
            goal=60.0,
            zero_at=0.0,
            weight=2,
        ),
    ]
    # CSAT (70 − 50) ÷ (90 − 50) = 50; NPS has no data, so the score is CSAT's alone.
    dimension = dimension_of(Dimension.SATISFACTION, rows)
    assert rows[0].sub_score == 50.0
    assert rows[0].meets_goal is False
    assert rows[1].sub_score is None
    assert dimension.score == 50.0
    assert dimension.level == "developing"
    assert dimension.measured == 1
    empty = dimension_of(Dimension.RESPONSE, [rows[1]])
    assert (empty.score, empty.level, empty.level_label) == (None, None, "No data")


@pytest.mark.parametrize(
    ("gap", "reach", "impact"),
    [
        (1.0, 0.10, 5),
        (0.5, 0.19, 4),  # 0.095
        (0.5, 0.10, 4),  # 0.05
        (0.2, 0.10, 3),  # 0.02
        (0.1, 0.05, 2),  # 0.005
        (0.1, 0.04, 1),  # 0.004
        (0.0, 1.0, 1),
        (2.0, 3.0, 5),  # clamped to 1 × 1
    ],
)
def test_impact_level_steps(gap: float, reach: float, impact: int) -> None:
    assert impact_level(gap, reach) == impact


def test_quadrants() -> None:
    assert quadrant_of(3, 2) == Quadrant.QUICK_WIN
    assert quadrant_of(5, 3) == Quadrant.MAJOR_PROJECT
    assert quadrant_of(2, 1) == Quadrant.FILL_IN
    assert quadrant_of(1, 4) == Quadrant.THANKLESS


def _improvement(title: str, impact: int, effort: int) -> Improvement:
    return Improvement(
        measure=MeasureKind.STAFFING,
        measure_label="",
        title=title,
        source="x",
        impact=impact,
        effort=effort,
        priority=round(impact / effort, 2),
        quadrant=quadrant_of(impact, effort).value,
    )


def test_quick_wins_come_first_then_priority() -> None:
    rows = [
        _improvement("big project", 5, 5),  # major project, 1.0
        _improvement("fill-in", 2, 1),  # fill-in, 2.0
        _improvement("quick 3/2", 3, 2),  # quick win, 1.5
        _improvement("quick 4/1", 4, 1),  # quick win, 4.0
        _improvement("thankless", 1, 5),
        _improvement("quick 4/1", 2, 1),  # the same title with less impact is dropped
    ]
    ranked = improvements_ranked(rows)
    assert [(row.title, row.impact) for row in ranked] == [
        ("quick 4/1", 4),
        ("quick 3/2", 3),
        ("big project", 5),
        ("fill-in", 2),
        ("thankless", 1),
    ]


def _problem(urgency: Urgency, rule: Rule, affected: int, title: str = "t") -> Problem:
    return Problem(urgency=urgency, rule=rule, title=title, evidence=[], affected=affected, gap=1.0)


def test_problems_rank_by_urgency_then_size_then_rule() -> None:
    low_big = _problem(Urgency.LOW, Rule.KNOWLEDGE_GAP, 500)
    medium = _problem(Urgency.MEDIUM, Rule.CATEGORY_REPEAT_RATE, 40)
    high_small = _problem(Urgency.HIGH, Rule.COMPLAINT_UNANSWERED, 1)
    high_big = _problem(Urgency.HIGH, Rule.FEEDBACK_UNANSWERED, 9)
    tie_first = _problem(Urgency.MEDIUM, Rule.CATEGORY_REPEAT_RATE, 3)
    tie_second = _problem(Urgency.MEDIUM, Rule.TEAM_ON_TIME_BELOW_GOAL, 3)
    ranked = problems_ranked([low_big, tie_second, medium, high_small, tie_first, high_big])
    assert ranked == [high_big, high_small, medium, tie_first, tie_second, low_big]


def test_improvements_from_gaps_and_problems() -> None:
    below = evidence_of(
        key="chat_reception_rate",
        label="Chat",
        unit="percent",
        measurement=Measurement(value=75.0, numerator=30, sample=40),
        goal=100.0,
        zero_at=50.0,
        weight=2,
    )
    met = evidence_of(
        key="csat",
        label="CSAT",
        unit="percent",
        measurement=Measurement(value=95.0, numerator=19, sample=20),
        goal=90.0,
        zero_at=50.0,
        weight=3,
    )
    complaints = _problem(Urgency.HIGH, Rule.COMPLAINT_UNANSWERED, 3, "3 complaints")
    script = Problem(
        urgency=Urgency.LOW,
        rule=Rule.INCONSISTENT_SCRIPT,
        title="Alice misses the greeting script",
        evidence=[],
        affected=12,
        gap=0.6,
        subject="Alice: greeting",
        details={"agent": "Alice", "script": "greeting"},
    )
    rows = improvements_from(
        evidence=[below, met],
        problems=[complaints, script],
        volume=200,
        efforts={MeasureKind.CHAT_STAFFING: 2},
    )
    # Chat: gap (100 − 50) ÷ 100 = 0.5, reach 40 ÷ 200 = 0.2 → 0.1 → impact 5; effort 2 (the
    # lead's, not the default 3) → quick win, priority 2.5.
    # Complaints: gap 1 × 3 ÷ 200 = 0.015 → impact 2, effort 1 → fill-in, priority 2.
    # Script: 0.6 × 12 ÷ 200 = 0.036 → impact 3, effort 2 → quick win, priority 1.5.
    # CSAT meets its goal: no measure.
    assert rows[0].reason == "Chat: 75.0 % (goal 100.0 %)"
    assert rows[1].reason == "Alice misses the greeting script"
    assert [(r.title, r.impact, r.effort, r.quadrant, r.priority) for r in rows] == [
        ("Staff the chat at peak hours", 5, 2, "quick_win", 2.5),
        ("Train Alice on the greeting script", 3, 2, "quick_win", 1.5),
        ("Answer complaints within 24 h", 2, 1, "fill_in", 2.0),
    ]
    assert DEFAULT_EFFORT[MeasureKind.CHAT_STAFFING] == 3


def test_improvement_of_scores_priority() -> None:
    row = improvement_of(
        measure=MeasureKind.ROOT_CAUSE, title="t", source="s", gap=1.0, reach=0.3, effort=4
    )
    assert (row.impact, row.effort, row.priority, row.quadrant) == (5, 4, 1.25, "major_project")
