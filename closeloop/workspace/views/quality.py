"""Quality pages: my review queue and my reviews (with disputes), the review page (the
conversation, its automatic checks and the scoring form), disputes to settle, calibration
spread and agents' quality scores for leads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.people.models import Agent, TeamMembership, TeamRole
from closeloop.quality import selectors
from closeloop.quality.access import is_quality_lead, leads_agent, reviews_for_requester
from closeloop.quality.models import (
    CalibrationSession,
    Dispute,
    Review,
    ReviewStatus,
    SampleDraw,
    SamplingPlan,
)
from closeloop.quality.sampling import sampling_draw, week_start
from closeloop.quality.services import (
    CriterionInput,
    calibration_create,
    dispute_raise,
    dispute_settle,
    review_submit,
)
from closeloop.tickets.selectors import tickets_visible_to
from closeloop.workspace.access import Requester, workspace_view
from closeloop.workspace.forms_quality import (
    CalibrationForm,
    DisputeForm,
    DrawForm,
    ReviewForm,
    SettleForm,
)

SCORE_DAYS = 30
LIST_LIMIT = 50


def _forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "workspace/forbidden.html", {"reason": reason}, status=403)


def _led_agent_ids(requester: Requester) -> list[int] | None:
    """Agents of the teams the requester leads (None: everyone, for an administrator)."""
    if requester.is_admin:
        return None
    led = TeamMembership.objects.filter(agent=requester.agent, role=TeamRole.LEAD).values("team")
    return list(TeamMembership.objects.filter(team__in=led).values_list("agent_id", flat=True))


@require_http_methods(["GET", "POST"])
@workspace_view
def home(request: HttpRequest, requester: Requester) -> HttpResponse:
    """My review queue, my reviews as an agent, and (for leads) what waits for them and the
    form that starts a calibration."""
    agent = requester.agent
    is_lead = is_quality_lead(requester)
    if request.method == "POST" and not is_lead:
        return _forbidden(request, _("This page is for team leads."))
    calibration_form = CalibrationForm(request.POST or None) if is_lead else None
    status = 200
    if calibration_form is not None and request.method == "POST":
        started = _start_calibration(requester, calibration_form)
        if started is not None:
            return redirect("workspace:quality-calibration", session_id=started.pk)
        status = 400
    context: dict[str, Any] = {
        "agent": agent,
        "is_lead": is_lead,
        "queue": list(selectors.review_queue(agent)[:LIST_LIMIT]) if agent else [],
        "received": list(selectors.reviews_received(agent)[:LIST_LIMIT]) if agent else [],
        "language": get_language() or "en",
    }
    if is_lead:
        context["open_disputes"] = selectors.disputes_open(_settleable_ids(requester)).count()
        context["calibrations"] = list(
            CalibrationSession.objects.select_related("ticket").order_by("-created_at")[:10]
        )
        context["calibration_form"] = calibration_form
    return render(request, "workspace/quality.html", context, status=status)


def _start_calibration(requester: Requester, form: CalibrationForm) -> CalibrationSession | None:
    """Start the calibration the form describes; errors go beside the fields."""
    if not form.is_valid():
        return None
    ticket = tickets_visible_to(requester).filter(number=form.cleaned_data["ticket_number"]).first()
    if ticket is None:
        form.add_error("ticket_number", _("No such ticket."))
        return None
    try:
        return calibration_create(
            ticket=ticket,
            reviewer_ids=[reviewer.pk for reviewer in form.cleaned_data["reviewers"]],
            title=form.cleaned_data["title"],
            actor=requester,
        )
    except CloseloopError as refused:
        field = refused.details.get("field")
        form.add_error(
            "reviewers" if field == "reviewer_ids" else "ticket_number" if field else None,
            str(refused.message),
        )
        return None


def _settleable_ids(requester: Requester) -> list[int] | None:
    led = _led_agent_ids(requester)
    if led is None or requester.agent is None:
        return led
    return [agent_id for agent_id in led if agent_id != requester.agent.pk]


def _review_for(requester: Requester, review_id: int) -> Review:
    review = (
        Review.objects.filter(reviews_for_requester(requester), pk=review_id)
        .select_related("ticket", "agent", "reviewer", "scorecard", "calibration")
        .first()
    )
    if review is None:
        raise Http404(_("No such review."))
    return review


@require_http_methods(["GET", "POST"])
@workspace_view
def review_page(request: HttpRequest, requester: Requester, review_id: int) -> HttpResponse:
    """The conversation under review, its checks, and the form (reviewer) or the result."""
    review = _review_for(requester, review_id)
    criteria = list(review.scorecard.criteria.select_related("standard_article"))
    is_reviewer = requester.agent is not None and review.reviewer_id == requester.agent.pk
    is_reviewed_agent = requester.agent is not None and review.agent_id == requester.agent.pk
    can_score = is_reviewer and review.status == ReviewStatus.PENDING
    form = ReviewForm(
        request.POST
        if request.method == "POST" and request.POST.get("action") == "submit"
        else None,
        criteria=criteria,
    )
    dispute = Dispute.objects.filter(review=review).select_related("settled_by").first()
    can_dispute = (
        is_reviewed_agent
        and review.status == ReviewStatus.SUBMITTED
        and review.calibration_id is None
        and dispute is None
    )
    dispute_form = DisputeForm(
        request.POST
        if request.method == "POST" and request.POST.get("action") == "dispute"
        else None
    )
    status = 200
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "submit" and not can_score:
            return _forbidden(request, _("Only the assigned reviewer can score this review."))
        if action == "dispute" and not can_dispute:
            return _forbidden(request, _("You cannot dispute this review."))
        if action == "submit" and form.is_valid():
            scores = {
                c.key: CriterionInput(
                    points=form.cleaned_data[f"points_{c.key}"],
                    note=form.cleaned_data[f"note_{c.key}"],
                )
                for c in criteria
            }
            try:
                review_submit(
                    review=review, scores=scores, notes=form.cleaned_data["notes"], actor=requester
                )
            except CloseloopError as refused:
                error, status = str(refused.message), refused.http_status
            else:
                return redirect("workspace:quality-review", review_id=review.pk)
        elif action == "dispute" and dispute_form.is_valid():
            try:
                dispute_raise(
                    review=review, reason=dispute_form.cleaned_data["reason"], actor=requester
                )
            except CloseloopError as refused:
                error, status = str(refused.message), refused.http_status
            else:
                return redirect("workspace:quality-review", review_id=review.pk)
        elif action not in ("submit", "dispute"):
            error, status = _("Unknown action."), 400
        else:
            status = 400
    language = get_language() or "en"
    given = {score.criterion_id: score for score in review.scores.all()}
    context = {
        "review": review,
        "conversation": selectors.conversation_for_review(review.ticket),
        "checks": selectors.checks_of_ticket(review.ticket_id),
        "criteria": [
            (c, c.display_name(language), c.guidance(language), given.get(c.pk)) for c in criteria
        ],
        "scorecard_name": review.scorecard.display_name(language),
        "form": form,
        "can_score": can_score,
        "dispute": dispute,
        "dispute_form": dispute_form,
        "can_dispute": can_dispute,
        "error": error,
    }
    return render(request, "workspace/quality_review.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view
def disputes(request: HttpRequest, requester: Requester) -> HttpResponse:
    """Open disputes of the lead's agents, each with a settle form."""
    if not is_quality_lead(requester):
        return _forbidden(request, _("This page is for team leads."))
    form = SettleForm(request.POST or None)
    status = 200
    error = ""
    if request.method == "POST":
        if form.is_valid():
            dispute = (
                Dispute.objects.select_related("review__scorecard")
                .filter(pk=form.cleaned_data["dispute"])
                .first()
            )
            if dispute is None or not leads_agent(requester, dispute.review.agent_id):
                raise Http404(_("No such dispute."))
            try:
                dispute_settle(
                    dispute=dispute,
                    upheld=form.cleaned_data["decision"] == "upheld",
                    adjusted_score=form.cleaned_data["adjusted_score"],
                    note=form.cleaned_data["note"],
                    actor=requester,
                )
            except CloseloopError as refused:
                error, status = str(refused.message), refused.http_status
            else:
                return redirect("workspace:quality-disputes")
        else:
            status = 400
    failed_id = form.data.get("dispute") if form.is_bound else None
    rows = [
        (
            dispute,
            form if str(dispute.pk) == failed_id else SettleForm(initial={"dispute": dispute.pk}),
        )
        for dispute in selectors.disputes_open(_settleable_ids(requester))[:LIST_LIMIT]
    ]
    return render(
        request,
        "workspace/quality_disputes.html",
        {"rows": rows, "error": error},
        status=status,
    )


