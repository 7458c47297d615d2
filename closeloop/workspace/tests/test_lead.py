"""The team lead's pages: queues, reassignment, at-risk list, the wall; 403 for others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from closeloop.core import clock
from closeloop.people.models import Agent, Availability, TeamRole
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
from closeloop.tickets.models import Ticket, TicketEvent
from closeloop.tickets.services import Actor, ticket_assign
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():  # noqa: ANN201
    return TeamFactory(name="After-sales")


@pytest.fixture
def lead(team) -> Agent:  # noqa: ANN001
    agent = AgentFactory()
    member(agent, team, role=TeamRole.LEAD)
    return agent


def _client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


@pytest.mark.parametrize("path", ["/agent/team/", "/agent/wall/"])
def test_non_leads_get_403(path: str, team) -> None:  # noqa: ANN001
    plain = AgentFactory()
    member(plain, team)

    response = _client(plain).get(path)

    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/agent/team/", "/agent/wall/"])
def test_anonymous_is_sent_to_sign_in(path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/agent/login/")


def test_nav_shows_team_links_to_leads_only(lead: Agent, agent: Agent) -> None:
    assert 'href="/agent/team/"' in _client(lead).get("/agent/").content.decode()
    assert 'href="/agent/team/"' not in _client(agent).get("/agent/").content.decode()


def test_team_page_counts_by_status_and_lists_at_risk(lead: Agent, team) -> None:  # noqa: ANN001
    now = clock.now()
    first, second = make_ticket(team=team), make_ticket(team=team)
    ticket_assign(ticket=second, assignee=lead, actor=Actor.system())
    Ticket.objects.filter(pk=first.pk).update(sla_due_at=now - timedelta(minutes=1))
    make_ticket(team=TeamFactory())  # another team's

    response = _client(lead).get("/agent/team/")

    queue = response.context["queues"][0]
    assert response.status_code == 200
    assert queue.by_status == {"new": 1, "assigned": 1}
    assert queue.open_total == 2
    assert queue.breached == 1
    assert [row.ticket.number for row in response.context["at_risk"]] == [first.number]
    assert sorted(row.ticket.number for row in response.context["rows"]) == [
        first.number,
        second.number,
    ]


def test_lead_reassigns_a_ticket(lead: Agent, team) -> None:  # noqa: ANN001
    ticket = make_ticket(team=team)
    colleague = AgentFactory(display_name="Li Lei")
    member(colleague, team)

    response = _client(lead).post(
        "/agent/team/", {"ticket": ticket.number, "assignee": colleague.pk}
    )

    ticket.refresh_from_db()
    assert response.status_code == 200
    assert ticket.assignee_id == colleague.pk
    assert f"CL-{ticket.number} is now with Li Lei." in response.content.decode()


def test_lead_cannot_reassign_another_teams_ticket(lead: Agent) -> None:
    other = make_ticket(team=TeamFactory())
    events = TicketEvent.objects.count()

    response = _client(lead).post("/agent/team/", {"ticket": other.number, "assignee": lead.pk})

    other.refresh_from_db()
    assert response.status_code == 400
    assert 'id="id_ticket-error"' in response.content.decode()
    assert other.assignee_id is None
    assert TicketEvent.objects.count() == events


def test_reassign_with_missing_agent_is_refused_next_to_the_field(
    lead: Agent,
    team,  # noqa: ANN001
) -> None:
    ticket = make_ticket(team=team)

    response = _client(lead).post("/agent/team/", {"ticket": ticket.number, "assignee": ""})

    ticket.refresh_from_db()
    assert response.status_code == 400
    assert 'id="id_assignee-error"' in response.content.decode()
    assert ticket.assignee_id is None


def test_wall_shows_status_counts_waiting_longest_and_agents(
    lead: Agent,
    team,  # noqa: ANN001
) -> None:
    now = clock.now()
    oldest, newer = make_ticket(team=team), make_ticket(team=team)
    Ticket.objects.filter(pk=oldest.pk).update(created_at=now - timedelta(hours=5))
    away = AgentFactory(availability=Availability.AWAY)
    member(away, team)
    ticket_assign(ticket=newer, assignee=away, actor=Actor.system())

    response = _client(lead).get("/agent/wall/")

    wall = response.context["wall"]
    assert response.status_code == 200
    assert wall.by_status == {"new": 1, "assigned": 1, "in_progress": 0, "pending_customer": 0}
    assert [ticket.number for ticket in wall.waiting_longest] == [oldest.number, newer.number]
    assert wall.by_availability == {"online": 1, "away": 1, "offline": 0}
    loads = {agent.pk: agent.open_load for agent in wall.agents}
    assert loads == {lead.pk: 0, away.pk: 1}
    assert 'hx-trigger="every 15s' in response.content.decode()


def test_wall_htmx_refresh_gets_the_body_only(lead: Agent) -> None:
    response = _client(lead).get("/agent/wall/", headers={"HX-Request": "true"})

    assert "<html" not in response.content.decode()
    assert "wall-status" in response.content.decode()


def test_admin_sees_every_team(team) -> None:  # noqa: ANN001
    admin = UserFactory(is_superuser=True, is_staff=True)
    other = TeamFactory(name="Billing")
    client = Client()
    client.force_login(admin)

    response = client.get("/agent/team/")

    assert response.status_code == 200
    assert {queue.team.pk for queue in response.context["queues"]} == {team.pk, other.pk}


def test_each_open_ticket_has_its_own_reassign_form(lead: Agent, team) -> None:  # noqa: ANN001
    ticket = make_ticket(team=team)

    body = _client(lead).get("/agent/team/").content.decode()

    assert f'<input type="hidden" name="ticket" value="{ticket.number}">' in body
    assert f'id="reassign-{ticket.number}"' in body
