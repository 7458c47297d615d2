"""Reading survey responses: who may see which, filters for the leads' list, a customer's
scores for the agent's customer panel, and the pending survey of a portal ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from closeloop.core import clock
from closeloop.feedback.models import Invitation, InvitationStatus, Response
from closeloop.people.access import Requester, led_team_ids


def responses_visible_to(requester: Requester) -> QuerySet[Response]:
    """Administrators see every response, team leads their teams' (and unteamed ones), agents
    the responses about their own tickets."""
    responses = Response.objects.all()
    if requester.is_admin:
        return responses
    led = led_team_ids(requester)
    own = Q(agent_id=requester.agent.pk) if requester.agent is not None else Q(pk__in=[])
    if led:
        return responses.filter(own | Q(team_id__in=led) | Q(team_id__isnull=True))
    return responses.filter(own)


def responses_filter(
    responses: QuerySet[Response],
    *,
    survey_type: str | None = None,
    agent_id: int | None = None,
    team_id: int | None = None,
    customer_id: int | None = None,
    ticket_number: int | None = None,
    score_min: int | None = None,
    score_max: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    follow_up: str | None = None,
) -> QuerySet[Response]:
    """Narrow a response queryset by the list endpoint's filters (None: no filter)."""
    exact = {
        "survey_type": survey_type,
        "agent_id": agent_id,
        "team_id": team_id,
        "customer_id": customer_id,
        "ticket__number": ticket_number,
        "score__gte": score_min,
        "score__lte": score_max,
        "answered_at__gte": since,
        "answered_at__lt": until,
    }
    responses = responses.filter(
        **{key: value for key, value in exact.items() if value is not None}
    )
    if follow_up == "open":
        responses = responses.filter(follow_up_ticket__isnull=False, follow_up_outcome="")
    elif follow_up == "recorded":
        responses = responses.exclude(follow_up_outcome="")
    return responses


@dataclass(frozen=True)
class ScoreLine:
    """One survey answer as the customer panel lists it."""

    survey_type: str
    score: int
    maximum: int
    is_low: bool
    comment: str
    ticket_number: int | None
    answered_at: datetime


def customer_survey_scores(customer_id: int, *, limit: int = 5) -> list[ScoreLine]:
    """The customer's latest survey answers, newest first."""
    rows = (
        Response.objects.filter(customer_id=customer_id)
        .select_related("survey", "ticket")
        .order_by("-answered_at", "-id")[:limit]
    )
    return [
        ScoreLine(
            survey_type=row.survey_type,
            score=row.score,
            maximum=row.survey.scale[1],
            is_low=row.survey.is_low(row.score),
            comment=row.comment,
            ticket_number=(row.ticket.number if row.ticket is not None else None),
            answered_at=row.answered_at,
        )
        for row in rows
    ]


def ticket_open_invitation(ticket_id: int) -> Invitation | None:
    """The survey a portal ticket page offers: sent (or answered, to change), not expired."""
    now = clock.now()
    return (
        Invitation.objects.select_related("survey")
        .filter(
            ticket_id=ticket_id,
            status__in=[
                InvitationStatus.SENT,
                InvitationStatus.BLOCKED,
                InvitationStatus.ANSWERED,
            ],
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-sent_at", "-id")
        .first()
    )
