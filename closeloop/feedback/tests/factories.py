"""Surveys and resolved tickets for the feedback tests (tickets through the real services)."""

from __future__ import annotations

from typing import Any

import factory

from closeloop.core import clock
from closeloop.customers.models import Customer
from closeloop.feedback.invitations import invitation_send
from closeloop.feedback.models import Invitation, Survey, SurveyType, Trigger
from closeloop.people.models import Agent
from closeloop.people.tests.factories import AgentFactory
from closeloop.tickets.models import Ticket
from closeloop.tickets.services import Actor, message_add, ticket_assign, ticket_resolve
from closeloop.tickets.tests.factories import make_ticket


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    name = factory.Sequence(lambda n: f"Survey {n}")
    survey_type = SurveyType.CSAT
    trigger = Trigger.RESOLUTION
    is_active = True
    question_en = "How satisfied are you with how we handled your request?"
    question_zh = "您对我们这次的服务满意吗？"
    follow_up_question_en = "What could we have done better?"
    follow_up_question_zh = "我们哪些地方可以做得更好？"
    delay_minutes = 60
    throttle_days = 7
    token_valid_days = 14
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


def only_survey(**fields: Any) -> Survey:
    """Deactivate the migration's default surveys and make the one the test is about."""
    Survey.objects.update(is_active=False)
    return SurveyFactory(**fields)


def resolved_ticket(
    *,
    customer: Customer | None = None,
    agent: Agent | None = None,
    channel: str = "email",
    **fields: Any,
) -> Ticket:
    """A ticket an agent answered and resolved (the usual path to a survey)."""
    agent = agent or AgentFactory()
    ticket = make_ticket(customer=customer, channel=channel, **fields)
    ticket = ticket_assign(ticket=ticket, assignee=agent, actor=Actor.system())
    message_add(ticket=ticket, body="Your parcel is on its way.", actor=Actor.of_agent(agent))
    ticket.refresh_from_db()
    return ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))


def sent_invitation(ticket: Ticket) -> Invitation:
    """Move time past the delay and send the ticket's invitation."""
    invitation = Invitation.objects.get(ticket=ticket)
    with clock.frozen_at(invitation.scheduled_at):
        sent = invitation_send(invitation_id=invitation.pk)
    assert sent is not None
    return sent
