"""Conversations made through the ticket services (so SLA clocks and events are real)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from closeloop.core.clock import frozen_at
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.models import Agent
from closeloop.tickets.models import Ticket
from closeloop.tickets.services import Actor, message_add, ticket_assign, ticket_resolve
from closeloop.tickets.tests.factories import make_ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def conversation(
    agent: Agent,
    lines: Sequence[tuple[str, str, float]],
    *,
    start: datetime = T0,
    kind: str = "inquiry",
    channel: str = "email",
    resolve: bool = True,
    priority: str = "medium",
) -> Ticket:
    """A ticket assigned to ``agent`` whose messages are (author, body, minutes after start);
    the first line is the customer's opening message. Resolved a minute after the last line."""
    (_first_author, first_body, _m), rest = lines[0], lines[1:]
    with frozen_at(start):
        ticket = make_ticket(
            customer=CustomerFactory(),
            body=first_body,
            channel=channel,
            kind=kind,
            priority=priority,
        )
        ticket = ticket_assign(ticket=ticket, assignee=agent, actor=Actor.system())
    minutes = 0.0
    for author, body, minutes in rest:
        with frozen_at(start + timedelta(minutes=minutes)):
            actor = Actor.of_agent(agent) if author == "agent" else Actor.customer()
            message_add(ticket=ticket, body=body, actor=actor, channel=channel)
    if resolve:
        with frozen_at(start + timedelta(minutes=minutes + 1)):
            ticket = ticket_resolve(
                ticket=Ticket.objects.get(pk=ticket.pk), actor=Actor.of_agent(agent)
            )
    return Ticket.objects.get(pk=ticket.pk)
