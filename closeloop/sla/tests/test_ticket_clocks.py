"""Clocks follow the ticket: created with it, paused, stopped, recomputed on changes."""

from datetime import UTC, datetime, timedelta

import pytest

from closeloop.core import clock
from closeloop.people.tests.factories import AgentFactory
from closeloop.sla.models import TicketClock
from closeloop.tickets import services
from closeloop.tickets.services import Actor
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _clocks(ticket):
    return {row.metric: row for row in TicketClock.objects.filter(ticket=ticket)}


def test_new_ticket_gets_policy_clocks_and_inbox_summary():
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="high")
    clocks = _clocks(ticket)
    assert set(clocks) == {"first_response", "resolution"}
    assert clocks["first_response"].due_at == T0 + timedelta(hours=1)
    ticket.refresh_from_db()
    assert ticket.sla_policy_name == "High priority"
    assert ticket.sla_due_at == T0 + timedelta(hours=1)
    assert ticket.sla_warning_at == T0 + timedelta(minutes=48)


def test_reply_moves_inbox_due_to_resolution():
    agent = AgentFactory()
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="high")
    with clock.frozen_at(T0 + timedelta(minutes=20)):
        services.message_add(ticket=ticket, body="On it", actor=Actor.of_agent(agent))
    ticket.refresh_from_db()
    assert _clocks(ticket)["first_response"].stopped_at == T0 + timedelta(minutes=20)
    assert ticket.sla_due_at == T0 + timedelta(hours=24)


def test_pending_pauses_every_clock_and_customer_reply_resumes():
    agent = AgentFactory()
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="high")
        services.message_add(ticket=ticket, body="Photo please", actor=Actor.of_agent(agent))
        ticket = services.ticket_pend(ticket=ticket, actor=Actor.of_agent(agent))
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None
    assert _clocks(ticket)["resolution"].paused_since == T0
    with clock.frozen_at(T0 + timedelta(hours=5)):
        services.message_add(ticket=ticket, body="Here", actor=Actor.customer())
    ticket.refresh_from_db()
    assert _clocks(ticket)["resolution"].due_at == T0 + timedelta(hours=29)
    assert ticket.sla_due_at == T0 + timedelta(hours=29)


def test_priority_change_rematches_the_policy():
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="low")
        services.ticket_update(ticket=ticket, actor=Actor.system(), changes={"priority": "high"})
    ticket.refresh_from_db()
    assert ticket.sla_policy_name == "High priority"
    assert _clocks(ticket)["first_response"].due_at == T0 + timedelta(hours=1)


def test_chat_ticket_has_ten_minute_reception_and_next_response():
    agent = AgentFactory()
    with clock.frozen_at(T0):
        ticket = make_ticket(channel="chat", priority="low")
    assert _clocks(ticket)["first_response"].due_at == T0 + timedelta(minutes=10)
    with clock.frozen_at(T0 + timedelta(minutes=3)):
        services.message_add(ticket=ticket, body="Hi, how can I help?", actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(minutes=5)):
        services.message_add(ticket=ticket, body="My order", actor=Actor.customer())
    next_response = _clocks(ticket)["next_response"]
    assert next_response.due_at == T0 + timedelta(minutes=15)
