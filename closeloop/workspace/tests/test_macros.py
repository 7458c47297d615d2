"""Macros: variables filled in the customer's language; unknown ones left visible and named."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.core import clock
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.models import Agent
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
from closeloop.tickets.services import Actor, MessageContent, message_add
from closeloop.tickets.tests.factories import make_ticket
from closeloop.workspace.admin import MacroForm
from closeloop.workspace.models import Macro
from closeloop.workspace.services import (
    order_number_in,
    reply_language,
    unknown_variables,
    variables_fill,
)

# Pure functions ----------------------------------------------------------------------------


def test_variables_are_filled_and_the_unfillable_are_left_visible() -> None:
    filled = variables_fill(
        "Hi {customer_name}, order {order_number}: {typo} ({agent_name})",
        {"customer_name": "Li Na", "order_number": "", "agent_name": "Ada"},
    )
    assert filled.text == "Hi Li Na, order {order_number}: {typo} (Ada)"
    assert filled.unknown == ("typo",)
    assert filled.missing == ("order_number",)
    assert filled.is_complete is False


def test_text_without_variables_and_json_like_braces_are_kept() -> None:
    filled = variables_fill('Plain {"a": 1} text', {})
    assert filled.text == 'Plain {"a": 1} text'
    assert filled.is_complete


@pytest.mark.parametrize(
    ("language", "sample", "expected"),
    [
        ("zh-hans", "Refund", "zh"),
        ("en", "退款", "en"),
        ("", "我的订单没到", "zh"),
        ("", "My order is late", "en"),
    ],
)
def test_reply_language(language: str, sample: str, expected: str) -> None:
    assert reply_language(language, sample) == expected


def test_order_number_from_the_portal_or_a_channel() -> None:
    portal = {"portal": {"type": "request", "after_sales": {"order_number": "DEMO-000123"}}}
    assert order_number_in([{}, portal]) == "DEMO-000123"
    assert order_number_in([{"order_number": " A-1 "}, portal]) == "A-1"
    assert order_number_in([{"wechat": {"msg": "x"}}]) == ""


def test_unknown_variables_lists_each_once() -> None:
    assert unknown_variables("{a} {customer_name} {a} {b}") == ["a", "b"]


# Through the page --------------------------------------------------------------------------


def _macro(**fields: object) -> Macro:
    now = clock.now()
    values: dict[str, object] = {
        "name": "Shipping delay",
        "body_en": (
            "Dear {customer_name}, ticket {ticket_number}, order {order_number}. {agent_name}"
        ),
        "body_zh": "{customer_name}您好，工单 {ticket_number}，订单 {order_number}。{agent_name}",
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    return Macro.objects.create(**values)


def _client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


@pytest.mark.django_db
def test_a_macro_renders_in_english_with_the_portals_order_number(agent: Agent) -> None:
    customer = CustomerFactory(name="Sam", language="en")
    ticket = make_ticket(customer=customer)
    message_add(
        ticket=ticket,
        body="Return please",
        actor=Actor.customer(),
        channel="portal",
        content=MessageContent(meta={"portal": {"after_sales": {"order_number": "DEMO-000042"}}}),
    )
    macro = _macro()
    response = _client(agent).get(f"/agent/tickets/{ticket.number}/macros/{macro.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "text": f"Dear Sam, ticket CL-{ticket.number}, order DEMO-000042. {agent.display_name}",
        "language": "en",
        "unknown": [],
        "missing": [],
    }


@pytest.mark.django_db
def test_a_macro_renders_in_chinese_for_a_chinese_customer(agent: Agent) -> None:
    customer = CustomerFactory(name="李娜", language="zh-hans")
    ticket = make_ticket(customer=customer)
    macro = _macro()
    data = _client(agent).get(f"/agent/tickets/{ticket.number}/macros/{macro.pk}/").json()
    assert data["language"] == "zh"
    assert data["text"] == (
        f"李娜您好，工单 CL-{ticket.number}，订单 {{order_number}}。{agent.display_name}"
    )
    assert data["missing"] == ["order_number"]


@pytest.mark.django_db
def test_a_macro_without_the_customers_language_falls_back_to_the_other(agent: Agent) -> None:
    ticket = make_ticket(customer=CustomerFactory(language="zh-hans"))
    macro = _macro(body_zh="", body_en="Hello {nickname}")
    data = _client(agent).get(f"/agent/tickets/{ticket.number}/macros/{macro.pk}/").json()
    assert data == {
        "text": "Hello {nickname}",
        "language": "en",
        "unknown": ["nickname"],
        "missing": [],
    }


@pytest.mark.django_db
def test_the_picker_lists_active_macros_of_the_agents_teams_only(agent: Agent) -> None:
    mine, theirs = TeamFactory(), TeamFactory()
    member(agent, mine)
    _macro(name="Everyone's")
    _macro(name="Team macro", team=mine)
    hidden = _macro(name="Other team macro", team=theirs)
    _macro(name="Retired", is_active=False)
    ticket = make_ticket()
    page = _client(agent).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "Everyone&#x27;s" in page
    assert "Team macro" in page
    assert "Other team macro" not in page
    assert "Retired" not in page
    response = _client(agent).get(f"/agent/tickets/{ticket.number}/macros/{hidden.pk}/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_macro_rendering_follows_the_tickets_visibility() -> None:
    restricted = TeamFactory(is_restricted=True)
    ticket = make_ticket(team=restricted)
    macro = _macro()
    outsider = AgentFactory()
    assert (
        _client(outsider).get(f"/agent/tickets/{ticket.number}/macros/{macro.pk}/").status_code
        == 404
    )
    shopper = Client()
    shopper.force_login(UserFactory(username="shopper"))
    assert shopper.get(f"/agent/tickets/{ticket.number}/macros/{macro.pk}/").status_code == 403


@pytest.mark.django_db
def test_the_admin_form_refuses_unknown_variables_and_an_empty_macro() -> None:
    typo = MacroForm(data={"name": "x", "body_en": "Hi {custmer_name}", "is_active": "on"})
    assert not typo.is_valid()
    assert "Unknown variables: {custmer_name}" in typo.errors["body_en"][0]
    empty = MacroForm(data={"name": "x", "body_en": " ", "body_zh": ""})
    assert not empty.is_valid()
    assert empty.errors["__all__"] == ["Write the text in English, Chinese or both."]
    good = MacroForm(data={"name": "x", "body_zh": "{customer_name}您好"})
    assert good.is_valid(), good.errors


@pytest.mark.django_db
def test_the_admin_saves_a_macro_with_its_author(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/workspace/macro/add/",
        {"name": "Thanks", "body_en": "Thanks {customer_name}", "body_zh": "", "is_active": "on"},
    )
    assert response.status_code == 302, response.content
    macro = Macro.objects.get(name="Thanks")
    assert macro.created_at is not None
    assert macro.updated_at == macro.created_at
