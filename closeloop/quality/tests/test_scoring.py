"""Pure maths: weighted score, critical failure, allocation, seeded draw, round robin, spread."""

from __future__ import annotations

from decimal import Decimal

import pytest

from closeloop.quality.scoring import (
    CriterionRule,
    RoundRobin,
    allocate,
    draw,
    sample_size,
    score_compute,
    spread_compute,
)

RULES = [
    CriterionRule("greeting", 1, 2, False),
    CriterionRule("accuracy", 3, 4, False),
    CriterionRule("compliance", 2, 1, True),
]


def test_the_score_is_the_weighted_percentage_of_points():
    # greeting 2/2 * 1 + accuracy 2/4 * 3 + compliance 1/1 * 2 = 1 + 1.5 + 2 = 4.5 of 6
    result = score_compute(RULES, {"greeting": 2, "accuracy": 2, "compliance": 1}, 70)

    assert result.score == Decimal("75.00")
    assert result.passed is True
    assert result.critical_failed is False


def test_weights_count():
    low_heavy = score_compute(RULES, {"greeting": 2, "accuracy": 0, "compliance": 1}, 0)
    low_light = score_compute(RULES, {"greeting": 0, "accuracy": 4, "compliance": 1}, 0)

    assert low_heavy.score == Decimal("50.00")  # (1 + 0 + 2) / 6
    assert low_light.score == Decimal("83.33")  # (0 + 3 + 2) / 6


def test_failing_a_critical_criterion_fails_the_review_whatever_the_total():
    result = score_compute(RULES, {"greeting": 2, "accuracy": 4, "compliance": 0}, 60)

    assert result.score == Decimal("66.67")
    assert result.critical_failed is True
    assert result.passed is False


def test_below_the_pass_mark_fails():
    result = score_compute(RULES, {"greeting": 2, "accuracy": 2, "compliance": 1}, 76)

    assert result.passed is False
    assert result.critical_failed is False


def test_a_critical_scale_criterion_fails_below_half():
    rules = [CriterionRule("accuracy", 1, 4, True)]

    assert score_compute(rules, {"accuracy": 1}, 0).critical_failed is True
    assert score_compute(rules, {"accuracy": 2}, 0).critical_failed is False


@pytest.mark.parametrize(
    ("mode", "amount", "available", "expected"),
    [("count", 5, 12, 5), ("count", 5, 3, 3), ("percent", 10, 25, 3), ("percent", 10, 0, 0)],
)
def test_sample_size(mode, amount, available, expected):
    assert sample_size(mode, amount, available) == expected


def test_allocation_is_proportional_by_largest_remainder():
    # 10 of 100: email 50 → 5, chat 30 → 3, phone 20 → 2
    assert allocate({"email": 50, "chat": 30, "phone": 20}, 10) == {
        "email": 5,
        "chat": 3,
        "phone": 2,
    }
    # 5 of 9: exact 2.78 / 1.67 / 0.56 → floors 2/1/0, remainders to phone (.56) then... sum 5
    assert allocate({"email": 5, "chat": 3, "phone": 1}, 5) == {"email": 3, "chat": 1, "phone": 1}


def test_every_channel_gets_one_where_possible():
    allocation = allocate({"email": 97, "chat": 2, "phone": 1}, 5)

    assert allocation == {"email": 3, "chat": 1, "phone": 1}
    assert sum(allocation.values()) == 5


def test_fewer_than_channels_goes_to_the_largest():
    assert allocate({"email": 10, "chat": 30, "phone": 5}, 2) == {"email": 1, "chat": 1, "phone": 0}


def test_a_stratum_never_gets_more_than_it_has():
    assert allocate({"email": 2, "chat": 100}, 50) == {"email": 1, "chat": 49}
    assert allocate({"email": 2, "chat": 3}, 9) == {"email": 2, "chat": 3}


def test_the_same_seed_draws_the_same_sample_and_another_seed_another():
    candidates = {"email": list(range(1, 51)), "chat": list(range(101, 151))}

    first = draw(candidates, 6, seed="s:2026-03-02:7")
    again = draw(candidates, 6, seed="s:2026-03-02:7")
    other = draw(candidates, 6, seed="t:2026-03-02:7")

    assert first == again
    assert first != other
    assert len([t for t in first if t < 100]) == 3  # stratified: 3 email, 3 chat


def test_the_order_of_candidates_does_not_change_the_draw():
    forward = draw({"email": [1, 2, 3, 4, 5, 6]}, 2, seed="x")
    backward = draw({"email": [6, 5, 4, 3, 2, 1]}, 2, seed="x")

    assert forward == backward


def test_round_robin_skips_the_agent_and_takes_turns():
    robin = RoundRobin([10, 20, 30])

    assert [robin.next_for(20), robin.next_for(20), robin.next_for(20)] == [10, 30, 10]
    assert RoundRobin([5]).next_for(5) is None


def test_spread_of_scores_and_per_criterion_disagreement():
    spread = spread_compute([80.0, 90.0, 100.0], {"greeting": [2, 2, 1], "accuracy": [4, 4, 4]})

    assert (spread.count, spread.minimum, spread.maximum, spread.mean) == (3, 80.0, 100.0, 90.0)
    assert spread.stdev == 8.16
    assert spread.criteria == {"greeting": (1, 2, 0.3333), "accuracy": (4, 4, 0.0)}


def test_spread_of_nothing():
    spread = spread_compute([], {})

    assert spread.count == 0
    assert spread.stdev is None
