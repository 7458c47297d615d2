"""The quality API (mounted at /api/v1/quality): scorecards, sampling plans and draws,
reviews, automatic check results, disputes and calibration.

Permissions: any agent reads scorecards, their own queue and reviews, and the checks of tickets
they can see; team leads and administrators manage scorecards, plans, draws, ad-hoc reviews and
calibration, and settle disputes of their teams' agents; customers and anonymous callers get 403.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from closeloop.core import clock
from closeloop.core.errors import InvalidInput, NotFound
from closeloop.people.access import Requester, requester_for
from closeloop.people.models import Agent, TeamMembership, TeamRole
from closeloop.quality import selectors, services
from closeloop.quality.access import is_quality_lead, require_lead, reviews_for_requester
from closeloop.quality.engine import checks_run
from closeloop.quality.models import (
    CalibrationSession,
    Dispute,
    Review,
    SamplingPlan,
    Scorecard,
)
from closeloop.quality.sampling import sampling_draw
from closeloop.quality.schemas import (
    CalibrationIn,
    CalibrationOut,
    CheckOut,
    CriterionSpreadOut,
    DisputeIn,
    DisputeOut,
    DrawIn,
    PlanIn,
    PlanOut,
    QualityScoreOut,
    ReviewListOut,
    ReviewOut,
    ReviewRequestIn,
    ReviewSubmitIn,
    ScorecardIn,
    ScorecardOut,
    SettleIn,
    dispute_out,
    review_out,
    scorecard_out,
)
from closeloop.tickets.selectors import ticket_visible

router = Router(tags=["quality"])

MAX_LIST = 200


def _review(requester: Requester, review_id: int) -> Review:
    review = (
        Review.objects.filter(reviews_for_requester(requester), pk=review_id)
        .select_related("ticket", "scorecard")
        .first()
    )
    if review is None:
        raise NotFound(_("Review %(id)s not found.") % {"id": review_id})
    return review


def _agent(agent_id: int, *, field: str) -> Agent:
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        raise InvalidInput(
            _("No agent with id %(id)s.") % {"id": agent_id}, details={"field": field}
        )
    return agent


# --- scorecards -----------------------------------------------------------------------------


@router.get("/scorecards", response=list[ScorecardOut], summary="Scorecards (current versions)")
def scorecard_list_view(request: HttpRequest, all_versions: bool = False) -> list[ScorecardOut]:
    requester_for(request.user)
    scorecards = Scorecard.objects.prefetch_related("criteria")
    if not all_versions:
        scorecards = scorecards.filter(is_current=True)
    return [scorecard_out(s) for s in scorecards]


@router.post("/scorecards", response={201: ScorecardOut}, summary="Create or change a scorecard")
def scorecard_save_view(request: HttpRequest, payload: ScorecardIn) -> Status[ScorecardOut]:
    requester = requester_for(request.user)
    scorecard = services.scorecard_save(
        code=payload.code,
        name_en=payload.name_en,
        name_zh=payload.name_zh,
        pass_mark=payload.pass_mark,
        criteria=[services.CriterionSpec(**c.model_dump()) for c in payload.criteria],
        actor=requester,
    )
    return Status(201, scorecard_out(scorecard))


# --- sampling plans -------------------------------------------------------------------------


def _plan_out(plan: SamplingPlan) -> PlanOut:
    return PlanOut(
        id=plan.pk,
        name=plan.name,
        scorecard_code=plan.scorecard_code,
        mode=plan.mode,
        amount=plan.amount,
        seed=plan.seed,
        team_id=plan.team_id,
        reviewer_ids=sorted(plan.reviewers.values_list("pk", flat=True)),
        is_active=plan.is_active,
    )


@router.get("/plans", response=list[PlanOut], summary="Sampling plans")
def plan_list_view(request: HttpRequest) -> list[PlanOut]:
    require_lead(requester_for(request.user))
    return [_plan_out(plan) for plan in SamplingPlan.objects.all()]


@router.post("/plans", response={201: PlanOut}, summary="Create a sampling plan")
def plan_create_view(request: HttpRequest, payload: PlanIn) -> Status[PlanOut]:
    requester = requester_for(request.user)
    plan = services.plan_create(
        name=payload.name,
        scorecard_code=payload.scorecard_code,
        mode=payload.mode,
        amount=payload.amount,
        seed=payload.seed,
        team_id=payload.team_id,
        reviewer_ids=payload.reviewer_ids,
        actor=requester,
    )
    return Status(201, _plan_out(plan))


@router.post("/plans/{plan_id}/draw", response=ReviewListOut, summary="Draw a week's sample")
def plan_draw_view(request: HttpRequest, plan_id: int, payload: DrawIn) -> ReviewListOut:
    requester = requester_for(request.user)
    require_lead(requester)
    plan = SamplingPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Sampling plan %(id)s not found.") % {"id": plan_id})
    reviews = sampling_draw(plan=plan, week=payload.week, actor=requester)
    return ReviewListOut(
        items=[review_out(r, with_scores=False) for r in reviews], count=len(reviews)
    )


# --- reviews --------------------------------------------------------------------------------


class ReviewListQuery(Schema):
    scope: str = Field("queue", pattern="^(queue|received|given|all)$")
    limit: int = Field(50, ge=1, le=MAX_LIST)
    offset: int = Field(0, ge=0)


@router.get("/reviews", response=ReviewListOut, summary="Reviews: my queue, received, given")
def review_list_view(request: HttpRequest, query: Query[ReviewListQuery]) -> ReviewListOut:
    requester = requester_for(request.user)
    reviews = Review.objects.filter(reviews_for_requester(requester))
    agent_id = requester.agent.pk if requester.agent else 0  # an admin without a profile
    if query.scope == "queue":
        reviews = reviews.filter(reviewer_id=agent_id, status="pending")
    elif query.scope == "received":
        reviews = reviews.filter(agent_id=agent_id, status="submitted", calibration__isnull=True)
    elif query.scope == "given":
        reviews = reviews.filter(reviewer_id=agent_id)
    reviews = reviews.select_related("ticket", "scorecard").order_by("-assigned_at", "-pk")
    page = list(reviews[query.offset : query.offset + query.limit])
    return ReviewListOut(
        items=[review_out(r, with_scores=False) for r in page], count=reviews.count()
    )


@router.post("/reviews", response={201: ReviewOut}, summary="Queue a conversation for review")
def review_request_view(request: HttpRequest, payload: ReviewRequestIn) -> Status[ReviewOut]:
    requester = requester_for(request.user)
    require_lead(requester)
    ticket = ticket_visible(requester, pk=payload.ticket_id)
    review = services.review_request(
        ticket=ticket,
        reviewer=_agent(payload.reviewer_id, field="reviewer_id"),
        scorecard_code=payload.scorecard_code,
        actor=requester,
    )
    return Status(201, review_out(review))


@router.get("/reviews/{review_id}", response=ReviewOut, summary="One review with its scores")
def review_detail_view(request: HttpRequest, review_id: int) -> ReviewOut:
    return review_out(_review(requester_for(request.user), review_id))


@router.post("/reviews/{review_id}/submit", response=ReviewOut, summary="Score and submit")
def review_submit_view(request: HttpRequest, review_id: int, payload: ReviewSubmitIn) -> ReviewOut:
    requester = requester_for(request.user)
    review = services.review_submit(
        review=_review(requester, review_id),
        scores={
            key: services.CriterionInput(points=value.points, note=value.note)
            for key, value in payload.scores.items()
        },
        notes=payload.notes,
        actor=requester,
    )
    return review_out(review)


@router.post("/reviews/{review_id}/dispute", response={201: DisputeOut}, summary="Dispute a score")
def review_dispute_view(
    request: HttpRequest, review_id: int, payload: DisputeIn
) -> Status[DisputeOut]:
    requester = requester_for(request.user)
    dispute = services.dispute_raise(
        review=_review(requester, review_id), reason=payload.reason, actor=requester
    )
    return Status(201, dispute_out(dispute))


# --- disputes -------------------------------------------------------------------------------


def _led_agent_ids(requester: Requester) -> list[int] | None:
    if requester.is_admin:
        return None
    led = TeamMembership.objects.filter(agent=requester.agent, role=TeamRole.LEAD).values("team")
    return list(
        TeamMembership.objects.filter(team__in=led)
        .exclude(agent=requester.agent)
        .values_list("agent_id", flat=True)
    )


@router.get("/disputes", response=list[DisputeOut], summary="Open disputes I can settle")
def dispute_list_view(request: HttpRequest) -> list[DisputeOut]:
    requester = requester_for(request.user)
    require_lead(requester)
    return [dispute_out(d) for d in selectors.disputes_open(_led_agent_ids(requester))[:MAX_LIST]]


@router.post("/disputes/{dispute_id}/settle", response=DisputeOut, summary="Settle a dispute")
def dispute_settle_view(request: HttpRequest, dispute_id: int, payload: SettleIn) -> DisputeOut:
    requester = requester_for(request.user)
    dispute = Dispute.objects.select_related("review__scorecard").filter(pk=dispute_id).first()
    if (
        dispute is None
        or not Review.objects.filter(
            reviews_for_requester(requester), pk=dispute.review_id
        ).exists()
    ):
        raise NotFound(_("Dispute %(id)s not found.") % {"id": dispute_id})
    dispute = services.dispute_settle(
        dispute=dispute,
        upheld=payload.upheld,
        adjusted_score=payload.adjusted_score,
        critical_failed=payload.critical_failed,
        note=payload.note,
        actor=requester,
    )
    return dispute_out(dispute)


# --- checks ---------------------------------------------------------------------------------


@router.get("/tickets/{ticket_id}/checks", response=list[CheckOut], summary="A ticket's checks")
def ticket_checks_view(request: HttpRequest, ticket_id: int) -> list[CheckOut]:
    ticket = ticket_visible(requester_for(request.user), pk=ticket_id)
    return [CheckOut(**row.__dict__) for row in selectors.checks_of_ticket(ticket.pk)]


@router.post("/tickets/{ticket_id}/checks", response=list[CheckOut], summary="Re-run the checks")
def ticket_checks_run_view(request: HttpRequest, ticket_id: int) -> list[CheckOut]:
    ticket = ticket_visible(requester_for(request.user), pk=ticket_id)
    checks_run(ticket_ids=[ticket.pk])
    return [CheckOut(**row.__dict__) for row in selectors.checks_of_ticket(ticket.pk)]


# --- calibration ----------------------------------------------------------------------------


def _calibration_out(session: CalibrationSession) -> CalibrationOut:
    spread = selectors.calibration_spread(session)
    return CalibrationOut(
        id=session.pk,
        ticket_id=session.ticket_id,
        scorecard_id=session.scorecard_id,
        title=session.title,
        review_ids=sorted(session.reviews.values_list("pk", flat=True)),
        submitted=spread.count,
        minimum=spread.minimum,
        maximum=spread.maximum,
        mean=spread.mean,
        stdev=spread.stdev,
        criteria=[
            CriterionSpreadOut(key=key, minimum=low, maximum=high, disagreement=share)
            for key, (low, high, share) in spread.criteria.items()
        ],
    )


@router.post("/calibrations", response={201: CalibrationOut}, summary="Start a calibration")
def calibration_create_view(request: HttpRequest, payload: CalibrationIn) -> Status[CalibrationOut]:
    requester = requester_for(request.user)
    require_lead(requester)
    session = services.calibration_create(
        ticket=ticket_visible(requester, pk=payload.ticket_id),
        reviewer_ids=payload.reviewer_ids,
        scorecard_code=payload.scorecard_code,
        title=payload.title,
        actor=requester,
    )
    return Status(201, _calibration_out(session))


@router.get("/calibrations/{session_id}", response=CalibrationOut, summary="A calibration's spread")
def calibration_detail_view(request: HttpRequest, session_id: int) -> CalibrationOut:
    requester = requester_for(request.user)
    session = CalibrationSession.objects.filter(pk=session_id).first()
    allowed = is_quality_lead(requester) or (
        session is not None
        and requester.agent is not None
        and session.reviews.filter(reviewer=requester.agent).exists()
    )
    if session is None or not allowed:
        raise NotFound(_("Calibration %(id)s not found.") % {"id": session_id})
    return _calibration_out(session)


# --- quality scores -------------------------------------------------------------------------


class ScoreQuery(Schema):
    days: int = Field(30, ge=1, le=366)


@router.get("/scores", response=list[QualityScoreOut], summary="Agents' quality scores")
def score_list_view(request: HttpRequest, query: Query[ScoreQuery]) -> list[QualityScoreOut]:
    requester = requester_for(request.user)
    led = _led_agent_ids(requester)
    if led is None:
        agent_ids = list(Agent.objects.values_list("pk", flat=True))
    else:
        agent_ids = sorted({*led, *([requester.agent.pk] if requester.agent else [])})
    end = clock.now()
    scores = selectors.quality_scores(
        agent_ids=agent_ids, start=end - timedelta(days=query.days), end=end
    )
    return [QualityScoreOut(**score.__dict__) for score in scores.values()]
