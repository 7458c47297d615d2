"""The feedback API (mounted at /api/v1/feedback in closeloop/api.py).

* ``POST /feedback`` — the in-app feedback button: the app backend signs the request like its
  channel messages (``X-Closeloop-Key`` + request signature), or staff use a token; opens a
  feedback ticket, idempotent on ``client_id``.
* ``POST /feedback/surveys/responses`` — answer a survey with its link token (app, widget).
* ``GET /feedback/surveys/responses`` — leads list responses (agents: their own).
* ``POST /feedback/surveys/responses/{id}/follow-up`` — record a follow-up's outcome.
* ``GET /feedback/tickets/{number}/survey`` — a ticket's invitation and response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from closeloop.channels.http import parse_json
from closeloop.channels.integrations import integration_for
from closeloop.channels.models import IntegrationKind
from closeloop.channels.signing import KEY_HEADER, verify
from closeloop.core.errors import NotFound, PermissionDenied
from closeloop.core.tokens import api_token_user
from closeloop.customers.services import customer_identify
from closeloop.feedback.models import FollowUpOutcome, Invitation, Response, SurveyType
from closeloop.feedback.selectors import responses_filter, responses_visible_to
from closeloop.feedback.services import (
    Answer,
    feedback_submit,
    invitation_for_token,
    require_follow_up_recorder,
    response_record_follow_up,
    response_submit,
)
from closeloop.people.access import Requester, requester_for
from closeloop.tickets.models import Channel
from closeloop.tickets.selectors import ticket_visible

router = Router(tags=["feedback"])

MAX_PAGE_SIZE = 200


class FeedbackIn(Schema):
    client_id: str = Field(
        ..., min_length=1, max_length=190, description="The app's id: a resend opens nothing new."
    )
    text: str = Field(..., min_length=1, max_length=5000)
    subject: str = Field("", max_length=300)
    app_user_id: str | None = Field(None, max_length=128)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=40)
    name: str = Field("", max_length=200)


class FeedbackOut(Schema):
    status: Literal["created", "duplicate"]
    ticket_number: int
    kind: str


def _requester_or_none(request: HttpRequest) -> Requester | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = api_token_user(header[7:].strip())
        if user is None:
            raise PermissionDenied(_("The token is not valid."))
        return requester_for(user)
    if request.user.is_authenticated:
        return requester_for(request.user)
    return None


@router.post(
    "",
    auth=None,
    response={201: FeedbackOut, 200: FeedbackOut},
    summary="Send feedback from the app's feedback button",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": FeedbackIn.model_json_schema()}},
        }
    },
)
def feedback_create_view(request: HttpRequest) -> Status[FeedbackOut]:
    """Signed by an app integration (key + signature headers), or by staff with a token."""
    if request.headers.get(KEY_HEADER):
        integration = integration_for(request, IntegrationKind.APP)
        verify(integration.secret, request.body, request.headers)
        source, proven = integration.key, True
    else:
        requester = _requester_or_none(request)
        if requester is None:
            raise PermissionDenied(
                _("Sign the request with an app integration key, or use an API token.")
            )
        source, proven = f"user-{requester.user.pk}", False
    payload = parse_json(FeedbackIn, request.body)
    customer = customer_identify(
        app_user_id=payload.app_user_id,
        email=payload.email,
        phone=payload.phone,
        name=payload.name,
        proven=proven,
        reason="in-app feedback",
    )
    ticket, created = feedback_submit(
        customer=customer,
        text=payload.text,
        subject=payload.subject,
        client_id=payload.client_id,
        source=source,
        channel=Channel.APP if proven else Channel.API,
    )
    body = FeedbackOut(
        status="created" if created else "duplicate", ticket_number=ticket.number, kind=ticket.kind
    )
    return Status(201 if created else 200, body)


# --- survey responses ---------------------------------------------------------------------------


class SurveyAnswerIn(Schema):
    token: str = Field(..., min_length=1, max_length=1000)
    score: int
    comment: str = Field("", max_length=5000)
    follow_up_answer: str = Field("", max_length=5000)


class ResponseOut(Schema):
    id: int
    survey_type: str
    score: int
    comment: str
    follow_up_answer: str
    ticket_number: int | None
    customer_id: int
    agent_id: int | None
    team_id: int | None
    channel: str
    language: str
    answered_at: datetime
    updated_at: datetime
    is_low: bool
    follow_up_ticket_number: int | None
    follow_up_outcome: str
    follow_up_note: str
    follow_up_recorded_at: datetime | None
    comment_ticket_number: int | None


def response_out(response: Response) -> ResponseOut:
    return ResponseOut(
        id=response.pk,
        survey_type=response.survey_type,
        score=response.score,
        comment=response.comment,
        follow_up_answer=response.follow_up_answer,
        ticket_number=(response.ticket.number if response.ticket is not None else None),
        customer_id=response.customer_id,
        agent_id=response.agent_id,
        team_id=response.team_id,
        channel=response.channel,
        language=response.language,
        answered_at=response.answered_at,
        updated_at=response.updated_at,
        is_low=response.survey.is_low(response.score),
        follow_up_ticket_number=(
            response.follow_up_ticket.number if response.follow_up_ticket is not None else None
        ),
        follow_up_outcome=response.follow_up_outcome,
        follow_up_note=response.follow_up_note,
        follow_up_recorded_at=response.follow_up_recorded_at,
        comment_ticket_number=(
            response.comment_ticket.number if response.comment_ticket is not None else None
        ),
    )


def _with_related(queryset: QuerySet[Response]) -> QuerySet[Response]:
    return queryset.select_related("survey", "ticket", "follow_up_ticket", "comment_ticket")


@router.post(
    "/surveys/responses",
    auth=None,
    response={200: ResponseOut},
    summary="Answer a survey with its link token (a second answer updates the first)",
)
def survey_response_submit_view(request: HttpRequest, payload: SurveyAnswerIn) -> ResponseOut:
    invitation = invitation_for_token(payload.token)
    response = response_submit(
        invitation=invitation,
        answer=Answer(
            score=payload.score,
            comment=payload.comment,
            follow_up_answer=payload.follow_up_answer,
        ),
    )
    return response_out(_with_related(Response.objects.filter(pk=response.pk)).get())


class ResponseListQuery(Schema):
    survey_type: SurveyType | None = None
    agent_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    ticket_number: int | None = None
    score_min: int | None = Field(None, ge=0, le=10)
    score_max: int | None = Field(None, ge=0, le=10)
    since: datetime | None = None
    until: datetime | None = None
    follow_up: Literal["open", "recorded"] | None = Field(
        None, description="open: a follow-up ticket without an outcome yet; recorded: with one."
    )
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class ResponseListOut(Schema):
    count: int
    page: int
    results: list[ResponseOut]


@router.get(
    "/surveys/responses",
    response=ResponseListOut,
    summary="List survey responses (team leads: their teams'; agents: their own)",
)
def survey_response_list_view(
    request: HttpRequest, filters: Query[ResponseListQuery]
) -> ResponseListOut:
    requester = requester_for(request.user)
    responses = responses_filter(
        responses_visible_to(requester), **filters.model_dump(exclude={"page", "page_size"})
    )
    count = responses.count()
    start = (filters.page - 1) * filters.page_size
    rows = _with_related(responses.order_by("-answered_at", "-id"))[
        start : start + filters.page_size
    ]
    return ResponseListOut(count=count, page=filters.page, results=[response_out(r) for r in rows])


class FollowUpIn(Schema):
    outcome: FollowUpOutcome
    note: str = Field("", max_length=5000)


@router.post(
    "/surveys/responses/{response_id}/follow-up",
    response=ResponseOut,
    summary="Record what the follow-up of a low score achieved",
)
def survey_follow_up_view(request: HttpRequest, response_id: int, payload: FollowUpIn) -> Any:
    requester = requester_for(request.user)
    response = _with_related(responses_visible_to(requester)).filter(pk=response_id).first()
    if response is None:
        raise NotFound(_("Survey response %(id)s not found.") % {"id": response_id})
    require_follow_up_recorder(requester.agent, response, is_admin=requester.is_admin)
    if requester.agent is None:
        raise PermissionDenied(_("Record follow-ups with an agent profile."))
    response_record_follow_up(
        response=response, outcome=payload.outcome, note=payload.note, actor=requester.agent
    )
    return response_out(_with_related(Response.objects.filter(pk=response.pk)).get())


class TicketSurveyOut(Schema):
    invitation_status: str | None
    invitation_channel: str
    scheduled_at: datetime | None
    sent_at: datetime | None
    skip_reason: str
    response: ResponseOut | None


@router.get(
    "/tickets/{number}/survey",
    response=TicketSurveyOut,
    summary="A ticket's survey invitation and response",
)
def ticket_survey_view(request: HttpRequest, number: int) -> TicketSurveyOut:
    requester = requester_for(request.user)
    ticket = ticket_visible(requester, number=number)
    invitation = Invitation.objects.filter(ticket=ticket).order_by("-created_at", "-id").first()
    response = _with_related(Response.objects.filter(ticket=ticket)).order_by("-id").first()
    return TicketSurveyOut(
        invitation_status=invitation.status if invitation else None,
        invitation_channel=invitation.channel if invitation else "",
        scheduled_at=invitation.scheduled_at if invitation else None,
        sent_at=invitation.sent_at if invitation else None,
        skip_reason=invitation.skip_reason if invitation else "",
        response=response_out(response) if response else None,
    )
