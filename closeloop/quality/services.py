"""Changing quality data: scorecard versions, reviews, sampling draws, calibration, disputes.

Each service takes keyword-only arguments and the acting ``Requester`` (or none for the worker),
runs in one transaction, and moves a status only through a guarded UPDATE of the ALLOWED table,
so a stale double submit fails loudly instead of overwriting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import (
    CloseloopError,
    ConcurrentChange,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from closeloop.knowledge.models import Article
from closeloop.people.access import Requester
from closeloop.people.models import Agent, Team
from closeloop.quality.access import leads_agent, require_agent, require_lead
from closeloop.quality.models import (
    CalibrationSession,
    Criterion,
    CriterionScore,
    Dispute,
    DisputeStatus,
    Review,
    ReviewStatus,
    SamplingPlan,
    Scorecard,
)
from closeloop.quality.scoring import CriterionRule, score_compute
from closeloop.tickets.models import Ticket

REVIEW_ALLOWED: dict[str, frozenset[str]] = {
    ReviewStatus.PENDING: frozenset({ReviewStatus.SUBMITTED, ReviewStatus.CANCELLED}),
    ReviewStatus.SUBMITTED: frozenset(),
    ReviewStatus.CANCELLED: frozenset(),
}
DISPUTE_ALLOWED: dict[str, frozenset[str]] = {
    DisputeStatus.OPEN: frozenset({DisputeStatus.UPHELD, DisputeStatus.REJECTED}),
    DisputeStatus.UPHELD: frozenset(),
    DisputeStatus.REJECTED: frozenset(),
}
MAX_NOTE_LENGTH = 5000


class ReviewNotPending(CloseloopError):
    """The review was already submitted or cancelled."""

    code = "review_not_pending"
    http_status = 409


class DisputeSettled(CloseloopError):
    """The dispute was already settled; a settled dispute is never reopened."""

    code = "dispute_settled"
    http_status = 409


class AlreadyDisputed(CloseloopError):
    """The review already has a dispute (one per review)."""

    code = "already_disputed"
    http_status = 409


def _note(value: str, *, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_NOTE_LENGTH:
        raise InvalidInput(
            _("At most %(limit)d characters.") % {"limit": MAX_NOTE_LENGTH},
            details={"field": field},
        )
    return value


# --- scorecards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionSpec:
    """One criterion as a lead writes it."""

    key: str
    name_en: str
    name_zh: str
    weight: int = 1
    max_points: int = 1
    is_critical: bool = False
    guidance_en: str = ""
    guidance_zh: str = ""
    standard_article_id: int | None = None


def _check_criteria(criteria: Sequence[CriterionSpec]) -> None:
    if not criteria:
        raise InvalidInput(
            _("A scorecard needs at least one criterion."), details={"field": "criteria"}
        )
    keys = [spec.key for spec in criteria]
    if len(set(keys)) != len(keys):
        raise InvalidInput(_("Criterion keys must be unique."), details={"field": "criteria"})
    for spec in criteria:
        if not spec.key or not spec.name_en or not spec.name_zh:
            raise InvalidInput(
                _("Every criterion needs a key and names in English and Chinese."),
                details={"field": "criteria"},
            )
        if not 1 <= spec.weight <= 100 or not 1 <= spec.max_points <= 10:
            raise InvalidInput(
                _("Weights are 1–100 and points 1–10."), details={"field": "criteria"}
            )
    article_ids = {s.standard_article_id for s in criteria if s.standard_article_id is not None}
    if article_ids and Article.objects.filter(pk__in=article_ids).count() != len(article_ids):
        raise InvalidInput(
            _("A service standard refers to an article that does not exist."),
            details={"field": "criteria"},
        )


@transaction.atomic
def scorecard_save(
    *,
    code: str,
    name_en: str,
    name_zh: str,
    pass_mark: int,
    criteria: Sequence[CriterionSpec],
    actor: Requester,
) -> Scorecard:
    """Create a scorecard, or change it: in place while no review uses the current version,
    else as a new version (reviews keep pointing at the one they were scored with)."""
    require_lead(actor)
    _check_criteria(criteria)
    if not 0 <= pass_mark <= 100:
        raise InvalidInput(
            _("The pass mark is a percentage 0–100."), details={"field": "pass_mark"}
        )
    current = Scorecard.objects.select_for_update().filter(code=code, is_current=True).first()
    if current is not None and not current.reviews.exists() and not current.calibrations.exists():
        scorecard = current
        scorecard.name_en, scorecard.name_zh, scorecard.pass_mark = name_en, name_zh, pass_mark
        scorecard.save(update_fields=["name_en", "name_zh", "pass_mark"])
        scorecard.criteria.all().delete()
    else:
        version = 1
        if current is not None:
            version = current.version + 1
            updated = Scorecard.objects.filter(pk=current.pk, is_current=True).update(
                is_current=False
            )
            if updated != 1:
                raise ConcurrentChange(_("The scorecard was changed meanwhile; try again."))
        try:
            with transaction.atomic():
                scorecard = Scorecard.objects.create(
                    code=code,
                    version=version,
                    name_en=name_en,
                    name_zh=name_zh,
                    pass_mark=pass_mark,
                    is_current=True,
                    created_at=clock.now(),
                )
        except IntegrityError:
            raise ConcurrentChange(_("The scorecard was changed meanwhile; try again.")) from None
    Criterion.objects.bulk_create(
        Criterion(
            scorecard=scorecard,
            position=position,
            key=spec.key,
            name_en=spec.name_en,
            name_zh=spec.name_zh,
            guidance_en=spec.guidance_en,
            guidance_zh=spec.guidance_zh,
            weight=spec.weight,
            max_points=spec.max_points,
            is_critical=spec.is_critical,
            standard_article_id=spec.standard_article_id,
        )
        for position, spec in enumerate(criteria)
    )
    return scorecard


def scorecard_current(code: str) -> Scorecard:
    """The version of a scorecard new reviews use (NotFound if there is none)."""
    scorecard = Scorecard.objects.filter(code=code, is_current=True).first()
    if scorecard is None:
        raise NotFound(_("No such scorecard."))
    return scorecard


# --- reviews -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionInput:
    """The points and note a reviewer gives one criterion."""

    points: int
    note: str = ""


@transaction.atomic
def review_request(
    *, ticket: Ticket, reviewer: Agent, actor: Requester, scorecard_code: str = "default"
) -> Review:
    """A lead puts one conversation in a reviewer's queue (outside any sampling plan)."""
    require_lead(actor)
    if ticket.assignee_id is None:
        raise InvalidInput(_("The ticket has no agent to review."), details={"field": "ticket"})
    if reviewer.pk == ticket.assignee_id:
        raise InvalidInput(
            _("Agents do not review their own conversations."), details={"field": "reviewer"}
        )
    return Review.objects.create(
        ticket=ticket,
        agent_id=ticket.assignee_id,
        reviewer=reviewer,
        scorecard=scorecard_current(scorecard_code),
        assigned_at=clock.now(),
    )


