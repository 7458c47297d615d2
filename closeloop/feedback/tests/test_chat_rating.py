"""A chat customer rates the conversation inside the widget, in a real Chromium, against the
real ASGI server (uvicorn on loopback): the agent resolves, the survey arrives as rating
buttons, one keypress answers it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from closeloop.channels.tests import test_chat_server as support
from closeloop.feedback.models import Invitation, Response
from closeloop.portal.tests.test_browser import _organization, browser  # noqa: F401 (fixtures)

live_db = support.live_db
server = support.server

pytestmark = [pytest.mark.slow, support.LIVE_DB]


@pytest.fixture
def visitor_page(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def _wait_for(predicate: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_the_chat_customer_rates_in_the_widget_after_the_agent_resolves(
    server: str, visitor_page: Any, settings: Any
) -> None:
    from closeloop.channels.models import ChatWidget
    from closeloop.feedback.invitations import invitation_send
    from closeloop.feedback.tests.factories import only_survey
    from closeloop.people.tests.factories import AgentFactory
    from closeloop.tickets.models import Ticket
    from closeloop.tickets.services import Actor, message_add, ticket_assign, ticket_resolve

    settings.CLOSELOOP = {**settings.CLOSELOOP, "PUBLIC_URL": f"http://{server}"}
    only_survey(delay_minutes=0)
    agent = AgentFactory()
    widget = ChatWidget.objects.create(name="Shop", allowed_origins=f"http://{server}")
    page = visitor_page

    page.goto(f"http://{server}/chat/demo/?widget={widget.key}")
    shadow = page.locator("[data-closeloop-chat]")
    shadow.locator(".cl-launch").click()
    shadow.get_by_placeholder("Type your message…").fill("Where is my parcel?")
    shadow.get_by_placeholder("Type your message…").press("Enter")
    ticket = _wait_for(lambda: Ticket.objects.filter(channel="chat").first())

    ticket = ticket_assign(ticket=ticket, assignee=agent, actor=Actor.system())
    message_add(ticket=ticket, body="It arrives tomorrow.", actor=Actor.of_agent(agent))
    ticket_resolve(ticket=Ticket.objects.get(pk=ticket.pk), actor=Actor.of_agent(agent))
    invitation = Invitation.objects.get(ticket=ticket)
    sent = invitation_send(invitation_id=invitation.pk)
    assert sent is not None
    assert sent.channel == "chat"

    # The survey is in the visitor's history (pushed live too when the socket is up).
    page.reload()
    shadow = page.locator("[data-closeloop-chat]")
    shadow.locator(".cl-launch").click()
    group = shadow.get_by_role(
        "group", name="How satisfied are you with how we handled your request?"
    )
    group.wait_for()
    assert group.get_by_role("button").count() == 5
    group.get_by_role("button", name="4", exact=True).focus()
    page.keyboard.press("Enter")
    shadow.get_by_text("Thank you for your rating!").wait_for()

    response = Response.objects.get(invitation=invitation)
    assert response.score == 4
    assert response.channel == "chat"
