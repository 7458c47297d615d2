"""Tag and category changes show in the ticket's history like every other change."""

import pytest

from closeloop.people.tests.factories import AgentFactory
from closeloop.tickets.models import EventType
from closeloop.tickets.services import Actor
from closeloop.tickets.tests.factories import make_ticket
from closeloop.triage.decisions import triage_correct
from closeloop.triage.models import Category
from closeloop.triage.tags import ticket_tags_add, ticket_tags_remove

pytestmark = pytest.mark.django_db


def _changes(ticket, field):
    return [
        (event.before[field], event.after[field])
        for event in ticket.events.filter(type=EventType.FIELD_CHANGED).order_by("id")
        if field in event.after
    ]


def test_tags_changes_are_events_and_a_no_op_is_not():
    agent = AgentFactory()
    ticket = make_ticket()
    ticket_tags_add(ticket=ticket, names=["battery"], actor=Actor.of_agent(agent))
    ticket_tags_add(ticket=ticket, names=["battery"], actor=Actor.of_agent(agent))
    ticket_tags_remove(ticket=ticket, names=["battery", "absent"], actor=Actor.of_agent(agent))
    assert _changes(ticket, "tags") == [([], ["battery"]), (["battery"], [])]


def test_a_correction_is_an_event_with_the_codes():
    agent = AgentFactory()
    ticket = make_ticket()
    leaf = Category.objects.filter(is_active=True, children__isnull=True).order_by("code").first()
    triage_correct(ticket=ticket, category=leaf, agent=agent)
    assert _changes(ticket, "category") == [(None, leaf.code)]
    event = ticket.events.get(type=EventType.FIELD_CHANGED)
    assert event.actor_agent_id == agent.pk