@transaction.atomic
def review_submit(
    *,
    review: Review,
    scores: Mapping[str, CriterionInput],
    notes: str = "",
    actor: Requester,
) -> Review:
    """Score every criterion of the review's scorecard, compute score and pass, submit."""
    reviewer = require_agent(actor)
    if review.reviewer_id != reviewer.pk:
        raise PermissionDenied(_("Only the assigned reviewer can submit this review."))
    if ReviewStatus.SUBMITTED not in REVIEW_ALLOWED[review.status]:
        raise ReviewNotPending(_("This review was already submitted."))
    criteria = list(review.scorecard.criteria.all())
    errors: dict[str, str] = {}
    for criterion in criteria:
        given = scores.get(criterion.key)
        if given is None:
            errors[criterion.key] = _("Give this criterion a score.")
        elif not 0 <= given.points <= criterion.max_points:
            errors[criterion.key] = _("Points are 0 to %(max)d.") % {"max": criterion.max_points}
        elif len(given.note) > MAX_NOTE_LENGTH:
            errors[criterion.key] = _("The note is too long.")
    unknown = set(scores) - {criterion.key for criterion in criteria}
    for key in unknown:
        errors[key] = _("Not a criterion of this scorecard.")
    if errors:
        raise InvalidInput(_("Some criteria are not scored correctly."), details={"fields": errors})
    result = score_compute(
        [CriterionRule(c.key, c.weight, c.max_points, c.is_critical) for c in criteria],
        {key: value.points for key, value in scores.items()},
        review.scorecard.pass_mark,
    )
    now = clock.now()
    notes = _note(notes, field="notes")
    updated = Review.objects.filter(pk=review.pk, status=ReviewStatus.PENDING).update(
        status=ReviewStatus.SUBMITTED,
        score=result.score,
        passed=result.passed,
        critical_failed=result.critical_failed,
        notes=notes,
        submitted_at=now,
    )
    if updated != 1:
        raise ReviewNotPending(_("This review was already submitted."))
    CriterionScore.objects.bulk_create(
        CriterionScore(
            review=review,
            criterion=criterion,
            points=scores[criterion.key].points,
            note=scores[criterion.key].note.strip(),
        )
        for criterion in criteria
    )
    review.refresh_from_db()
    return review


