"""The bot in the chat widget, in a real Chromium against a real uvicorn server: the answer
arrives with "did this help?" buttons, a keyboard press on "yes" sends the reply, and the
conversation ends resolved with the ticket closed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from closeloop.channels.tests import test_chat_server as chat_server
from closeloop.core.models import Organization
from closeloop.portal.tests import test_browser as portal_browser

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

server = chat_server.server
live_db = chat_server.live_db
browser = portal_browser.browser


@pytest.fixture(autouse=True)
def _organization() -> None:
    Organization.current()  # a transactional test starts from empty tables


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 500, "height": 800}, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def test_the_visitor_answers_the_bot_by_keyboard_and_the_ticket_closes(server, page):
    from closeloop.channels.models import ChatWidget
    from closeloop.knowledge.bot.store import clear_matcher_cache, matcher_train
    from closeloop.knowledge.models import BotConversation
    from closeloop.knowledge.tests.bot_articles import make_articles
    from closeloop.tickets.models import Status, Ticket

    make_articles()
    assert matcher_train().status == "trained"
    clear_matcher_cache()
    widget = ChatWidget.objects.create(name="Shop", greeting="Hello!")
    page.goto(f"http://{server}/chat/demo/?widget={widget.key}&lang=en")
    page.get_by_role("button", name="Chat").click()
    page.get_by_placeholder("Type your message…").fill("how do I reset my password")
    page.keyboard.press("Enter")
    page.locator(".cl-bot", has_text="Reset your password").wait_for()
    yes = page.get_by_role("group", name="Choose an answer").get_by_role(
        "button", name="Yes, it helped"
    )
    yes.focus()
    page.keyboard.press("Enter")
    page.locator(".cl-bot", has_text="Glad I could help").wait_for()
    assert page.get_by_role("group", name="Choose an answer").count() == 0
    conversation = BotConversation.objects.get()
    assert (conversation.outcome, conversation.is_confirmed) == ("resolved", True)
    ticket = Ticket.objects.get()
    assert ticket.status == Status.CLOSED
    assert [m.body for m in ticket.messages.filter(author_kind="customer")] == [
        "how do I reset my password",
        "yes",
    ]
