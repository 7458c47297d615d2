"""Answers and the closed loop: recording a response (a second answer updates it), opening the
follow-up ticket a low score calls for, turning comments and in-app feedback into feedback
tickets, and recording what the follow-up achieved."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import InvalidInput, NotFound, PermissionDenied
from closeloop.core.jobs import enqueue_with_transaction
from closeloop.customers.models import Customer
from closeloop.feedback.errors import SurveyClosed
from closeloop.feedback.invitations import invitation_move
from closeloop.feedback.models import (
    CommentTicketPolicy,
    FollowUpOutcome,
    Invitation,
    InvitationStatus,
    Response,
    SurveyWebhook,
)
from closeloop.feedback.tokens import token_read
from closeloop.people.models import Agent, Team, TeamMembership, TeamRole
from closeloop.tickets.changes import clean_text
from closeloop.tickets.models import Channel, Kind, Message, Priority, Ticket
from closeloop.tickets.services import Actor, ticket_assign, ticket_create, ticket_update

logger = logging.getLogger(__name__)

MAX_COMMENT_LENGTH = 5000
FEEDBACK_POLICY = "Customer feedback"  # sla/defaults.py: 24 h response, 7 working days
ANSWERABLE = frozenset({InvitationStatus.SENT, InvitationStatus.BLOCKED, InvitationStatus.ANSWERED})


def invitation_for_token(token: str) -> Invitation:
    """The invitation a genuine, unexpired link names (SurveyLinkInvalid / Expired)."""
    claims = token_read(token)
    invitation = (
        Invitation.objects.select_related("survey", "ticket", "customer")
        .filter(pk=claims.invitation_id)
        .first()
    )
    if invitation is None:
        raise NotFound(_("This survey no longer exists."))
    return invitation


def _check_score(invitation: Invitation, score: Any) -> int:
    minimum, maximum = invitation.survey.scale
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = None
    if value is None or not minimum <= value <= maximum or str(score).strip() != str(value):
        raise InvalidInput(
            _("The score must be a whole number from %(min)d to %(max)d.")
            % {"min": minimum, "max": maximum},
            details={"field": "score", "min": minimum, "max": maximum},
        )
    return value


def _optional_text(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    return clean_text(text, field=field, max_length=MAX_COMMENT_LENGTH)


@dataclass(frozen=True)
class Answer:
    """What a customer submitted on a survey page, link or widget."""

    score: Any
    comment: str | None = None
    follow_up_answer: str | None = None


@transaction.atomic
def response_submit(*, invitation: Invitation, answer: Answer) -> Response:
    """Record the customer's answer: the first creates the Response, any later one updates it
    (the earlier score goes to ``history``). A low score opens one follow-up ticket; a comment
    may open one feedback ticket (survey's policy); webhooks hear of it after commit."""
    score = _check_score(invitation, answer.score)
    comment = _optional_text(answer.comment, "comment")
    follow_up_answer = _optional_text(answer.follow_up_answer, "follow_up_answer")
    # The invitation row is the lock: two clicks at once are serialised here.
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("survey")
        .get(pk=invitation.pk)
    )
    if invitation.status not in ANSWERABLE:
        raise SurveyClosed(_("This survey cannot be answered."))
    now = clock.now()
    response = Response.objects.filter(invitation=invitation).first()
    if response is None:
        response = _response_create(invitation, score, comment, follow_up_answer, now)
    else:
        if response.score != score:
            response.history = [
                *response.history,
                {"score": response.score, "at": response.updated_at.isoformat()},
            ]
        response.score = score
        # A one-click second answer carries no comment: keep the one given before.
        response.comment = comment or response.comment
        response.follow_up_answer = follow_up_answer or response.follow_up_answer
        response.updated_at = now
        response.save(
            update_fields=["score", "comment", "follow_up_answer", "updated_at", "history"]
        )
    if invitation.status != InvitationStatus.ANSWERED:
        invitation_move(invitation, InvitationStatus.ANSWERED, answered_at=now)
    survey = invitation.survey
    if survey.is_low(score) and response.follow_up_ticket_id is None:
        _follow_up_open(response, invitation)
    if response.comment and response.comment_ticket_id is None:
        policy = survey.comment_ticket_policy
        if policy == CommentTicketPolicy.ALWAYS or (
            policy == CommentTicketPolicy.LOW_ONLY and survey.is_low(score)
        ):
            _comment_ticket_open(response, invitation)
    _webhooks_enqueue(response.pk)
    return response


