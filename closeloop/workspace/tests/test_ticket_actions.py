"""Every form of the ticket page, through the page: replies, notes, files, lifecycle actions,
merge. Refusals show next to the field (4xx) and write nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from closeloop.core import clock
from closeloop.customers.models import Identity
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.models import Agent
from closeloop.people.tests.factories import AgentFactory, UserFactory
from closeloop.tickets.models import Attachment, EventType, Message, Status, Ticket, TicketEvent
from closeloop.tickets.services import Actor, ticket_assign, ticket_start
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def _writes(ticket: Ticket) -> tuple[int, int, str]:
    ticket.refresh_from_db()
    return (
        Message.objects.filter(ticket=ticket).count(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        ticket.status,
    )


def test_a_public_reply_goes_out_through_the_customers_latest_channel(agent: Agent) -> None:
    ticket = make_ticket(channel="email")
    response = _client(agent).post(
        f"/agent/tickets/{ticket.number}/reply/", {"body": "We are on it", "via": "email"}, **HTMX
    )

    assert response.status_code == 200
    reply = Message.objects.get(ticket=ticket, author_kind="agent")
    assert (reply.body, reply.is_public, reply.channel) == ("We are on it", True, "email")
    assert reply.author_agent_id == agent.pk
    page = response.content.decode()
    assert 'id="ticket-thread" class="thread" hx-swap-oob="true"' in page
    assert "We are on it" in page  # the thread is redrawn out of band
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.first_responded_at is not None


def test_the_reply_form_offers_the_customers_channels_latest_first(agent: Agent) -> None:
    customer = CustomerFactory()
    Identity.objects.create(
        customer=customer, kind="wechat", value="openid-1", created_at=clock.now()
    )
    ticket = make_ticket(customer=customer, channel="email")
    page = _client(agent).get(f"/agent/tickets/{ticket.number}/").content.decode()
    via = page.split('name="via"', 1)[1].split("</select>", 1)[0]
    assert via.index('value="email"') < via.index('value="wechat"')
    assert 'value="email" selected' in via


def test_a_reply_can_go_through_another_of_the_customers_channels(agent: Agent) -> None:
    customer = CustomerFactory()
    Identity.objects.create(
        customer=customer, kind="wechat", value="openid-2", created_at=clock.now()
    )
    ticket = make_ticket(customer=customer, channel="email")
    _client(agent).post(f"/agent/tickets/{ticket.number}/reply/", {"body": "Hi", "via": "wechat"})
    assert Message.objects.get(ticket=ticket, author_kind="agent").channel == "wechat"


def test_a_note_stays_internal_and_files_are_stored(agent: Agent) -> None:
    ticket = make_ticket()
    upload = SimpleUploadedFile("log.txt", b"trace", content_type="text/plain")
    response = _client(agent).post(
        f"/agent/tickets/{ticket.number}/reply/",
        {"body": "Customer called", "is_note": "on", "attachments": [upload]},
    )

    assert response.status_code == 302
    note = Message.objects.get(ticket=ticket, author_kind="agent")
    assert note.is_public is False
    attachment = Attachment.objects.get(message=note)
    assert attachment.filename == "log.txt"
    assert attachment.file.read() == b"trace"
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW  # a note does not take the ticket into work
    assert ticket.first_responded_at is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"body": "   "}, "body", "Write a message first."),
        ({"body": "Hi", "via": "fax"}, "via", "Select a valid choice."),
    ],
)
def test_bad_replies_are_refused_beside_the_field(
    agent: Agent, data: dict[str, str], field: str, message: str
) -> None:
    ticket = make_ticket()
    before = _writes(ticket)
    response = _client(agent).post(f"/agent/tickets/{ticket.number}/reply/", data, **HTMX)

    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}-error"' in page
    assert message in page
    assert _writes(ticket) == before


def test_a_file_over_the_limit_is_refused_beside_the_field(agent: Agent) -> None:
    ticket = make_ticket()
    before = _writes(ticket)
    limits = {**settings.CLOSELOOP, "MAX_ATTACHMENT_BYTES": 4}
    with override_settings(CLOSELOOP=limits):
        response = _client(agent).post(
            f"/agent/tickets/{ticket.number}/reply/",
            {"body": "See file", "attachments": [SimpleUploadedFile("big.bin", b"12345")]},
        )
    assert response.status_code == 400
    assert 'id="id_attachments-error"' in response.content.decode()
    assert "big.bin is larger than" in response.content.decode()
    assert _writes(ticket) == before
    assert not Attachment.objects.exists()


def test_a_reply_to_a_closed_ticket_is_refused_on_the_page(agent: Agent) -> None:
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    before = _writes(ticket)
    response = _client(agent).post(
        f"/agent/tickets/{ticket.number}/reply/", {"body": "Hello"}, **HTMX
    )
    assert response.status_code == 409
    assert "is closed" in response.content.decode()
    assert _writes(ticket) == before


def test_the_lifecycle_through_the_page(agent: Agent) -> None:
    other = AgentFactory()
    ticket = make_ticket()
    client = _client(agent)
    url = f"/agent/tickets/{ticket.number}/action/"

    assert client.post(url, {"action": "assign", "assignee": other.pk}, **HTMX).status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (Status.ASSIGNED, other.pk)
    for action, status in [
        ("start", Status.IN_PROGRESS),
        ("pend", Status.PENDING_CUSTOMER),
        ("start", Status.IN_PROGRESS),
        ("resolve", Status.RESOLVED),
        ("reopen", Status.IN_PROGRESS),
        ("resolve", Status.RESOLVED),
        ("close", Status.CLOSED),
    ]:
        response = client.post(url, {"action": action}, **HTMX)
        assert response.status_code == 200, (action, response.content)
        ticket.refresh_from_db()
        assert ticket.status == status, action
    actors = set(
        TicketEvent.objects.filter(ticket=ticket, type=EventType.STATUS_CHANGED).values_list(
            "actor_agent_id", flat=True
        )
    )
    assert actors == {agent.pk}


def test_escalation_needs_a_reason_and_records_it(agent: Agent) -> None:
    lead = AgentFactory()
    ticket = make_ticket()
    client = _client(agent)
    url = f"/agent/tickets/{ticket.number}/action/"
    before = _writes(ticket)

    refused = client.post(url, {"action": "escalate", "reason": " "}, **HTMX)
    assert refused.status_code == 400
    assert 'id="id_reason-error"' in refused.content.decode()
    assert "Say why the ticket is escalated." in refused.content.decode()
    assert _writes(ticket) == before

    done = client.post(
        url, {"action": "escalate", "reason": "VIP waiting", "assignee": lead.pk}, **HTMX
    )
    assert done.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.escalated_to_id) == (1, lead.pk)
    event = TicketEvent.objects.get(ticket=ticket, type=EventType.ESCALATED)
    assert event.reason == "VIP waiting"
    page = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert f"Escalated to level 1: {lead.display_name}" in page
    assert "— VIP waiting" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"action": "assign"}, "assignee", "Choose who takes the ticket."),
        ({"action": "assign", "assignee": "999999"}, "assignee", "Select a valid choice."),
        ({"action": "explode"}, "action", "Select a valid choice."),
    ],
)
def test_bad_actions_are_refused_beside_the_field(
    agent: Agent, data: dict[str, str], field: str, message: str
) -> None:
    ticket = make_ticket()
    before = _writes(ticket)
    response = _client(agent).post(f"/agent/tickets/{ticket.number}/action/", data, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _writes(ticket) == before


def test_a_transition_the_lifecycle_forbids_is_a_message_not_a_500(agent: Agent) -> None:
    ticket = make_ticket()  # new: cannot be resolved by a person
    before = _writes(ticket)
    response = _client(agent).post(
        f"/agent/tickets/{ticket.number}/action/", {"action": "resolve"}, **HTMX
    )
    assert response.status_code == 409
    assert "A ticket cannot go from New to Resolved." in response.content.decode()
    assert _writes(ticket) == before
    whole_page = _client(agent).post(
        f"/agent/tickets/{ticket.number}/action/", {"action": "resolve"}
    )
    assert whole_page.status_code == 409
    assert 'id="ticket-thread"' in whole_page.content.decode()


def test_an_admin_without_an_agent_profile_is_told_so(agent: Agent) -> None:
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    ticket = make_ticket()
    assert client.get(f"/agent/tickets/{ticket.number}/").status_code == 200
    response = client.post(f"/agent/tickets/{ticket.number}/reply/", {"body": "Hi"}, **HTMX)
    assert response.status_code == 400
    assert "no agent profile" in response.content.decode()
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_merge_through_the_page(agent: Agent) -> None:
    customer = CustomerFactory()
    target = make_ticket(customer=customer)
    source = make_ticket(customer=customer, body="Duplicate words")
    response = _client(agent).post(
        f"/agent/tickets/{source.number}/merge/",
        {"target": f"CL-{target.number}", "reason": "same order"},
        **HTMX,
    )
    assert response.status_code == 200
    source.refresh_from_db()
    assert (source.status, source.related_to_id) == (Status.CLOSED, target.pk)
    assert Message.objects.filter(ticket=target, body="Duplicate words", is_public=False).exists()
    target_page = _client(agent).get(f"/agent/tickets/{target.number}/").content.decode()
    assert f"Ticket #{source.number} was merged into this one" in target_page
    source_page = _client(agent).get(f"/agent/tickets/{source.number}/").content.decode()
    assert f"Merged into ticket #{target.number}." in source_page
    assert f"(merged into #{target.number})" in source_page


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "Enter the number of the ticket to keep."),
        ("abc", "Enter a ticket number such as 10023."),
        ("99999999", "There is no ticket with that number."),
        ("self", "A ticket cannot be merged into itself."),
    ],
)
def test_bad_merges_are_refused_beside_the_field(agent: Agent, target: str, message: str) -> None:
    ticket = make_ticket()
    before = _writes(ticket)
    value = str(ticket.number) if target == "self" else target
    response = _client(agent).post(
        f"/agent/tickets/{ticket.number}/merge/", {"target": value}, **HTMX
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_target-error"' in page
    assert message in page
    assert _writes(ticket) == before


def test_merging_a_resolved_ticket_is_refused_on_the_page(agent: Agent) -> None:
    target = make_ticket()
    source = make_ticket()
    actor = Actor.of_agent(agent)
    ticket_assign(ticket=source, assignee=agent, actor=actor)
    ticket_start(ticket=source, actor=actor)
    Ticket.objects.filter(pk=source.pk).update(status=Status.RESOLVED)
    before = _writes(source)
    response = _client(agent).post(
        f"/agent/tickets/{source.number}/merge/", {"target": target.number}, **HTMX
    )
    assert response.status_code == 409
    assert "only an open ticket can be merged" in response.content.decode()
    assert _writes(source) == before


def test_a_replys_line_breaks_are_stored_as_the_browser_typed_them_without_cr(
    agent: Agent,
) -> None:
    ticket = make_ticket()
    _client(agent).post(
        f"/agent/tickets/{ticket.number}/reply/", {"body": "Hello,\r\nline two\r\n"}, **HTMX
    )
    assert Message.objects.get(ticket=ticket, author_kind="agent").body == "Hello,\nline two"
