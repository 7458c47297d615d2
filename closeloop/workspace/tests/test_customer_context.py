"""The customer beside the ticket: profile, identities, tickets on every channel, orders
through the shop's order system (a real HTTP server on loopback when it is down)."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.core import clock
from closeloop.customers.models import Identity
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.models import Agent
from closeloop.people.tests.factories import AgentFactory, TeamFactory
from closeloop.portal.models import OrderSource, OrderSourceKind
from closeloop.portal.orders import DEMO_EMAIL
from closeloop.portal.tests.support import fake_order_system
from closeloop.tickets.models import Status, Ticket
from closeloop.tickets.services import Actor, MessageContent, message_add
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def _panel(agent: Agent, ticket: Ticket) -> str:
    response = _client(agent).get(f"/agent/tickets/{ticket.number}/customer/")
    assert response.status_code == 200
    return response.content.decode()


def _mention_order(ticket: Ticket, number: str) -> None:
    message_add(
        ticket=ticket,
        body="About my order",
        actor=Actor.customer(),
        channel="portal",
        content=MessageContent(meta={"portal": {"after_sales": {"order_number": number}}}),
    )


def test_profile_identities_and_tickets_on_every_channel(agent: Agent) -> None:
    dedicated = AgentFactory(display_name="Wang Fang")
    customer = CustomerFactory(name="Li Lei", segment="vip", language="zh-hans",
                               dedicated_agent=dedicated)  # fmt: skip
    for kind, value in (("email", "lilei@example.com"), ("wechat", "o-lilei")):
        Identity.objects.create(customer=customer, kind=kind, value=value, created_at=clock.now())
    current = make_ticket(customer=customer, subject="Kettle leaks", channel="email")
    other_open = make_ticket(customer=customer, subject="Invoice wanted", channel="wechat")
    past = make_ticket(customer=customer, subject="Old question", channel="app")
    Ticket.objects.filter(pk=past.pk).update(status=Status.CLOSED)
    hidden = make_ticket(customer=customer, subject="Secret matter",
                         team=TeamFactory(is_restricted=True))  # fmt: skip
    make_ticket(subject="Someone else's")

    panel = _panel(agent, current)

    assert "Li Lei" in panel
    assert "Wang Fang" in panel
    assert "zh-hans" in panel
    assert "lilei@example.com" in panel
    assert "o-lilei" in panel
    assert f'href="/agent/tickets/{other_open.number}/"' in panel
    assert f'href="/agent/tickets/{past.number}/"' in panel
    assert "Invoice wanted" in panel
    assert "Old question" in panel
    assert "Secret matter" not in panel  # a restricted team's ticket stays hidden
    assert f"/agent/tickets/{hidden.number}/" not in panel
    assert "Someone else" not in panel
    assert "Kettle leaks" not in panel  # the ticket itself is not listed again
    assert "No surveys yet." in panel


def test_an_order_the_customer_named_is_looked_up(agent: Agent) -> None:
    customer = CustomerFactory()
    Identity.objects.create(customer=customer, kind="email", value=DEMO_EMAIL,
                            created_at=clock.now())  # fmt: skip
    ticket = make_ticket(customer=customer)
    _mention_order(ticket, "DEMO-100003")

    panel = _panel(agent, ticket)

    assert "DEMO-100003" in panel
    assert '<span class="order-status">delivered</span>' in panel


def test_an_order_of_someone_else_reads_not_found(agent: Agent) -> None:
    customer = CustomerFactory()
    Identity.objects.create(customer=customer, kind="email", value="eve@example.com",
                            created_at=clock.now())  # fmt: skip
    ticket = make_ticket(customer=customer)
    _mention_order(ticket, "DEMO-100003")

    panel = _panel(agent, ticket)

    assert "Not found in the order system." in panel
    assert "order-status" not in panel


def test_an_order_system_that_is_down_is_a_note_not_a_500(agent: Agent) -> None:
    OrderSource.objects.filter(kind=OrderSourceKind.DEMO).update(is_active=False)
    customer = CustomerFactory()
    Identity.objects.create(customer=customer, kind="email", value="bob@example.com",
                            created_at=clock.now())  # fmt: skip
    ticket = make_ticket(customer=customer)
    _mention_order(ticket, "SO-7781")
    with fake_order_system(status_override=500) as shop:
        OrderSource.objects.create(name="Shop", url_template=shop.url())
        panel = _panel(agent, ticket)
        assert shop.requests  # it was really asked

    assert "SO-7781" in panel
    assert "The order system is not answering." in panel


def test_without_an_order_number_the_panel_says_so(agent: Agent) -> None:
    ticket = make_ticket()
    assert "No order mentioned in the customer's messages." in _panel(agent, ticket)