def _response_create(
    invitation: Invitation, score: int, comment: str, follow_up_answer: str, now: Any
) -> Response:
    response = Response(
        invitation=invitation,
        survey=invitation.survey,
        survey_type=invitation.survey.survey_type,
        score=score,
        comment=comment,
        follow_up_answer=follow_up_answer,
        ticket_id=invitation.ticket_id,
        customer_id=invitation.customer_id,
        agent_id=invitation.agent_id,
        team_id=invitation.team_id,
        channel=invitation.channel or Channel.EMAIL,
        language=invitation.language,
        answered_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            response.save(force_insert=True)
    except IntegrityError:
        # SQLite has no row lock: a concurrent first answer won; ours becomes an update.
        existing = Response.objects.get(invitation=invitation)
        existing.score, existing.updated_at = score, now
        existing.comment = comment or existing.comment
        existing.save(update_fields=["score", "comment", "updated_at"])
        return existing
    return response


def team_lead(team_id: int | None) -> Agent | None:
    """The first active lead of a team (who a survey follow-up goes to)."""
    if team_id is None:
        return None
    membership = (
        TeamMembership.objects.select_related("agent", "agent__user")
        .filter(team_id=team_id, role=TeamRole.LEAD, agent__user__is_active=True)
        .order_by("pk")
        .first()
    )
    return membership.agent if membership is not None else None


@transaction.atomic
def response_follow_up_open(*, response: Response) -> Response:
    """Open the follow-up ticket of a low response unless it has one (the demo, a backfill)."""
    response = Response.objects.select_for_update(of=("self",)).get(pk=response.pk)
    if response.follow_up_ticket_id is None:
        invitation = Invitation.objects.select_related("survey", "ticket").get(
            pk=response.invitation_id
        )
        _follow_up_open(response, invitation)
    return response


def _follow_up_open(response: Response, invitation: Invitation) -> None:
    """Open the follow-up ticket for a low score: high priority, kind feedback (the 24 h
    response policy, pinned), linked to the original ticket, with the team lead."""
    survey = invitation.survey
    original = invitation.ticket
    minimum, maximum = survey.scale
    customer = Customer.objects.get(pk=invitation.customer_id)
    number = f"#{original.number}" if original is not None else _("relationship survey")
    subject = _("Survey follow-up: %(type)s %(score)d/%(max)d on %(ticket)s") % {
        "type": survey.get_survey_type_display(),
        "score": response.score,
        "max": maximum,
        "ticket": number,
    }
    body = _(
        "The customer answered %(score)d on a scale of %(min)d to %(max)d.\n"
        "Comment: %(comment)s\nContact them within 24 hours and record the outcome."
    ) % {
        "score": response.score,
        "min": minimum,
        "max": maximum,
        "comment": response.comment or "—",
    }
    team = Team.objects.filter(pk=invitation.team_id).first() if invitation.team_id else None
    ticket = ticket_create(
        customer=customer,
        subject=subject[:300],
        body=body,
        channel=Channel.API,
        actor=Actor.system(),
        kind=Kind.FEEDBACK,
        priority=Priority.HIGH,
        team=team,
        related_to=original,
    )
    # The first policy by order would be "High priority" for some channels; the plans' rule for
    # feedback (24 h response, 7 working days) is the one that applies.
    ticket = ticket_update(
        ticket=ticket,
        actor=Actor.system(),
        changes={"sla_policy_pin": FEEDBACK_POLICY},
        reason="survey follow-up",
    )
    lead = team_lead(invitation.team_id)
    if lead is not None:
        ticket_assign(
            ticket=ticket, assignee=lead, actor=Actor.system(), team=team, reason="survey follow-up"
        )
    response.follow_up_ticket = ticket
    response.save(update_fields=["follow_up_ticket"])


def _comment_ticket_open(response: Response, invitation: Invitation) -> None:
    """A survey comment becomes a feedback ticket (answered in 24 h, solved in 7 working days)."""
    customer = Customer.objects.get(pk=invitation.customer_id)
    original = invitation.ticket
    subject = _("Survey comment: %(comment)s") % {"comment": response.comment[:80]}
    if response.follow_up_ticket_id is not None:
        # The follow-up ticket already carries the comment; one ticket for the team, not two.
        response.comment_ticket_id = response.follow_up_ticket_id
        response.save(update_fields=["comment_ticket"])
        return
    team = Team.objects.filter(pk=invitation.team_id).first() if invitation.team_id else None
    ticket = ticket_create(
        customer=customer,
        subject=subject[:300],
        body=response.comment,
        channel=Channel.API,
        actor=Actor.customer(),
        kind=Kind.FEEDBACK,
        team=team,
        related_to=original,
    )
    ticket_update(
        ticket=ticket,
        actor=Actor.system(),
        changes={"sla_policy_pin": FEEDBACK_POLICY},
        reason="survey comment",
    )
    response.comment_ticket = ticket
    response.save(update_fields=["comment_ticket"])


@transaction.atomic
def response_record_follow_up(
    *, response: Response, outcome: str, note: str = "", actor: Agent
) -> Response:
    """Record what the follow-up of a low score achieved (recovered / not / unreachable)."""
    if outcome not in FollowUpOutcome.values:
        raise InvalidInput(
            _("Unknown follow-up outcome %(outcome)s.") % {"outcome": outcome},
            details={"field": "outcome", "allowed": list(FollowUpOutcome.values)},
        )
    response = Response.objects.select_for_update(of=("self",)).get(pk=response.pk)
    if response.follow_up_ticket_id is None:
        raise InvalidInput(
            _("This response has no follow-up to record."), details={"field": "outcome"}
        )
    response.follow_up_outcome = outcome
    response.follow_up_note = _optional_text(note, "note")
    response.follow_up_recorded_at = clock.now()
    response.follow_up_recorded_by = actor
    response.save(
        update_fields=[
            "follow_up_outcome",
            "follow_up_note",
            "follow_up_recorded_at",
            "follow_up_recorded_by",
        ]
    )
    return response


def require_follow_up_recorder(agent: Agent | None, response: Response, *, is_admin: bool) -> None:
    """Leads of the response's team, the follow-up ticket's assignee, or an administrator."""
    if is_admin:
        return
    if agent is None:
        raise PermissionDenied(_("Only team leads can record a follow-up."))
    ticket = response.follow_up_ticket
    if ticket is not None and ticket.assignee_id == agent.pk:
        return
    leads = TeamMembership.objects.filter(agent=agent, role=TeamRole.LEAD)
    if response.team_id is None and leads.exists():
        return
    if response.team_id is not None and leads.filter(team_id=response.team_id).exists():
        return
    raise PermissionDenied(_("Only the team's lead can record this follow-up."))


# --- in-app feedback -------------------------------------------------------------------------


@transaction.atomic
def feedback_submit(
    *,
    customer: Customer,
    text: str,
    client_id: str,
    source: str,
    subject: str = "",
    channel: str = Channel.APP,
) -> tuple[Ticket, bool]:
    """Open a feedback ticket for what the customer sent (kind feedback: answered in 24 h,
    solved in 7 working days). ``client_id`` makes it idempotent: the same id from the same
    source returns the first ticket. Returns (ticket, created)."""
    body = clean_text(text, field="text", max_length=MAX_COMMENT_LENGTH)
    client_id = (client_id or "").strip()
    if not client_id:
        raise InvalidInput(_("client_id is required."), details={"field": "client_id"})
    external_id = f"feedback:{source}:{client_id}"[:255]
    title = (subject or "").strip() or _("Feedback: %(text)s") % {"text": body[:80]}
    seen = Message.objects.filter(channel=channel, external_id=external_id).exists()
    ticket = ticket_create(
        customer=customer,
        subject=title[:300],
        body=body,
        channel=channel,
        actor=Actor.customer(),
        kind=Kind.FEEDBACK,
        external_id=external_id,
    )
    return ticket, not seen


# --- webhooks ----------------------------------------------------------------------------------


def response_payload(response: Response) -> dict[str, Any]:
    """The ``survey.response`` event body."""
    return {
        "event": "survey.response",
        "response_id": response.pk,
        "survey_type": response.survey_type,
        "score": response.score,
        "comment": response.comment,
        "ticket_number": (response.ticket.number if response.ticket is not None else None),
        "customer_id": response.customer_id,
        "agent_id": response.agent_id,
        "team_id": response.team_id,
        "channel": response.channel,
        "answered_at": response.answered_at.isoformat(),
        "updated_at": response.updated_at.isoformat(),
        "follow_up_ticket_number": (
            response.follow_up_ticket.number if response.follow_up_ticket is not None else None
        ),
    }


def _webhooks_enqueue(response_id: int) -> None:
    if not SurveyWebhook.objects.filter(is_active=True).exists():
        return
    from closeloop.feedback.tasks import response_webhooks_task

    enqueue_with_transaction(response_webhooks_task, response_id)


def response_webhooks_send(*, response_id: int) -> int:
    """POST the response to every active webhook, signed; return how many accepted it."""
    from closeloop.channels.adapters import PermanentFailure, RetryLater
    from closeloop.channels.webhooks import post_signed

    response = (
        Response.objects.select_related("ticket", "follow_up_ticket").filter(pk=response_id).first()
    )
    if response is None:
        return 0
    payload = response_payload(response)
    sent = 0
    for hook in SurveyWebhook.objects.filter(is_active=True):
        try:
            post_signed(hook.url, payload, secret=hook.secret)
            sent += 1
        except (RetryLater, PermanentFailure) as error:
            logger.warning("Survey webhook %s failed: %s", hook.url, error)
    return sent
