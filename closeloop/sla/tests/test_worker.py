"""The worker fires warnings and breaches once, escalates, and auto-closes — moving the clock."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from closeloop.core import clock
from closeloop.people.models import TeamRole
from closeloop.people.tests.factories import AgentFactory, TeamFactory, member
from closeloop.sla.models import TicketClock
from closeloop.sla.services import fire_breaches, fire_warnings, sla_sweep
from closeloop.sla.signals import sla_breached
from closeloop.tickets import services
from closeloop.tickets.models import EventType, Status, TicketEvent
from closeloop.tickets.services import Actor
from closeloop.tickets.tests.factories import make_ticket

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def announced():
    """What ``sla_breached`` announced during the test."""
    heard = []

    def listen(*, ticket_id, metric, agent_ids, **_kwargs):
        heard.append((ticket_id, metric, agent_ids))

    sla_breached.connect(listen, weak=False, dispatch_uid="test-breach-listener")
    yield heard
    sla_breached.disconnect(dispatch_uid="test-breach-listener")


def _sla_events(ticket):
    return list(
        TicketEvent.objects.filter(
            ticket=ticket, type__in=[EventType.SLA_WARNING, EventType.SLA_BREACHED]
        ).values_list("type", "after__metric")
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_once_fires_warning_then_breach_and_escalates(announced):
    team = TeamFactory()
    lead = AgentFactory()
    member(lead, team, role=TeamRole.LEAD)
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="high", team=team)

    with clock.frozen_at(T0 + timedelta(minutes=47)):
        call_command("worker", "--once")
    assert _sla_events(ticket) == []

    with clock.frozen_at(T0 + timedelta(minutes=48)):
        call_command("worker", "--once")
        call_command("worker", "--once")
    assert _sla_events(ticket) == [(EventType.SLA_WARNING, "first_response")]

    with clock.frozen_at(T0 + timedelta(minutes=61)):
        call_command("worker", "--once")
        call_command("worker", "--once")
    assert _sla_events(ticket) == [
        (EventType.SLA_WARNING, "first_response"),
        (EventType.SLA_BREACHED, "first_response"),
    ]
    ticket.refresh_from_db()
    assert ticket.sla_breached_at == T0 + timedelta(minutes=61)
    assert ticket.escalation_level == 1
    assert ticket.escalated_to == lead
    escalation = TicketEvent.objects.get(ticket=ticket, type=EventType.ESCALATED)
    assert escalation.actor_kind == "system"
    breach = TicketEvent.objects.get(ticket=ticket, type=EventType.SLA_BREACHED)
    assert breach.after["notify_agent_ids"] == [lead.pk]
    assert announced == [(ticket.pk, "first_response", [lead.pk])]
    assert escalation.reason.startswith("SLA breached: first_response")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_once_autocloses_after_confirmation_window():
    agent = AgentFactory()
    with clock.frozen_at(T0):
        ticket = make_ticket()
        services.message_add(ticket=ticket, body="Fixed", actor=Actor.of_agent(agent))
        services.ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(hours=73)):
        call_command("worker", "--once")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


@pytest.mark.django_db
def test_reply_after_due_is_breached_on_next_sweep_even_if_worker_missed_it():
    agent = AgentFactory()
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="high")
    with clock.frozen_at(T0 + timedelta(minutes=90)):
        services.message_add(ticket=ticket, body="Sorry for the wait", actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(minutes=95)):
        assert sla_sweep() == {"warnings": 0, "breaches": 1}
        assert sla_sweep() == {"warnings": 0, "breaches": 0}
    assert _sla_events(ticket) == [(EventType.SLA_BREACHED, "first_response")]


@pytest.mark.django_db
def test_paused_clock_neither_warns_nor_breaches():
    agent = AgentFactory()
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="high")
        services.message_add(ticket=ticket, body="Need your order id", actor=Actor.of_agent(agent))
        services.ticket_pend(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(days=5)):
        assert sla_sweep() == {"warnings": 0, "breaches": 0}
    assert TicketClock.objects.get(ticket=ticket, metric="resolution").breached_at is None


@pytest.mark.django_db
def test_claim_is_guarded_so_a_second_worker_fires_nothing():
    """Two workers read the same due clocks; only the first claim writes events."""
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="high", team=TeamFactory())
    now = T0 + timedelta(minutes=50)
    stale = list(TicketClock.objects.filter(ticket=ticket, metric="first_response"))
    assert fire_warnings(stale, now) == 1
    assert fire_warnings(stale, now) == 0
    later = T0 + timedelta(hours=2)
    stale = list(
        TicketClock.objects.select_related("policy").filter(ticket=ticket, metric="first_response")
    )
    assert fire_breaches(stale, later) == 1
    assert fire_breaches(stale, later) == 0
    assert _sla_events(ticket) == [
        (EventType.SLA_WARNING, "first_response"),
        (EventType.SLA_BREACHED, "first_response"),
    ]


@pytest.mark.django_db
def test_a_pause_after_the_warning_does_not_warn_twice():
    agent = AgentFactory()
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="high")
        services.ticket_assign(ticket=ticket, assignee=agent, actor=Actor.of_agent(agent))
        services.ticket_start(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(minutes=50)):
        assert sla_sweep() == {"warnings": 1, "breaches": 0}
    with clock.frozen_at(T0 + timedelta(minutes=55)):
        services.ticket_pend(ticket=ticket, actor=Actor.of_agent(agent), reason="need photo")
    with clock.frozen_at(T0 + timedelta(minutes=120)):
        services.message_add(ticket=ticket, body="photo", actor=Actor.customer())
    with clock.frozen_at(T0 + timedelta(minutes=121)):
        assert sla_sweep() == {"warnings": 0, "breaches": 0}
    assert _sla_events(ticket) == [(EventType.SLA_WARNING, "first_response")]


@pytest.mark.django_db
def test_a_pause_before_the_warning_moves_it_later():
    agent = AgentFactory()
    with clock.frozen_at(T0):
        ticket = make_ticket(priority="high")
        services.ticket_assign(ticket=ticket, assignee=agent, actor=Actor.of_agent(agent))
        services.ticket_start(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(minutes=10)):
        services.ticket_pend(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(minutes=70)):
        services.message_add(ticket=ticket, body="back", actor=Actor.customer())
    with clock.frozen_at(T0 + timedelta(minutes=107)):
        assert sla_sweep()["warnings"] == 0
    with clock.frozen_at(T0 + timedelta(minutes=108)):
        assert sla_sweep()["warnings"] == 1