@require_GET
@workspace_view
def calibration(request: HttpRequest, requester: Requester, session_id: int) -> HttpResponse:
    """A calibration's reviewers, their scores and the spread."""
    session = (
        CalibrationSession.objects.select_related("ticket", "scorecard")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise Http404(_("No such calibration."))
    is_member = (
        requester.agent is not None and session.reviews.filter(reviewer=requester.agent).exists()
    )
    if not (is_quality_lead(requester) or is_member):
        raise Http404(_("No such calibration."))
    language = get_language() or "en"
    criteria = {c.key: c.display_name(language) for c in session.scorecard.criteria.all()}
    spread = selectors.calibration_spread(session)
    return render(
        request,
        "workspace/quality_calibration.html",
        {
            "session": session,
            "reviews": session.reviews.select_related("reviewer").order_by(
                "reviewer__display_name"
            ),
            "spread": spread,
            "criteria": [
                (criteria.get(key, key), low, high, round(share * 100))
                for key, (low, high, share) in spread.criteria.items()
            ],
        },
    )


@require_GET
@workspace_view
def scores(request: HttpRequest, requester: Requester) -> HttpResponse:
    """The quality score of each agent the lead manages, over the last 30 days."""
    if not is_quality_lead(requester):
        return _forbidden(request, _("This page is for team leads."))
    led = _led_agent_ids(requester)
    agents = Agent.objects.all() if led is None else Agent.objects.filter(Q(pk__in=led))
    agents = agents.order_by("display_name")
    end = clock.now()
    by_agent = selectors.quality_scores(
        agent_ids=[agent.pk for agent in agents], start=end - timedelta(days=SCORE_DAYS), end=end
    )
    rows = [(agent, by_agent[agent.pk]) for agent in agents]
    return render(request, "workspace/quality_scores.html", {"rows": rows, "days": SCORE_DAYS})


@require_http_methods(["GET", "POST"])
@workspace_view
def plans(request: HttpRequest, requester: Requester) -> HttpResponse:
    """The sampling plans, their recent draws, and a form to draw a week by hand."""
    if not is_quality_lead(requester):
        return _forbidden(request, _("This page is for team leads."))
    form = DrawForm(request.POST or None)
    status = 200
    message = ""
    if request.method == "POST":
        if form.is_valid():
            week = week_start(form.cleaned_data["week"])
            try:
                reviews = sampling_draw(plan=form.cleaned_data["plan"], week=week, actor=requester)
            except CloseloopError as refused:
                form.add_error(None, str(refused.message))
                status = refused.http_status
            else:
                message = _("%(count)d conversations queued for the week of %(week)s.") % {
                    "count": len(reviews),
                    "week": week.isoformat(),
                }
        else:
            status = 400
    draws = SampleDraw.objects.select_related("plan").order_by("-week", "plan__name")[:20]
    return render(
        request,
        "workspace/quality_plans.html",
        {
            "plans": SamplingPlan.objects.select_related("team").prefetch_related("reviewers"),
            "draws": draws,
            "form": form,
            "message": message,
        },
        status=status,
    )
