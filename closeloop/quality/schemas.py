"""Input and output schemas of the quality API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from closeloop.quality.models import Criterion, Dispute, Review, Scorecard


class CriterionIn(Schema):
    key: str = Field(..., min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$")
    name_en: str = Field(..., min_length=1, max_length=150)
    name_zh: str = Field(..., min_length=1, max_length=150)
    guidance_en: str = Field("", max_length=2000)
    guidance_zh: str = Field("", max_length=2000)
    weight: int = Field(1, ge=1, le=100)
    max_points: int = Field(1, ge=1, le=10)
    is_critical: bool = False
    standard_article_id: int | None = None


class ScorecardIn(Schema):
    code: str = Field(..., min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$")
    name_en: str = Field(..., min_length=1, max_length=150)
    name_zh: str = Field(..., min_length=1, max_length=150)
    pass_mark: int = Field(80, ge=0, le=100)
    criteria: list[CriterionIn] = Field(..., min_length=1, max_length=30)


class CriterionOut(Schema):
    key: str
    name_en: str
    name_zh: str
    guidance_en: str
    guidance_zh: str
    weight: int
    max_points: int
    is_critical: bool
    standard_article_id: int | None


class ScorecardOut(Schema):
    id: int
    code: str
    version: int
    name_en: str
    name_zh: str
    pass_mark: int
    is_current: bool
    criteria: list[CriterionOut]


def criterion_out(criterion: Criterion) -> CriterionOut:
    return CriterionOut(
        key=criterion.key,
        name_en=criterion.name_en,
        name_zh=criterion.name_zh,
        guidance_en=criterion.guidance_en,
        guidance_zh=criterion.guidance_zh,
        weight=criterion.weight,
        max_points=criterion.max_points,
        is_critical=criterion.is_critical,
        standard_article_id=criterion.standard_article_id,
    )


def scorecard_out(scorecard: Scorecard) -> ScorecardOut:
    return ScorecardOut(
        id=scorecard.pk,
        code=scorecard.code,
        version=scorecard.version,
        name_en=scorecard.name_en,
        name_zh=scorecard.name_zh,
        pass_mark=scorecard.pass_mark,
        is_current=scorecard.is_current,
        criteria=[criterion_out(c) for c in scorecard.criteria.all()],
    )


class PlanIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    scorecard_code: str = Field("default", max_length=50)
    mode: str = Field("count", pattern="^(count|percent)$")
    amount: int = Field(5, ge=1, le=1000)
    seed: str = Field("closeloop", min_length=1, max_length=64)
    team_id: int | None = None
    reviewer_ids: list[int] = Field(default_factory=list, max_length=100)


class PlanOut(Schema):
    id: int
    name: str
    scorecard_code: str
    mode: str
    amount: int
    seed: str
    team_id: int | None
    reviewer_ids: list[int]
    is_active: bool


class DrawIn(Schema):
    week: date


class ReviewRequestIn(Schema):
    ticket_id: int
    reviewer_id: int
    scorecard_code: str = Field("default", max_length=50)


class CriterionScoreIn(Schema):
    points: int = Field(..., ge=0, le=10)
    note: str = Field("", max_length=5000)


class ReviewSubmitIn(Schema):
    scores: dict[str, CriterionScoreIn]
    notes: str = Field("", max_length=5000)


class CriterionScoreOut(Schema):
    key: str
    points: int
    max_points: int
    note: str


class ReviewOut(Schema):
    id: int
    ticket_id: int
    ticket_number: int
    agent_id: int
    reviewer_id: int
    scorecard_id: int
    scorecard_version: int
    plan_id: int | None
    week: date | None
    calibration_id: int | None
    status: str
    score: Decimal | None
    passed: bool | None
    critical_failed: bool
    notes: str
    assigned_at: datetime
    submitted_at: datetime | None
    scores: list[CriterionScoreOut]
    dispute_id: int | None


def review_out(review: Review, *, with_scores: bool = True) -> ReviewOut:
    try:
        dispute_id: int | None = review.dispute.pk
    except Dispute.DoesNotExist:
        dispute_id = None
    scores = (
        [
            CriterionScoreOut(
                key=s.criterion.key,
                points=s.points,
                max_points=s.criterion.max_points,
                note=s.note,
            )
            for s in review.scores.select_related("criterion").order_by("criterion__position")
        ]
        if with_scores
        else []
    )
    return ReviewOut(
        id=review.pk,
        ticket_id=review.ticket_id,
        ticket_number=review.ticket.number,
        agent_id=review.agent_id,
        reviewer_id=review.reviewer_id,
        scorecard_id=review.scorecard_id,
        scorecard_version=review.scorecard.version,
        plan_id=review.plan_id,
        week=review.week,
        calibration_id=review.calibration_id,
        status=review.status,
        score=review.score,
        passed=review.passed,
        critical_failed=review.critical_failed,
        notes=review.notes,
        assigned_at=review.assigned_at,
        submitted_at=review.submitted_at,
        scores=scores,
        dispute_id=dispute_id,
    )


class ReviewListOut(Schema):
    items: list[ReviewOut]
    count: int


class CheckOut(Schema):
    code: str
    label: str
    outcome: str
    detail: str
    checked_at: datetime


class DisputeIn(Schema):
    reason: str = Field(..., min_length=1, max_length=5000)


class SettleIn(Schema):
    upheld: bool
    adjusted_score: Decimal | None = Field(None, ge=0, le=100)
    critical_failed: bool | None = None
    note: str = Field("", max_length=5000)


class DisputeOut(Schema):
    id: int
    review_id: int
    raised_by_id: int
    reason: str
    status: str
    original_score: Decimal
    original_passed: bool
    adjusted_score: Decimal | None
    settled_by_id: int | None
    settlement_note: str
    created_at: datetime
    settled_at: datetime | None


def dispute_out(dispute: Dispute) -> DisputeOut:
    return DisputeOut(
        id=dispute.pk,
        review_id=dispute.review_id,
        raised_by_id=dispute.raised_by_id,
        reason=dispute.reason,
        status=dispute.status,
        original_score=dispute.original_score,
        original_passed=dispute.original_passed,
        adjusted_score=dispute.adjusted_score,
        settled_by_id=dispute.settled_by_id,
        settlement_note=dispute.settlement_note,
        created_at=dispute.created_at,
        settled_at=dispute.settled_at,
    )


class CalibrationIn(Schema):
    ticket_id: int
    reviewer_ids: list[int] = Field(..., min_length=2, max_length=20)
    scorecard_code: str = Field("default", max_length=50)
    title: str = Field("", max_length=200)


class CriterionSpreadOut(Schema):
    key: str
    minimum: int
    maximum: int
    disagreement: float


class CalibrationOut(Schema):
    id: int
    ticket_id: int
    scorecard_id: int
    title: str
    review_ids: list[int]
    submitted: int
    minimum: float | None
    maximum: float | None
    mean: float | None
    stdev: float | None
    criteria: list[CriterionSpreadOut]


class QualityScoreOut(Schema):
    agent_id: int
    review_count: int
    review_average: Decimal | None
    review_pass_rate: Decimal | None
    check_count: int
    check_pass_rate: Decimal | None
    score: Decimal | None
