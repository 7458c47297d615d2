"""The ticket page: who may open it, what it shows, and its query count."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from closeloop.core import clock
from closeloop.customers.models import Identity
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.models import Agent
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
from closeloop.tickets.models import Attachment, Message
from closeloop.tickets.services import Actor, message_add, ticket_assign, ticket_update
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def test_the_page_shows_the_whole_conversation_across_channels(agent: Agent) -> None:
    ticket = make_ticket(subject="Broken kettle", body="It leaks", channel="email")
    message_add(ticket=ticket, body="Any news?", actor=Actor.customer(), channel="wechat")
    message_add(ticket=ticket, body="Checking stock", actor=Actor.of_agent(agent), is_public=False)
    message_add(ticket=ticket, body="We ship a new one", actor=Actor.of_agent(agent))

    response = _client(agent).get(f"/agent/tickets/{ticket.number}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Broken kettle" in page
    for body in ("It leaks", "Any news?", "Checking stock", "We ship a new one"):
        assert body in page
    assert 'class="channel channel-wechat"' in page
    assert 'class="channel channel-email"' in page
    assert page.count("is-note") == 1  # the internal note looks different
    assert 'class="message author-customer' in page
    assert 'class="message author-agent' in page
    assert "Opened through Email" in page  # the history, in words
    assert f"Assigned to {agent.display_name}" in page


def test_the_header_shows_status_priority_team_assignee_and_sla(agent: Agent) -> None:
    team = TeamFactory(name="Returns")
    member(agent, team)
    ticket = make_ticket(team=team, priority="high")
    ticket_assign(ticket=ticket, assignee=agent, actor=Actor.of_agent(agent))
    ticket.refresh_from_db()

    page = _client(agent).get(f"/agent/tickets/{ticket.number}/").content.decode()

    assert 'data-status="assigned"' in page
    assert "High" in page
    assert "Returns" in page
    assert f'<dd id="ticket-assignee">{agent.display_name}</dd>' in page
    assert ticket.sla_due_at is not None
    assert f'data-due="{ticket.sla_due_at.isoformat()}"' in page


def test_a_restricted_teams_ticket_is_not_found_for_outsiders() -> None:
    restricted = TeamFactory(is_restricted=True)
    insider, outsider = AgentFactory(), AgentFactory()
    member(insider, restricted)
    ticket = make_ticket(team=restricted)

    assert _client(outsider).get(f"/agent/tickets/{ticket.number}/").status_code == 404
    assert _client(insider).get(f"/agent/tickets/{ticket.number}/").status_code == 200
    assert _client(outsider).get(f"/agent/tickets/{ticket.number}/customer/").status_code == 404
    response = _client(outsider).post(f"/agent/tickets/{ticket.number}/reply/", {"body": "Peeking"})
    assert response.status_code == 404
    assert not Message.objects.filter(ticket=ticket, body="Peeking").exists()


def test_customers_and_anonymous_visitors_cannot_open_a_ticket() -> None:
    ticket = make_ticket()
    customer_user = UserFactory(username="shopper")
    client = Client()
    client.force_login(customer_user)

    assert client.get(f"/agent/tickets/{ticket.number}/").status_code == 403
    assert client.post(f"/agent/tickets/{ticket.number}/reply/", {"body": "x"}).status_code == 403
    anonymous = Client().get(f"/agent/tickets/{ticket.number}/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/agent/login/")
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_an_unknown_number_is_not_found(agent: Agent) -> None:
    assert _client(agent).get("/agent/tickets/99999999/").status_code == 404


def test_attachments_download_with_the_tickets_permission() -> None:
    restricted = TeamFactory(is_restricted=True)
    insider, outsider = AgentFactory(), AgentFactory()
    member(insider, restricted)
    ticket = make_ticket(team=restricted)
    message = Message.objects.get(ticket=ticket)
    attachment = Attachment(
        message=message, filename="photo.jpg", content_type="image/jpeg", size=4,
        created_at=clock.now(),
    )  # fmt: skip
    attachment.file.save("photo.jpg", ContentFile(b"jpeg"), save=False)
    attachment.save()
    url = f"/agent/tickets/{ticket.number}/files/{attachment.pk}/"

    page = _client(insider).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert f'href="{url}"' in page
    response = _client(insider).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"jpeg"  # type: ignore[attr-defined]
    assert _client(outsider).get(url).status_code == 404


def _page_queries(client: Client, number: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/agent/tickets/{number}/")
    assert response.status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_conversation(agent: Agent) -> None:
    client = _client(agent)
    customer = CustomerFactory()
    Identity.objects.create(customer=customer, kind="email", value="a@example.com",
                            created_at=clock.now())  # fmt: skip
    short, long = make_ticket(customer=customer), make_ticket(customer=customer)
    for ticket, count in ((short, 5), (long, 50)):
        for index in range(count):
            message_add(
                ticket=ticket, body=f"Message {index}", actor=Actor.of_agent(agent),
                is_public=index % 2 == 0,
            )  # fmt: skip
            if index % 10 == 0:
                ticket_update(ticket=ticket, actor=Actor.of_agent(agent),
                              changes={"priority": "high" if index % 20 else "low"})  # fmt: skip
        message = Message.objects.filter(ticket=ticket).last()
        assert message is not None
        Attachment.objects.create(
            message=message, filename="a.txt", content_type="text/plain", size=1,
            created_at=clock.now(),
        )  # fmt: skip
    _page_queries(client, short.number)  # warm the per-process caches
    assert _page_queries(client, short.number) == _page_queries(client, long.number)