# --- calibration ---------------------------------------------------------------------------


@transaction.atomic
def calibration_create(
    *,
    ticket: Ticket,
    reviewer_ids: Sequence[int],
    actor: Requester,
    scorecard_code: str = "default",
    title: str = "",
) -> CalibrationSession:
    """Queue the same conversation for several reviewers, to compare their scores."""
    require_lead(actor)
    reviewers = list(Agent.objects.filter(pk__in=set(reviewer_ids)))
    if len(reviewers) < 2 or len(reviewers) != len(set(reviewer_ids)):
        raise InvalidInput(
            _("A calibration needs at least two existing reviewers."),
            details={"field": "reviewer_ids"},
        )
    if ticket.assignee_id is None:
        raise InvalidInput(_("The ticket has no agent to review."), details={"field": "ticket"})
    if any(reviewer.pk == ticket.assignee_id for reviewer in reviewers):
        raise InvalidInput(
            _("Agents do not review their own conversations."), details={"field": "reviewer_ids"}
        )
    scorecard = scorecard_current(scorecard_code)
    now = clock.now()
    session = CalibrationSession.objects.create(
        ticket=ticket,
        scorecard=scorecard,
        title=title.strip()[:200],
        created_by=actor.agent,
        created_at=now,
    )
    Review.objects.bulk_create(
        Review(
            ticket=ticket,
            agent_id=ticket.assignee_id,
            reviewer=reviewer,
            scorecard=scorecard,
            calibration=session,
            assigned_at=now,
        )
        for reviewer in sorted(reviewers, key=lambda agent: agent.pk)
    )
    return session


# --- disputes ------------------------------------------------------------------------------


@transaction.atomic
def dispute_raise(*, review: Review, reason: str, actor: Requester) -> Dispute:
    """The reviewed agent disputes a submitted review's score (once per review)."""
    agent = require_agent(actor)
    if review.agent_id != agent.pk:
        raise PermissionDenied(_("Only the reviewed agent can dispute a review."))
    if (
        review.status != ReviewStatus.SUBMITTED
        or review.calibration_id is not None
        or review.score is None
        or review.passed is None
    ):
        raise InvalidInput(
            _("Only submitted reviews can be disputed."), details={"field": "review"}
        )
    reason = _note(reason, field="reason")
    if not reason:
        raise InvalidInput(_("Say why you dispute the score."), details={"field": "reason"})
    if Dispute.objects.filter(review=review).exists():
        raise AlreadyDisputed(_("This review is already disputed."))
    try:
        with transaction.atomic():
            return Dispute.objects.create(
                review=review,
                raised_by=agent,
                reason=reason,
                original_score=review.score,
                original_passed=review.passed,
                created_at=clock.now(),
            )
    except IntegrityError:
        raise AlreadyDisputed(_("This review is already disputed.")) from None


