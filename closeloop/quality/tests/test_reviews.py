"""Scorecard versions, submitting a review, calibration spread and the dispute flow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from closeloop.core.clock import frozen_at
from closeloop.core.errors import InvalidInput, PermissionDenied
from closeloop.people.access import requester_for
from closeloop.people.tests.factories import AgentFactory, TeamFactory, lead_of, member
from closeloop.quality.models import CriterionScore, Dispute, Review, Scorecard
from closeloop.quality.selectors import calibration_spread, quality_scores
from closeloop.quality.services import (
    AlreadyDisputed,
    CriterionInput,
    CriterionSpec,
    DisputeSettled,
    ReviewNotPending,
    calibration_create,
    dispute_raise,
    dispute_settle,
    review_request,
    review_submit,
    scorecard_save,
)
from closeloop.quality.tests.factories import T0, conversation

pytestmark = pytest.mark.django_db

LINES = [("customer", "Where is my order?", 0), ("agent", "Hello, it ships today.", 5)]
ALL_FULL = {
    "greeting": 2,
    "accuracy": 4,
    "empathy": 4,
    "resolution": 4,
    "compliance": 1,
    "closing": 2,
}


@pytest.fixture
def people(db):
    team = TeamFactory()
    lead = lead_of(team)
    agent = AgentFactory()
    member(agent, team)
    reviewer = AgentFactory()
    member(reviewer, team)
    other_team_lead = lead_of(TeamFactory())
    return {"lead": lead, "agent": agent, "reviewer": reviewer, "other_lead": other_team_lead}


def scores(**points) -> dict[str, CriterionInput]:
    values = {**ALL_FULL, **points}
    return {key: CriterionInput(points=value, note=f"{key} note") for key, value in values.items()}


def queued(people) -> Review:
    ticket = conversation(people["agent"], LINES)
    return review_request(
        ticket=ticket, reviewer=people["reviewer"], actor=requester_for(people["lead"].user)
    )


def submitted(people, **points) -> Review:
    review = queued(people)
    with frozen_at(T0 + timedelta(days=1)):
        return review_submit(
            review=review, scores=scores(**points), actor=requester_for(people["reviewer"].user)
        )


def test_the_default_scorecard_is_installed_in_both_languages():
    scorecard = Scorecard.objects.get(code="default", is_current=True)

    criteria = list(scorecard.criteria.values_list("key", "is_critical"))
    assert criteria == [
        ("greeting", False),
        ("accuracy", False),
        ("empathy", False),
        ("resolution", False),
        ("compliance", True),
        ("closing", False),
    ]
    assert scorecard.display_name("zh-hans") == "会话质量"
    assert scorecard.criteria.get(key="empathy").display_name("zh-hans") == "同理心"


def test_submitting_computes_score_and_pass_on_the_server(people):
    # greeting 1/2*1 + accuracy 4/4*3 + empathy 2/4*2 + resolution 4/4*3 + 1*2 + closing 2/2*1
    review = submitted(people, greeting=1, empathy=2)

    assert review.status == "submitted"
    assert review.score == Decimal("87.50")  # 10.5 of 12
    assert review.passed is True
    assert review.submitted_at == T0 + timedelta(days=1)
    assert CriterionScore.objects.filter(review=review).count() == 6


def test_a_critical_failure_fails_a_high_score(people):
    review = submitted(people, compliance=0)

    assert review.score == Decimal("83.33")
    assert review.critical_failed is True
    assert review.passed is False


def test_only_the_reviewer_submits_once_with_every_criterion_in_range(people):
    review = queued(people)
    reviewer = requester_for(people["reviewer"].user)

    with pytest.raises(PermissionDenied):
        review_submit(review=review, scores=scores(), actor=requester_for(people["lead"].user))
    with pytest.raises(InvalidInput) as missing:
        review_submit(review=review, scores={"greeting": CriterionInput(2)}, actor=reviewer)
    with pytest.raises(InvalidInput) as too_many:
        review_submit(review=review, scores=scores(accuracy=5), actor=reviewer)
    assert "accuracy" in missing.value.details["fields"]
    assert too_many.value.details["fields"] == {"accuracy": "Points are 0 to 4."}
    assert not CriterionScore.objects.exists()
    review_submit(review=review, scores=scores(), actor=reviewer)
    with pytest.raises(ReviewNotPending):
        review_submit(review=review, scores=scores(), actor=reviewer)


def test_an_agent_cannot_be_queued_to_review_themselves(people):
    ticket = conversation(people["agent"], LINES)

    with pytest.raises(InvalidInput):
        review_request(
            ticket=ticket, reviewer=people["agent"], actor=requester_for(people["lead"].user)
        )
    assert not Review.objects.exists()


def test_changing_a_scorecard_in_use_makes_a_new_version(people):
    lead = requester_for(people["lead"].user)
    old = Scorecard.objects.get(code="default", is_current=True)
    review = submitted(people)
    criteria = [CriterionSpec("greeting", "Greeting", "问候", weight=1, max_points=1)]

    new = scorecard_save(
        code="default", name_en="Lean", name_zh="精简", pass_mark=50, criteria=criteria, actor=lead
    )

    assert (new.version, new.is_current) == (old.version + 1, True)
    old.refresh_from_db()
    assert old.is_current is False
    assert old.criteria.count() == 6
    review.refresh_from_db()
    assert review.scorecard_id == old.pk


def test_changing_an_unused_scorecard_edits_it_in_place(people):
    lead = requester_for(people["lead"].user)
    criteria = [CriterionSpec("greeting", "Greeting", "问候")]
    first = scorecard_save(
        code="chat", name_en="Chat", name_zh="在线", pass_mark=70, criteria=criteria, actor=lead
    )

    second = scorecard_save(
        code="chat", name_en="Chat 2", name_zh="在线2", pass_mark=60, criteria=criteria, actor=lead
    )

    assert second.pk == first.pk
    assert (second.version, second.pass_mark) == (1, 60)
    with pytest.raises(PermissionDenied):
        scorecard_save(
            code="x",
            name_en="X",
            name_zh="X",
            pass_mark=1,
            criteria=criteria,
            actor=requester_for(people["agent"].user),
        )


def test_calibration_reports_the_spread(people):
    lead = requester_for(people["lead"].user)
    reviewers = [people["reviewer"], people["lead"], people["other_lead"]]
    ticket = conversation(people["agent"], LINES)
    session = calibration_create(ticket=ticket, reviewer_ids=[r.pk for r in reviewers], actor=lead)
    given = [scores(), scores(greeting=0, empathy=2), scores(compliance=0, accuracy=2)]
    for reviewer, points in zip(reviewers, given, strict=True):
        review = session.reviews.get(reviewer=reviewer)
        review_submit(review=review, scores=points, actor=requester_for(reviewer.user))

    spread = calibration_spread(session)

    # 100, (12-1-1)/12 = 83.33, (12-1.5-2)/12 = 70.83
    assert (spread.count, spread.minimum, spread.maximum) == (3, 70.83, 100.0)
    assert spread.mean == 84.72
    assert spread.stdev == 11.95
    assert spread.criteria["greeting"] == (0, 2, 0.3333)
    assert spread.criteria["resolution"] == (4, 4, 0.0)


def test_calibration_needs_two_reviewers_other_than_the_agent(people):
    lead = requester_for(people["lead"].user)
    ticket = conversation(people["agent"], LINES)

    with pytest.raises(InvalidInput):
        calibration_create(ticket=ticket, reviewer_ids=[people["reviewer"].pk], actor=lead)
    with pytest.raises(InvalidInput):
        calibration_create(
            ticket=ticket, reviewer_ids=[people["reviewer"].pk, people["agent"].pk], actor=lead
        )
    assert not Review.objects.exists()


def test_the_agent_disputes_and_their_lead_upholds_with_an_adjusted_score(people):
    review = submitted(people, accuracy=0, resolution=0)  # 6 of 12 → 50, failed
    agent = requester_for(people["agent"].user)
    with frozen_at(T0 + timedelta(days=2)):
        dispute = dispute_raise(review=review, reason="The answer was right.", actor=agent)

    with frozen_at(T0 + timedelta(days=3)):
        settled = dispute_settle(
            dispute=dispute,
            upheld=True,
            adjusted_score="90",
            note="Agreed.",
            actor=requester_for(people["lead"].user),
        )

    assert (settled.status, settled.adjusted_score) == ("upheld", Decimal("90.00"))
    assert (settled.original_score, settled.original_passed) == (Decimal("50.00"), False)
    assert settled.settled_by_id == people["lead"].pk
    assert settled.settled_at == T0 + timedelta(days=3)
    review.refresh_from_db()
    assert (review.score, review.passed) == (Decimal("90.00"), True)


def test_a_rejected_dispute_leaves_the_score_and_cannot_be_reopened(people):
    review = submitted(people, accuracy=0)
    dispute = dispute_raise(
        review=review, reason="Unfair", actor=requester_for(people["agent"].user)
    )
    lead = requester_for(people["lead"].user)

    dispute_settle(dispute=dispute, upheld=False, actor=lead)

    with pytest.raises(DisputeSettled):
        dispute_settle(dispute=dispute, upheld=True, adjusted_score=100, actor=lead)
    with pytest.raises(AlreadyDisputed):
        dispute_raise(review=review, reason="Again", actor=requester_for(people["agent"].user))
    review.refresh_from_db()
    assert review.score == Decimal("75.00")
    assert Dispute.objects.get().status == "rejected"


def test_who_may_dispute_and_settle(people):
    review = submitted(people)
    with pytest.raises(PermissionDenied):
        dispute_raise(review=review, reason="x", actor=requester_for(people["reviewer"].user))
    dispute = dispute_raise(review=review, reason="x", actor=requester_for(people["agent"].user))

    for who in ("agent", "reviewer", "other_lead"):
        with pytest.raises(PermissionDenied):
            dispute_settle(dispute=dispute, upheld=False, actor=requester_for(people[who].user))
    assert Dispute.objects.get().status == "open"
    admin = User.objects.create_superuser("root", password="pw")
    dispute_settle(dispute=dispute, upheld=False, actor=requester_for(admin))
    assert Dispute.objects.get().status == "rejected"


def test_a_lead_disputing_their_own_review_cannot_settle_it(people):
    ticket = conversation(people["lead"], LINES)
    admin = requester_for(User.objects.create_superuser("root", password="pw"))
    review = review_request(ticket=ticket, reviewer=people["reviewer"], actor=admin)
    review_submit(review=review, scores=scores(), actor=requester_for(people["reviewer"].user))
    lead = requester_for(people["lead"].user)
    dispute = dispute_raise(review=review, reason="mine", actor=lead)

    with pytest.raises(PermissionDenied):
        dispute_settle(dispute=dispute, upheld=True, adjusted_score=100, actor=lead)


def test_upholding_needs_a_score_in_range(people):
    review = submitted(people)
    dispute = dispute_raise(review=review, reason="x", actor=requester_for(people["agent"].user))

    with pytest.raises(InvalidInput):
        dispute_settle(
            dispute=dispute,
            upheld=True,
            adjusted_score=120,
            actor=requester_for(people["lead"].user),
        )
    assert Dispute.objects.get().status == "open"


def test_the_quality_score_weighs_reviews_and_checks(people):
    from closeloop.quality.engine import checks_run
    from closeloop.quality.models import CheckResult

    review = submitted(people, greeting=1, empathy=2)  # 87.5
    checks_run(ticket_ids=[review.ticket_id])
    counted = CheckResult.objects.filter(ticket_id=review.ticket_id).exclude(
        outcome="not_applicable"
    )
    passed = counted.filter(outcome="passed").count()
    rate = Decimal(passed * 100) / Decimal(counted.count())

    result = quality_scores(
        agent_ids=[people["agent"].pk, people["reviewer"].pk],
        start=T0,
        end=T0 + timedelta(days=7),
    )

    mine = result[people["agent"].pk]
    assert (mine.review_count, mine.review_average) == (1, Decimal("87.50"))
    assert mine.check_pass_rate == rate.quantize(Decimal("0.01"))
    expected = Decimal("0.7") * Decimal("87.50") + Decimal("0.3") * mine.check_pass_rate
    assert mine.score == expected.quantize(Decimal("0.01"))
    assert result[people["reviewer"].pk].score is None
