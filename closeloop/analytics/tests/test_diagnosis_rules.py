"""The diagnosis on the database: each urgency rule fires on its fixture and stays quiet just
short of its line; the assessment's figures from a hand-computed fixture; the effort setting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from closeloop.analytics.diagnosis import (
    GOALS,
    assessment_compute,
    diagnosis_compute,
    goals_current,
    goals_strict,
    improvement_effort_set,
)
from closeloop.analytics.diagnosis_problems import (
    Rule,
    category_repeat_problems,
    high_problems,
    knowledge_gap_problems,
    script_problems,
    team_on_time_problems,
)
from closeloop.analytics.models_diagnosis import ImprovementEffort
from closeloop.analytics.models_engine import Goal
from closeloop.analytics.tests.factories import at, category, clock_row, response, survey, ticket
from closeloop.core.errors import InvalidInput
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.knowledge.models import SearchMiss
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory
from closeloop.quality.models import CheckResult
from closeloop.sla.models import Metric as ClockMetric

pytestmark = pytest.mark.django_db

NOW = at(days=10)
PERIOD = {"start": at(0), "end": at(days=7)}


def rules_of(problems: list[Any]) -> list[str]:
    return [problem.rule for problem in problems]


# --- high ---------------------------------------------------------------------------------------


def test_complaint_unanswered_after_24_hours_fires() -> None:
    late = ticket(created=NOW - timedelta(hours=30), kind="complaint", status="assigned")
    ticket(created=NOW - timedelta(hours=23), kind="complaint", status="assigned")  # not yet 24 h
    ticket(  # answered
        created=NOW - timedelta(hours=40),
        kind="complaint",
        status="in_progress",
        first_responded_at=NOW - timedelta(hours=39),
    )
    ticket(created=NOW - timedelta(hours=50), kind="complaint", status="resolved")  # not open
    ticket(created=NOW - timedelta(hours=50), kind="inquiry", status="new")  # not a complaint
    [problem] = high_problems(NOW)
    assert problem.rule == Rule.COMPLAINT_UNANSWERED
    assert problem.urgency == "high"
    assert problem.affected == 1
    assert problem.tickets == [late.number]
    assert ("Oldest waiting (hours)", "30.0") in problem.evidence


def test_no_high_problem_without_late_tickets() -> None:
    ticket(created=NOW - timedelta(hours=23, minutes=59), kind="complaint", status="new")
    ticket(created=NOW - timedelta(hours=23), kind="feedback", status="new")
    ticket(created=NOW - timedelta(hours=5), priority="high", status="assigned")
    assert high_problems(NOW) == []


def test_breached_high_priority_and_unanswered_feedback_fire() -> None:
    breached = ticket(
        created=NOW - timedelta(hours=3),
        priority="high",
        status="in_progress",
        sla_breached_at=NOW - timedelta(hours=2),
    )
    ticket(  # medium priority: not this rule
        created=NOW - timedelta(hours=3),
        priority="medium",
        status="in_progress",
        sla_breached_at=NOW - timedelta(hours=1),
    )
    ticket(  # resolved: not open
        created=NOW - timedelta(hours=3),
        priority="high",
        status="closed",
        sla_breached_at=NOW - timedelta(hours=2),
    )
    feedback = [
        ticket(created=NOW - timedelta(hours=25 + n), kind="feedback", status="new")
        for n in range(2)
    ]
    problems = {problem.rule: problem for problem in high_problems(NOW)}
    assert set(problems) == {Rule.HIGH_PRIORITY_BREACHED, Rule.FEEDBACK_UNANSWERED}
    assert problems[Rule.HIGH_PRIORITY_BREACHED].tickets == [breached.number]
    # Oldest first.
    assert problems[Rule.FEEDBACK_UNANSWERED].tickets == [feedback[1].number, feedback[0].number]


# --- medium -------------------------------------------------------------------------------------


def _repeat_fixture(repeats: int, others: int) -> Any:
    """20 tickets of one category in the period: ``repeats`` from customers who opened one of
    the category 2 days before, ``others`` from new customers."""
    battery = category("diag-battery")
    for n in range(repeats):
        customer = CustomerFactory()
        ticket(created=at(days=-1), customer=customer, category=battery)
        ticket(created=at(days=1, hours=n), customer=customer, category=battery)
    for n in range(others):
        ticket(created=at(days=2, hours=n), category=battery)
    return battery


def test_category_repeat_rate_above_30_percent_fires() -> None:
    # 7 repeats of 20 tickets in the period = 35 % > 30 %.
    battery = _repeat_fixture(7, 13)
    [problem] = category_repeat_problems(**PERIOD)
    assert problem.rule == Rule.CATEGORY_REPEAT_RATE
    assert problem.urgency == "medium"
    assert problem.affected == 7
    assert problem.gap == pytest.approx(0.35)
    assert ("Repeat-contact rate", "35.0 %") in problem.evidence
    assert len(problem.tickets) == 7
    assert problem.details["category_code"] == battery.code
    assert problem.drill == f"metric=repeat_contact_rate&category={battery.pk}"


def test_category_repeat_rate_at_30_percent_does_not() -> None:
    _repeat_fixture(6, 14)  # 6 ÷ 20 = 30 %, not above
    assert category_repeat_problems(**PERIOD) == []


def test_category_repeat_rate_needs_the_minimum_sample() -> None:
    _repeat_fixture(10, 9)  # 19 tickets: too few to judge
    assert category_repeat_problems(**PERIOD) == []


def _team_clocks(team: Any, met: int, late: int) -> None:
    for n in range(met + late):
        row = ticket(created=at(days=1, hours=n), team=team)
        clock_row(
            row,
            metric=ClockMetric.FIRST_RESPONSE,
            started=row.created_at,
            due=row.created_at + timedelta(hours=1),
            stopped=row.created_at + timedelta(minutes=30 if n < met else 90),
        )


def test_team_below_the_on_time_goal_fires_and_one_at_it_does_not() -> None:
    slow, fine = TeamFactory(name="Slow"), TeamFactory(name="Fine")
    _team_clocks(slow, met=18, late=2)  # 90 % < 98 %
    _team_clocks(fine, met=50, late=1)  # 98.04 % ≥ 98 %
    [problem] = team_on_time_problems(
        PERIOD["start"], PERIOD["end"], GOALS["response_on_time_rate"]
    )
    assert problem.rule == Rule.TEAM_ON_TIME_BELOW_GOAL
    assert problem.subject == "Slow"
    assert problem.affected == 2
    assert ("Response on-time rate", "90.0 %") in problem.evidence
    assert len(problem.tickets) == 2
    assert problem.drill == f"metric=response_on_time_rate&team={slow.pk}"
    # gap = (98 − 90) ÷ 98
    assert problem.gap == pytest.approx(8 / 98)


# --- low ----------------------------------------------------------------------------------------


def _checks(agent: Any, code: str, failed: int, passed: int, not_applicable: int = 0) -> None:
    outcomes = ["failed"] * failed + ["passed"] * passed + ["not_applicable"] * not_applicable
    for n, outcome in enumerate(outcomes):
        row = ticket(created=at(days=1), assignee=agent)
        CheckResult.objects.create(
            ticket=row, code=code, outcome=outcome, agent=agent, checked_at=at(days=2, hours=n)
        )


def test_script_failures_above_20_percent_fire_per_agent_and_check() -> None:
    alice, bob = AgentFactory(display_name="Alice"), AgentFactory(display_name="Bob")
    _checks(alice, "greeting", failed=3, passed=7, not_applicable=5)  # 3 ÷ 10 = 30 %
    _checks(alice, "closing", failed=2, passed=8)  # 20 %: not above
    _checks(bob, "forbidden", failed=5, passed=4)  # 9 checked: too few
    _checks(bob, "sentiment", failed=10, passed=0)  # not a script check
    [problem] = script_problems(**PERIOD)
    assert problem.rule == Rule.INCONSISTENT_SCRIPT
    assert problem.urgency == "low"
    assert problem.details["agent"] == "Alice"
    assert problem.details["check"] == "greeting"
    assert problem.affected == 3
    assert ("Failure share", "30.0 %") in problem.evidence


def test_knowledge_gaps_list_the_frequent_open_searches() -> None:
    def miss(query: str, count: int, **fields: Any) -> None:
        SearchMiss.objects.create(
            normalized_query=query,
            query=query,
            audience="customer",
            count=count,
            first_at=at(days=1),
            last_at=fields.pop("last_at", at(days=2)),
            **fields,
        )

    miss("battery swells", 9)
    miss("refund to wechat", 4)
    miss("rare question", 2)  # below 3
    miss("old question", 30, last_at=at(days=-3))  # not seen in the period
    miss("answered", 50, is_resolved=True)
    [problem] = knowledge_gap_problems(**PERIOD)
    assert problem.rule == Rule.KNOWLEDGE_GAP
    assert problem.affected == 13
    assert problem.evidence == [("battery swells", "9"), ("refund to wechat", "4")]
    assert problem.subject == "battery swells, refund to wechat"


def test_no_knowledge_gap_without_misses() -> None:
    assert knowledge_gap_problems(**PERIOD) == []


# --- the assessment -----------------------------------------------------------------------------


def test_assessment_from_a_hand_computed_fixture() -> None:
    """Response: 4 chat tickets opened on day 1: answered after 5, 8, 20 minutes and one
    unanswered (waiting past 10 minutes at the end) → chats within 10 min 2 ÷ 4 = 50 %,
    sub-score (50 − 50) ÷ (100 − 50) = 0. First response median of 5, 8, 20 = 8 minutes ≤ 60
    → 100. Response on-time: clocks on the 3 answered, all within due → 100 % → 100.
    Response = (3 × 100 + 2 × 100 + 2 × 0) ÷ 7 = 71.4 → managed.
    Satisfaction: CSAT 4 responses scoring 5, 5, 4, 2 → 75 % → (75 − 50) ÷ 40 = 62.5; the
    rest has no sample except the complaint rate: 0 of 4 → 0 % ≤ 5 → 100; and feedback none.
    Satisfaction = (3 × 62.5 + 2 × 100) ÷ 5 = 77.5 → managed. Resolution: nothing resolved,
    no clocks of resolution, no escalations; repeat-contact rate 0 of 4 = 0 % → 100."""
    csat_survey = survey("csat")
    rows = []
    for minutes in (5, 8, 20, None):
        created = at(days=1)
        row = ticket(
            created=created,
            channel="chat",
            first_responded_at=created + timedelta(minutes=minutes) if minutes else None,
        )
        rows.append(row)
        if minutes:
            clock_row(
                row,
                metric=ClockMetric.FIRST_RESPONSE,
                started=created,
                due=created + timedelta(hours=1),
                stopped=created + timedelta(minutes=minutes),
            )
    for score in (5, 5, 4, 2):
        response(csat_survey, score, answered=at(days=2))
    response_dim, resolution_dim, satisfaction_dim = assessment_compute(now=NOW, **PERIOD)
    evidence = {row.key: row for row in response_dim.evidence}
    assert evidence["chat_reception_rate"].value == 50.0
    assert evidence["chat_reception_rate"].sub_score == 0.0
    assert evidence["first_response_median"].value == 8.0
    assert evidence["response_on_time_rate"].value == 100.0
    assert response_dim.score == 71.4
    assert response_dim.level == "managed"
    satisfaction = {row.key: row for row in satisfaction_dim.evidence}
    assert satisfaction["csat"].value == 75.0
    assert satisfaction["csat"].sub_score == 62.5
    assert satisfaction["nps"].value is None
    assert satisfaction["complaint_rate"].sub_score == 100.0
    assert satisfaction_dim.score == 77.5
    resolution = {row.key: row for row in resolution_dim.evidence}
    assert resolution["repeat_contact_rate"].value == 0.0
    assert resolution_dim.score == 100.0
    assert resolution_dim.level == "optimised"


def test_diagnosis_compute_puts_it_together_and_refuses_an_empty_period() -> None:
    ticket(created=NOW - timedelta(hours=30), kind="complaint", status="new")
    result = diagnosis_compute(now=NOW, **PERIOD)
    assert result.volume == 0  # the complaint was opened after the period
    assert [problem.rule for problem in result.problems] == [Rule.COMPLAINT_UNANSWERED]
    assert [row.source for row in result.improvements] == [Rule.COMPLAINT_UNANSWERED]
    with pytest.raises(InvalidInput):
        diagnosis_compute(start=at(1), end=at(1), now=NOW)


def test_a_lead_sets_an_effort_and_bad_values_write_nothing() -> None:
    user = UserFactory()
    row = improvement_effort_set(measure="staffing", effort=5, actor=user)
    assert (row.measure, row.effort, row.updated_by) == ("staffing", 5, user)
    improvement_effort_set(measure="staffing", effort=2, actor=user)
    assert ImprovementEffort.objects.get().effort == 2
    with pytest.raises(InvalidInput) as bad_effort:
        improvement_effort_set(measure="root_cause", effort=6, actor=user)
    assert bad_effort.value.details == {"field": "effort"}
    with pytest.raises(InvalidInput) as bad_measure:
        improvement_effort_set(measure="magic", effort=1, actor=user)
    assert bad_measure.value.details == {"field": "measure"}
    assert list(ImprovementEffort.objects.values_list("measure", "effort")) == [("staffing", 2)]


def test_the_organisations_goals_replace_the_plans_unless_past_the_floor() -> None:
    Goal.objects.update_or_create(
        metric="csat", defaults={"comparison": "at_least", "target": 80.0, "updated_at": NOW}
    )
    Goal.objects.update_or_create(  # a complaint-rate goal above its floor of 20 % is ignored
        metric="complaint_rate",
        defaults={"comparison": "below", "target": 25.0, "updated_at": NOW},
    )
    goals = goals_current()
    assert (goals["csat"], goals["complaint_rate"]) == (80.0, 5.0)
    csat_survey = survey("csat")
    for score in (5, 5, 4, 2):  # 75 %
        response(csat_survey, score, answered=at(days=2))
    satisfaction = assessment_compute(now=NOW, **PERIOD)[2]
    csat = next(row for row in satisfaction.evidence if row.key == "csat")
    # (75 − 50) ÷ (80 − 50) = 83.3
    assert (csat.goal, csat.sub_score) == (80.0, 83.3)


def test_nps_exactly_at_a_strict_goal_does_not_meet_it() -> None:
    nps_survey = survey("nps")
    for score in (10, 10, 10, 9, 9, 9, 8, 7, 6, 0):  # 6 promoters, 2 detractors: NPS 40
        response(nps_survey, score, answered=at(days=2))
    Goal.objects.update_or_create(
        metric="nps", defaults={"comparison": "above", "target": 40.0, "updated_at": NOW}
    )
    assert "nps" in goals_strict()
    nps = next(row for row in assessment_compute(now=NOW, **PERIOD)[2].evidence
               if row.key == "nps")  # fmt: skip
    assert (nps.value, nps.meets_goal) == (40.0, False)
    Goal.objects.filter(metric="nps").update(comparison="at_least")
    assert "nps" not in goals_strict()
    nps = next(row for row in assessment_compute(now=NOW, **PERIOD)[2].evidence
               if row.key == "nps")  # fmt: skip
    assert (nps.value, nps.meets_goal) == (40.0, True)


def test_demo_efforts_install_twice_without_change() -> None:
    from closeloop.console.demo_diagnosis import install_demo_diagnosis

    lead = UserFactory(username="li.na")
    assert install_demo_diagnosis() == {"chat_staffing": 2, "knowledge_articles": 1}
    install_demo_diagnosis()
    rows = ImprovementEffort.objects.order_by("measure").values_list(
        "measure", "effort", "updated_by"
    )
    assert list(rows) == [("chat_staffing", 2, lead.pk), ("knowledge_articles", 1, lead.pk)]