@transaction.atomic
def dispute_settle(
    *,
    dispute: Dispute,
    upheld: bool,
    actor: Requester,
    adjusted_score: Decimal | str | float | None = None,
    critical_failed: bool | None = None,
    note: str = "",
) -> Dispute:
    """A lead of the agent's team (or an administrator) upholds the dispute with an adjusted
    score, or rejects it; the agent cannot settle their own, and a settled one stays settled."""
    review = dispute.review
    if actor.agent is not None and actor.agent.pk == review.agent_id:
        raise PermissionDenied(_("You cannot settle a dispute about your own review."))
    if not leads_agent(actor, review.agent_id):
        raise PermissionDenied(_("Only a lead of the agent's team can settle this dispute."))
    if DisputeStatus.UPHELD not in DISPUTE_ALLOWED[dispute.status]:
        raise DisputeSettled(_("This dispute is already settled."))
    note = _note(note, field="note")
    status = DisputeStatus.UPHELD if upheld else DisputeStatus.REJECTED
    score: Decimal | None = None
    if upheld:
        try:
            score = Decimal(str(adjusted_score)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            score = None
        if score is None or not Decimal(0) <= score <= Decimal(100):
            raise InvalidInput(
                _("Give the adjusted score, 0–100."), details={"field": "adjusted_score"}
            )
    updated = Dispute.objects.filter(pk=dispute.pk, status=DisputeStatus.OPEN).update(
        status=status,
        adjusted_score=score,
        settled_by=actor.agent,
        settlement_note=note,
        settled_at=clock.now(),
    )
    if updated != 1:
        raise DisputeSettled(_("This dispute is already settled."))
    if score is not None:
        # The lead may also lift (or confirm) a critical failure; unsaid, it stands.
        critical = review.critical_failed if critical_failed is None else critical_failed
        passed = score >= review.scorecard.pass_mark and not critical
        Review.objects.filter(pk=review.pk).update(
            score=score, passed=passed, critical_failed=critical
        )
    dispute.refresh_from_db()
    return dispute


@transaction.atomic
def plan_create(
    *,
    name: str,
    actor: Requester,
    scorecard_code: str = "default",
    mode: str = "count",
    amount: int = 5,
    seed: str = "closeloop",
    team_id: int | None = None,
    reviewer_ids: Sequence[int] = (),
) -> SamplingPlan:
    """A lead sets up a sampling plan (its scorecard must exist; reviewers must be agents)."""
    require_lead(actor)
    scorecard_current(scorecard_code)
    if SamplingPlan.objects.filter(name=name).exists():
        raise InvalidInput(_("A plan with this name exists."), details={"field": "name"})
    if mode == "percent" and amount > 100:
        raise InvalidInput(_("A percentage is at most 100."), details={"field": "amount"})
    reviewers = list(Agent.objects.filter(pk__in=set(reviewer_ids)))
    if len(reviewers) != len(set(reviewer_ids)):
        raise InvalidInput(_("Some reviewers are not agents."), details={"field": "reviewer_ids"})
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise InvalidInput(_("No such team."), details={"field": "team_id"})
    plan = SamplingPlan.objects.create(
        name=name,
        scorecard_code=scorecard_code,
        mode=mode,
        amount=amount,
        seed=seed,
        team_id=team_id,
        created_at=clock.now(),
    )
    plan.reviewers.set(reviewers)
    return plan
