"""The ticket page's script in a real Chromium against uvicorn: a macro inserted with its
unfilled variable flagged, the keyboard shortcuts, and the thread redrawn live when another
agent replies. (The whole flow from suggestion to resolution and the collision warning are in
test_browser.py.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from closeloop.channels.tests import test_chat_server as chat_server
from closeloop.core.models import Organization
from closeloop.portal.tests import test_browser as portal_browser
from closeloop.workspace.tests import test_browser as workspace_browser

pytestmark = [pytest.mark.slow, chat_server.LIVE_DB]

server = chat_server.server
live_db = chat_server.live_db
browser = portal_browser.browser
contexts = workspace_browser.contexts


@pytest.fixture(autouse=True)
def _organization() -> None:
    Organization.current()  # a transactional test starts from empty tables


def _agent(username: str, name: str) -> Any:
    from closeloop.people.tests.factories import AgentFactory, UserFactory

    return AgentFactory(user=UserFactory(username=username), display_name=name)


def test_macro_shortcuts_and_a_live_reply(contexts: Any, server: str) -> None:
    from closeloop.core import clock
    from closeloop.core.tokens import api_token_create
    from closeloop.customers.tests.factories import CustomerFactory
    from closeloop.tickets.tests.factories import make_ticket
    from closeloop.workspace.models import Macro

    ada, bo = _agent("ada", "Ada"), _agent("bo", "Bo")
    now = clock.now()
    Macro.objects.create(
        name="Order check",
        body_en="Dear {customer_name}, we are checking order {order_number}.",
        body_zh="{customer_name}您好",
        created_at=now,
        updated_at=now,
    )
    ticket = make_ticket(customer=CustomerFactory(name="Sam", language="en"))
    page = workspace_browser._signed_in(contexts, server, ada.user).new_page()
    page.goto(f"http://{server}/agent/tickets/{ticket.number}/")
    workspace_browser._live(page)

    # "n" starts an internal note; the macro goes in with its unfilled variable flagged.
    page.keyboard.press("n")
    assert page.locator("#reply-form input[name=is_note]").is_checked()
    assert page.evaluate("document.activeElement.name") == "body"
    page.locator("#macro-picker").select_option(label="Order check")
    page.wait_for_function(
        "document.querySelector('#reply-form textarea').value"
        ".startsWith('Dear Sam, we are checking order {order_number}.')"
    )
    page.locator("#macro-warning", has_text="{order_number}").wait_for()

    # Esc leaves the text box; "?" opens the list of shortcuts and Esc closes it.
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts").is_visible()
    page.keyboard.press("r")
    assert not page.locator("#reply-form input[name=is_note]").is_checked()

    # Another agent replies through the server: the thread redraws live, and the draft in
    # the reply box stays.
    _token, clear = api_token_create(user=bo.user)
    response = httpx.post(
        f"http://{server}/api/v1/tickets/{ticket.pk}/messages",
        json={"body": "Bo answered meanwhile"},
        headers={"Authorization": f"Bearer {clear}"},
        timeout=15,
    )
    assert response.status_code == 201, response.text
    page.locator("#ticket-thread", has_text="Bo answered meanwhile").wait_for()
    page.locator('#ticket-header [data-status="in_progress"]').wait_for()
    assert page.locator("#reply-form textarea").input_value().startswith("Dear Sam")
