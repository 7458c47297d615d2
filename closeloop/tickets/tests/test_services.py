"""Ticket services on a real database: creation, messages, the lifecycle, escalation."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError

from closeloop.core import clock
from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition
from closeloop.people.models import TeamRole
from closeloop.people.tests.factories import AgentFactory, TeamFactory, member
from closeloop.tickets import changes, services
from closeloop.tickets.models import EventType, Message, Status, Ticket, TicketEvent
from closeloop.tickets.services import Actor, EscalationRefused, TicketClosed
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _events(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("type", flat=True))


def _in_progress(agent, **fields):
    ticket = make_ticket(**fields)
    services.message_add(ticket=ticket, body="Looking into it.", actor=Actor.of_agent(agent))
    return Ticket.objects.get(pk=ticket.pk)


def test_create_numbers_tickets_sequentially_and_records_events():
    with clock.frozen_at(T0):
        first = make_ticket()
        second = make_ticket()
    assert second.number == first.number + 1
    assert first.status == Status.NEW
    assert first.created_at == T0
    assert _events(first) == [EventType.CREATED, EventType.MESSAGE_ADDED]
    assert first.messages.get().author_kind == "customer"


def test_create_with_same_external_id_returns_the_same_ticket():
    ticket = make_ticket(external_id="<abc@mail>")
    again = make_ticket(external_id="<abc@mail>")
    assert again.pk == ticket.pk
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("subject", "  "), ("body", ""), ("channel", "fax"), ("priority", "urgent"), ("kind", "x")],
)
def test_create_refuses_bad_input_and_writes_nothing(field, value):
    with pytest.raises(InvalidInput) as error:
        make_ticket(**{field: value})
    assert error.value.details["field"] == field
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_agent_reply_on_new_ticket_assigns_starts_and_stops_first_response():
    agent = AgentFactory()
    with clock.frozen_at(T0):
        ticket = make_ticket()
    with clock.frozen_at(T0 + timedelta(minutes=30)):
        services.message_add(ticket=ticket, body="Hello!", actor=Actor.of_agent(agent))
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.assignee == agent
    assert ticket.first_responded_at == T0 + timedelta(minutes=30)
    assert ticket.public_agent_reply_count == 1
    assert _events(ticket)[2:] == [
        EventType.STATUS_CHANGED,
        EventType.ASSIGNED,
        EventType.STATUS_CHANGED,
        EventType.MESSAGE_ADDED,
    ]


def test_internal_note_does_not_count_as_response():
    agent = AgentFactory()
    ticket = make_ticket()
    services.message_add(ticket=ticket, body="note", is_public=False, actor=Actor.of_agent(agent))
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.first_responded_at is None
    assert ticket.public_agent_reply_count == 0


def test_message_with_same_external_id_is_stored_once():
    ticket = make_ticket(channel="wechat")
    for _ in range(2):
        services.message_add(ticket=ticket, body="hi", actor=Actor.customer(), external_id="m1")
    assert ticket.messages.filter(external_id="m1").count() == 1


def test_customer_reply_resumes_a_pending_ticket():
    agent = AgentFactory()
    ticket = _in_progress(agent)
    services.ticket_pend(ticket=ticket, actor=Actor.of_agent(agent), reason="asked for photo")
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING_CUSTOMER
    assert ticket.pending_since is not None
    services.message_add(ticket=ticket, body="photo attached", actor=Actor.customer())
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.pending_since is None


def test_resolve_confirm_closes_with_milestones():
    agent = AgentFactory()
    ticket = _in_progress(agent)
    with clock.frozen_at(T0):
        services.ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(hours=1)):
        services.ticket_confirm(ticket=ticket, actor=Actor.customer())
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.resolved_at == T0
    assert ticket.confirmed_at == ticket.closed_at == T0 + timedelta(hours=1)
    last = TicketEvent.objects.filter(ticket=ticket).order_by("id").last()
    assert (last.after, last.actor_kind) == ({"status": "closed", "confirmed": True}, "customer")


def test_invalid_transition_is_refused_and_changes_nothing():
    ticket = make_ticket()
    events_before = TicketEvent.objects.count()
    with pytest.raises(InvalidTransition):
        services.ticket_resolve(ticket=ticket, actor=Actor.system())
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.resolved_at is None
    assert TicketEvent.objects.count() == events_before


def test_stale_transition_is_refused():
    """Two agents resolve the same ticket: the second sees it already resolved."""
    agent = AgentFactory()
    ticket = _in_progress(agent)
    stale_copy = Ticket.objects.get(pk=ticket.pk)
    services.ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))
    with pytest.raises(InvalidTransition):
        services.ticket_resolve(ticket=stale_copy, actor=Actor.of_agent(agent))
    assert TicketEvent.objects.filter(ticket=ticket, after__status="resolved").count() == 1


def test_guarded_update_refuses_when_status_moved_underneath():
    """The UPDATE itself is guarded: if the row changed after the read, nothing is written."""
    agent = AgentFactory()
    ticket = _in_progress(agent)
    change = changes.Change(ticket, Actor.of_agent(agent))
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.PENDING_CUSTOMER)
    with pytest.raises(ConcurrentChange):
        changes.transition(change, Status.RESOLVED)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.PENDING_CUSTOMER
    assert change.events == []


def test_customer_reply_reopens_within_window_and_refuses_after():
    agent = AgentFactory()
    ticket = _in_progress(agent)
    with clock.frozen_at(T0):
        services.ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(days=2)):
        services.message_add(ticket=ticket, body="still broken", actor=Actor.customer())
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.reopen_count == 1
    assert ticket.resolved_at is None

    with clock.frozen_at(T0 + timedelta(days=3)):
        services.ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(days=11)), pytest.raises(TicketClosed):
        services.message_add(ticket=ticket, body="again", actor=Actor.customer())
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.messages.count() == 3


def test_closed_ticket_reopens_within_window():
    agent = AgentFactory()
    ticket = _in_progress(agent)
    with clock.frozen_at(T0):
        services.ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))
        services.ticket_close(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(days=6)):
        services.ticket_reopen(ticket=ticket, actor=Actor.customer(), reason="not fixed")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.closed_at is None


def test_agent_cannot_reply_on_closed_ticket():
    agent = AgentFactory()
    ticket = _in_progress(agent)
    services.ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))
    services.ticket_close(ticket=ticket, actor=Actor.of_agent(agent))
    with pytest.raises(TicketClosed):
        services.message_add(ticket=ticket, body="hi", actor=Actor.of_agent(agent))


def test_reassign_keeps_status_and_records_before_after():
    first, second = AgentFactory(), AgentFactory()
    ticket = _in_progress(first)
    services.ticket_assign(
        ticket=ticket, assignee=second, actor=Actor.of_agent(first), reason="shift change"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.assignee == second
    event = TicketEvent.objects.filter(ticket=ticket, type=EventType.ASSIGNED).last()
    assert event.before["assignee_id"] == first.pk
    assert event.after["assignee_id"] == second.pk
    assert event.reason == "shift change"


def test_manual_escalation_goes_to_team_lead_with_reason():
    team = TeamFactory()
    lead = AgentFactory()
    member(lead, team, role=TeamRole.LEAD)
    agent = AgentFactory()
    ticket = make_ticket(team=team)
    services.ticket_escalate(ticket=ticket, actor=Actor.of_agent(agent), reason="angry VIP")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert ticket.escalated_to == lead
    event = TicketEvent.objects.get(ticket=ticket, type=EventType.ESCALATED)
    assert event.reason == "angry VIP"
    assert event.after == {"escalation_level": 1, "escalated_to_id": lead.pk}


def test_escalation_needs_reason_and_a_person_and_stops_at_level_3():
    agent, expert = AgentFactory(), AgentFactory()
    ticket = make_ticket()
    with pytest.raises(InvalidInput):
        services.ticket_escalate(ticket=ticket, actor=Actor.of_agent(agent), reason=" ")
    with pytest.raises(EscalationRefused):
        services.ticket_escalate(ticket=ticket, actor=Actor.of_agent(agent), reason="help")
    services.ticket_escalate(
        ticket=ticket, actor=Actor.of_agent(agent), reason="help", to_agent=expert, level=3
    )
    with pytest.raises(EscalationRefused):
        services.ticket_escalate(
            ticket=ticket, actor=Actor.of_agent(agent), reason="more", to_agent=expert
        )
    ticket.refresh_from_db()
    assert ticket.escalation_level == 3
    assert TicketEvent.objects.filter(ticket=ticket, type=EventType.ESCALATED).count() == 1


def test_update_records_one_event_per_changed_field():
    ticket = make_ticket(priority="low")
    services.ticket_update(
        ticket=ticket, actor=Actor.system(), changes={"priority": "high", "kind": "inquiry"}
    )
    changed = TicketEvent.objects.filter(ticket=ticket, type=EventType.FIELD_CHANGED)
    assert [(e.before, e.after) for e in changed] == [({"priority": "low"}, {"priority": "high"})]


def test_autoclose_closes_only_after_the_confirmation_window():
    agent = AgentFactory()
    ticket = _in_progress(agent)
    with clock.frozen_at(T0):
        services.ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(hours=71)):
        assert services.tickets_autoclose_due() == 0
    with clock.frozen_at(T0 + timedelta(hours=72)):
        assert services.tickets_autoclose_due() == 1
        assert services.tickets_autoclose_due() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at == T0 + timedelta(hours=72)
    assert ticket.confirmed_at is None
    assert TicketEvent.objects.filter(ticket=ticket).order_by("id").last().after == {
        "status": "closed"
    }


def test_ticket_events_are_append_only():
    ticket = make_ticket()
    event = TicketEvent.objects.filter(ticket=ticket).first()
    event.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_create_race_on_the_same_channel_id_returns_the_winners_ticket(monkeypatch):
    """Two deliveries of one channel message: the second's insert fails on the unique key,
    its savepoint undoes its whole ticket, and it gets the first one's."""
    winner = make_ticket(channel="wechat", external_id="wx-1")
    events = TicketEvent.objects.count()
    again = make_ticket(channel="wechat", external_id="wx-1")
    assert again.pk == winner.pk
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.count() == events
    monkeypatch.setattr(services, "_existing_message", lambda *a: None)
    with pytest.raises(IntegrityError):  # with no stored message to fall back on, it is lost
        make_ticket(channel="wechat", external_id="wx-1")
    assert Ticket.objects.count() == 1
