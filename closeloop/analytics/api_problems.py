"""Problems and the monthly review in the API (mounted by ``analytics/api.py`` at
/api/v1/analytics/problems and /api/v1/analytics/review). For team leads and administrators;
other agents get 403. Handlers: validate → load → one service → output."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status

from closeloop.analytics import monthly
from closeloop.analytics import problems as services
from closeloop.analytics.api import agent_by_id, category_by_code, lead_requester
from closeloop.analytics.detection import problems_detect
from closeloop.analytics.models_problems import Problem
from closeloop.core.errors import InvalidInput

router = Router(tags=["analytics"])
review_router = Router(tags=["analytics"])


class ProblemOut(Schema):
    """A problem record."""

    id: int
    title: str
    description: str
    status: str
    source: str
    category: str | None
    root_cause: str
    root_cause_notes: str
    owner_id: int | None
    ticket_numbers: list[int]
    action_ids: list[int]
    evidence: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None


class ProblemListOut(Schema):
    """Problems, newest first."""

    items: list[ProblemOut]


class ProblemIn(Schema):
    """Record a problem."""

    title: str = SchemaField(..., max_length=200)
    description: str = ""
    category: str | None = None
    root_cause: str = ""
    owner_id: int | None = None
    ticket_numbers: list[int] = SchemaField(default_factory=list, max_length=500)


class ProblemPatch(Schema):
    """Change a problem (only the fields sent)."""

    title: str | None = SchemaField(None, max_length=200)
    description: str | None = None
    category: str | None = None
    root_cause: str | None = None
    root_cause_notes: str | None = None
    owner_id: int | None = None


class ProblemTransitionIn(Schema):
    """Move a problem to another status."""

    to: str
    note: str = SchemaField("", max_length=500)


class LinkIn(Schema):
    """Ticket numbers to link."""

    numbers: list[int] = SchemaField(..., min_length=1, max_length=500)


class LinkOut(Schema):
    """How many tickets were newly linked."""

    linked: int
    problem: ProblemOut


class ActionIn(Schema):
    """A corrective action for a problem."""

    title: str = SchemaField(..., max_length=200)
    owner_id: int | None = None
    metric: str = ""
    check_after_days: int = 14


class ActionRef(Schema):
    """The corrective action opened."""

    id: int
    title: str
    status: str


class DetectOut(Schema):
    """Problems proposed by a detection run."""

    spikes: list[ProblemOut]
    clusters: list[ProblemOut]


class ProblemQuery(Schema):
    """List filters."""

    status: str = ""
    category: str | None = None
    root_cause: str = ""
    source: str = ""


def problem_out(problem: Problem) -> ProblemOut:
    """The API shape of a problem."""
    return ProblemOut(
        id=problem.pk,
        title=problem.title,
        description=problem.description,
        status=problem.status,
        source=problem.source,
        category=problem.category.code if problem.category else None,
        root_cause=problem.root_cause,
        root_cause_notes=problem.root_cause_notes,
        owner_id=problem.owner_id,
        ticket_numbers=sorted(problem.links.values_list("ticket__number", flat=True)),
        action_ids=list(services.problem_actions(problem).values_list("pk", flat=True)),
        evidence=problem.evidence,
        created_at=problem.created_at,
        updated_at=problem.updated_at,
        resolved_at=problem.resolved_at,
        closed_at=problem.closed_at,
    )


@router.get("", response=ProblemListOut, summary="Problems, newest first")
def problem_list_view(request: HttpRequest, query: Query[ProblemQuery]) -> ProblemListOut:
    lead_requester(request)
    category = category_by_code(query.category)
    rows = services.problem_list(
        status=query.status,
        category_id=category.pk if category else None,
        root_cause=query.root_cause,
        source=query.source,
    )[:200]
    return ProblemListOut(items=[problem_out(p) for p in rows])


@router.post("", response={201: ProblemOut}, summary="Record a problem")
def problem_create_view(request: HttpRequest, payload: ProblemIn) -> Status[ProblemOut]:
    requester = lead_requester(request)
    problem = services.problem_create(
        actor=requester.agent,
        title=payload.title,
        description=payload.description,
        category=category_by_code(payload.category),
        root_cause=payload.root_cause,
        owner=agent_by_id(payload.owner_id),
        ticket_numbers=payload.ticket_numbers,
    )
    return Status(201, problem_out(problem))


@router.post("/detect", response=DetectOut, summary="Look for emerging problems now")
def problem_detect_view(request: HttpRequest) -> DetectOut:
    lead_requester(request)
    result = problems_detect()
    return DetectOut(
        spikes=[problem_out(p) for p in result.spikes],
        clusters=[problem_out(p) for p in result.clusters],
    )


@router.get("/{problem_id}", response=ProblemOut, summary="One problem")
def problem_view(request: HttpRequest, problem_id: int) -> ProblemOut:
    lead_requester(request)
    return problem_out(services.problem_get(problem_id))


@router.patch("/{problem_id}", response=ProblemOut, summary="Change a problem")
def problem_update_view(request: HttpRequest, problem_id: int, payload: ProblemPatch) -> ProblemOut:
    requester = lead_requester(request)
    problem = services.problem_get(problem_id)
    sent = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {k: v for k, v in sent.items() if k not in ("category", "owner_id")}
    if "category" in sent:
        changes["category"] = category_by_code(sent["category"])
    if "owner_id" in sent:
        changes["owner"] = agent_by_id(sent["owner_id"])
    for key in ("title", "description", "root_cause", "root_cause_notes"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    problem = services.problem_update(problem=problem, actor=requester.agent, **changes)
    return problem_out(problem)


@router.post("/{problem_id}/transition", response=ProblemOut, summary="Move a problem on")
def problem_transition_view(
    request: HttpRequest, problem_id: int, payload: ProblemTransitionIn
) -> ProblemOut:
    requester = lead_requester(request)
    problem = services.problem_transition(
        problem=services.problem_get(problem_id),
        actor=requester.agent,
        to=payload.to,
        note=payload.note,
    )
    return problem_out(problem)


@router.post("/{problem_id}/tickets", response=LinkOut, summary="Link tickets by number")
def problem_link_view(request: HttpRequest, problem_id: int, payload: LinkIn) -> LinkOut:
    requester = lead_requester(request)
    problem = services.problem_get(problem_id)
    linked = services.problem_link_tickets(
        problem=problem, actor=requester.agent, numbers=payload.numbers
    )
    return LinkOut(linked=linked, problem=problem_out(problem))


@router.delete("/{problem_id}/tickets/{number}", response={204: None}, summary="Unlink a ticket")
def problem_unlink_view(request: HttpRequest, problem_id: int, number: int) -> Status[None]:
    requester = lead_requester(request)
    services.problem_unlink_ticket(
        problem=services.problem_get(problem_id), actor=requester.agent, number=number
    )
    return Status(204, None)


@router.post("/{problem_id}/actions", response={201: ActionRef}, summary="Open a corrective action")
def problem_action_view(
    request: HttpRequest, problem_id: int, payload: ActionIn
) -> Status[ActionRef]:
    requester = lead_requester(request)
    action = services.problem_action_add(
        problem=services.problem_get(problem_id),
        actor=requester.agent,
        title=payload.title,
        owner=agent_by_id(payload.owner_id),
        metric=payload.metric,
        check_after_days=payload.check_after_days,
    )
    return Status(201, ActionRef(id=action.pk, title=action.title, status=action.status))


class MonthQuery(Schema):
    """Which month."""

    month: str
    format: str = "json"


@review_router.get("/monthly", summary="The monthly review (JSON, or ?format=csv|pdf|html)")
def monthly_view(request: HttpRequest, query: Query[MonthQuery]) -> Any:
    lead_requester(request)
    review = monthly.monthly_review(query.month)
    if query.format in monthly.FILE_TYPES:
        response = HttpResponse(
            monthly.monthly_file(review, query.format),
            content_type=monthly.FILE_TYPES[query.format],
        )
        response["Content-Disposition"] = (
            f'attachment; filename="monthly-review-{review.month}.{query.format}"'
        )
        return response
    if query.format != "json":
        raise InvalidInput(_("The format is json, csv, pdf or html."), details={"field": "format"})
    data = asdict(review)
    data["start"], data["end"] = review.start.isoformat(), review.end.isoformat()
    for alert in data["alerts"]:
        alert["fired_at"] = alert["fired_at"].isoformat()
        alert["cleared_at"] = alert["cleared_at"].isoformat() if alert["cleared_at"] else None
    return data
