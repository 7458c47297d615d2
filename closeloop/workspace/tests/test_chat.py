"""The chat console's pages on a real database: which chats an agent sees, taking a chat,
answering from the pane, bad input refused next to the field, and a fixed number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from closeloop.core import clock
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.knowledge.models import BotConversation, BotOutcome
from closeloop.people.models import Agent, Team
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
from closeloop.tickets.models import AuthorKind, Message, Ticket
from closeloop.tickets.services import (
    Actor,
    message_add,
    ticket_assign,
    ticket_bot_hold,
    ticket_resolve,
    ticket_start,
)
from closeloop.tickets.tests.factories import make_ticket
from closeloop.workspace.views.chat import chat_tickets_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _chat(*, team: Team | None = None, assignee: Agent | None = None, **fields: Any) -> Ticket:
    customer = CustomerFactory(name=fields.pop("name", "Mei Chen"))
    ticket = make_ticket(
        customer=customer,
        channel="chat",
        team=team,
        subject=fields.pop("subject", "Where is my parcel?"),
        body=fields.pop("body", "Where is my parcel?"),
        **fields,
    )
    if assignee is not None:
        ticket = ticket_assign(ticket=ticket, assignee=assignee, actor=Actor.system())
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def desk() -> dict[str, Any]:
    """Ada in the support team; Bo in another team; a restricted VIP team Ada is not in."""
    support = TeamFactory(code="support")
    other = TeamFactory(code="other")
    vip = TeamFactory(code="vip", is_restricted=True)
    ada = AgentFactory(user=UserFactory(username="ada"), display_name="Ada")
    bo = AgentFactory(user=UserFactory(username="bo"), display_name="Bo")
    member(ada, support)
    member(bo, other)
    browser = Client()
    browser.force_login(ada.user)
    return {"support": support, "other": other, "vip": vip, "ada": ada, "bo": bo, "web": browser}


def _requester(agent: Agent) -> Any:
    from closeloop.people.access import requester_for

    return requester_for(agent.user)


def _handed_off(ticket: Ticket) -> None:
    now = clock.now()
    BotConversation.objects.create(
        ticket=ticket,
        channel="chat",
        outcome=BotOutcome.HANDED_OFF,
        started_at=now,
        last_activity_at=now,
    )


def test_the_console_lists_the_agents_chats_then_the_waiting_ones(desk):
    ada, bo = desk["ada"], desk["bo"]
    mine = _chat(assignee=ada, name="Mine")
    in_my_team = _chat(team=desk["support"], name="Team")
    no_team = _chat(name="Nobody")
    from_the_bot = _chat(team=desk["other"], name="Bot")
    _handed_off(from_the_bot)
    # Not shown: another team's chat, someone else's, a restricted team's (even from the bot),
    # an email ticket, a resolved chat, a chat the bot still holds.
    _chat(team=desk["other"], name="Other team")
    _chat(assignee=bo, name="Bo's")
    restricted = _chat(team=desk["vip"], name="VIP")
    _handed_off(restricted)
    make_ticket(channel="email", team=desk["support"])
    resolved = _chat(assignee=ada, name="Resolved")
    ticket_start(ticket=resolved, actor=Actor.of_agent(ada))
    ticket_resolve(ticket=resolved, actor=Actor.of_agent(ada))
    held = _chat(team=desk["support"], name="Held")
    ticket_bot_hold(ticket=held, holds=True)

    listed = list(chat_tickets_for(_requester(ada)))

    assert [t.pk for t in listed[:1]] == [mine.pk]
    assert {t.pk for t in listed[1:]} == {in_my_team.pk, no_team.pk, from_the_bot.pk}
    assert [t.is_handed_off for t in listed if t.pk == from_the_bot.pk] == [True]
    page = desk["web"].get("/agent/chats/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("Mine", "Team", "Nobody", "Bot"):
        assert f'<span class="chat-who">{name}</span>' in html
    for name in ("Other team", "Bo&#x27;s", "VIP", "Resolved", "Held"):
        assert f'<span class="chat-who">{name}</span>' not in html
    assert f'id="chat-pane-{mine.number}"' in html  # the agent's own chat is open


def test_unread_counts_the_visitors_messages_since_the_last_reply(desk):
    ada = desk["ada"]
    ticket = _chat(assignee=ada)
    message_add(ticket=ticket, body="Hello?", actor=Actor.customer())
    assert [t.unread for t in chat_tickets_for(_requester(ada))] == [2]
    message_add(ticket=ticket, body="Looking now.", actor=Actor.of_agent(ada))
    message_add(ticket=ticket, body="Thanks", actor=Actor.customer())
    assert [t.unread for t in chat_tickets_for(_requester(ada))] == [1]


def test_the_console_reads_a_fixed_number_of_queries_however_many_chats(desk):
    ada = desk["ada"]
    web = desk["web"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert web.get("/agent/chats/").status_code == 200
        return len(captured)

    _chat(assignee=ada)
    _chat(team=desk["support"])
    few = queries()
    for _index in range(6):
        ticket = _chat(assignee=ada)
        message_add(ticket=ticket, body="More", actor=Actor.customer())
        _chat(team=desk["support"])
    assert queries() == few


def test_a_reply_from_the_pane_is_a_public_chat_reply_and_takes_a_waiting_chat(desk):
    ada = desk["ada"]
    ticket = _chat(team=desk["support"])
    assert ticket.assignee_id is None

    response = desk["web"].post(
        f"/agent/chats/{ticket.number}/reply/", {"body": "  On its way!  "}, headers=HTMX
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "cl-chat-sent"
    reply = Message.objects.get(ticket=ticket, author_kind=AuthorKind.AGENT)
    assert (reply.body, reply.is_public, reply.channel, reply.author_agent_id) == (
        "On its way!",
        True,
        "chat",
        ada.pk,
    )
    ticket.refresh_from_db()
    assert ticket.assignee_id == ada.pk
    assert 'name="body"' in response.content.decode()  # a fresh form back


def test_a_reply_without_script_redirects_back_to_the_chat(desk):
    ticket = _chat(assignee=desk["ada"])
    response = desk["web"].post(f"/agent/chats/{ticket.number}/reply/", {"body": "Hi"})
    assert response.status_code == 302
    assert response["Location"] == f"/agent/chats/?open={ticket.number}"
    assert ticket.messages.filter(author_kind="agent").count() == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Write a reply first."),
        ("   ", "Write a reply first."),
        ("x" * 5001, "at most 5000 characters"),
        ("bad \x00 byte", "Null characters are not allowed."),
        ("bell \x07 here", "control character"),
    ],
)
def test_a_bad_reply_is_refused_next_to_the_field_and_nothing_is_written(desk, body, error):
    ticket = _chat(assignee=desk["ada"])
    response = desk["web"].post(
        f"/agent/chats/{ticket.number}/reply/", {"body": body}, headers=HTMX
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="chat-reply-{ticket.number}-error"' in html
    assert error in html
    assert 'aria-invalid="true"' in html
    assert ticket.messages.count() == 1


def test_a_bad_reply_without_script_shows_the_console_with_the_error(desk):
    ticket = _chat(assignee=desk["ada"])
    response = desk["web"].post(f"/agent/chats/{ticket.number}/reply/", {"body": "x" * 5001})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<!doctype html>" in html
    assert f'id="chat-reply-{ticket.number}-error"' in html
    assert "x" * 5001 in html  # what was typed is kept
    assert ticket.messages.count() == 1


def test_a_pane_without_script_is_the_console(desk):
    ticket = _chat(assignee=desk["ada"])
    response = desk["web"].get(f"/agent/chats/{ticket.number}/")
    assert response.status_code == 302
    assert response["Location"] == f"/agent/chats/?open={ticket.number}"


def test_replying_to_a_chat_another_agent_took_is_refused(desk):
    ada, bo = desk["ada"], desk["bo"]
    ticket = _chat(team=desk["support"])
    ticket_assign(ticket=ticket, assignee=bo, actor=Actor.of_agent(bo))
    response = desk["web"].post(
        f"/agent/chats/{ticket.number}/reply/", {"body": "Hi"}, headers=HTMX
    )
    assert response.status_code == 400
    assert "Bo is answering this chat." in response.content.decode()
    assert ticket.messages.count() == 1
    ticket.refresh_from_db()
    assert ticket.assignee_id == bo.pk != ada.pk


def test_taking_a_waiting_chat_without_script_goes_back_to_it(desk):
    ticket = _chat(team=desk["support"])
    response = desk["web"].post(f"/agent/chats/{ticket.number}/take/")
    assert response.status_code == 302
    assert response["Location"] == f"/agent/chats/?open={ticket.number}"
    ticket.refresh_from_db()
    assert ticket.assignee_id == desk["ada"].pk


def test_taking_a_waiting_chat_assigns_it(desk):
    ticket = _chat(team=desk["support"])
    response = desk["web"].post(f"/agent/chats/{ticket.number}/take/", headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "cl-chats-changed"
    ticket.refresh_from_db()
    assert ticket.assignee_id == desk["ada"].pk
    assert ticket.events.filter(type="assigned", reason="took the chat").count() == 1
    assert "Take this chat" not in response.content.decode()


def test_taking_a_chat_someone_else_took_changes_nothing(desk):
    bo = desk["bo"]
    ticket = _chat(assignee=bo)
    events = ticket.events.count()
    response = desk["web"].post(f"/agent/chats/{ticket.number}/take/", headers=HTMX)
    assert response.status_code == 409
    assert "Bo is answering this chat." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee_id == bo.pk
    assert ticket.events.count() == events
    plain = desk["web"].post(f"/agent/chats/{ticket.number}/take/")
    assert plain.status_code == 409
    assert "Bo is answering this chat." in plain.content.decode()
    assert "<!doctype html>" in plain.content.decode()


def test_new_messages_after_an_id(desk):
    ticket = _chat(assignee=desk["ada"])
    first = ticket.messages.get()
    message_add(ticket=ticket, body="Second", actor=Actor.customer())
    response = desk["web"].get(f"/agent/chats/{ticket.number}/messages/?after={first.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Second" in html
    assert f'data-id="{first.pk}"' not in html
    pane = desk["web"].get(f"/agent/chats/{ticket.number}/", headers=HTMX).content.decode()
    assert f'data-id="{first.pk}"' in pane
    assert "Web chat" in pane  # each message shows its channel


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", "/"), ("get", "/messages/"), ("post", "/take/"), ("post", "/reply/")],
)
def test_another_teams_restricted_chat_is_not_found_and_untouched(desk, method, suffix):
    ticket = _chat(team=desk["vip"])
    response = getattr(desk["web"], method)(
        f"/agent/chats/{ticket.number}{suffix}", {"body": "Hi"} if method == "post" else {}
    )
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    assert ticket.messages.count() == 1
    console = desk["web"].get(f"/agent/chats/?open={ticket.number}").content.decode()
    assert f"chat-pane-{ticket.number}" not in console


def test_an_email_ticket_is_no_chat(desk):
    ticket = make_ticket(channel="email", team=desk["support"])
    assert desk["web"].get(f"/agent/chats/{ticket.number}/").status_code == 404


def test_an_administrator_without_agent_profile_sees_chats_but_cannot_answer(desk):
    ticket = _chat(team=desk["other"])
    admin = User.objects.create_superuser("root", password="pw")
    web = Client()
    web.force_login(admin)
    page = web.get("/agent/chats/").content.decode()
    assert f'id="chat-tab-{ticket.number}"' in page
    response = web.post(f"/agent/chats/{ticket.number}/reply/", {"body": "Hi"}, headers=HTMX)
    assert response.status_code == 400
    assert "no agent profile" in response.content.decode()
    assert ticket.messages.count() == 1
    take = web.post(f"/agent/chats/{ticket.number}/take/", headers=HTMX)
    assert take.status_code == 409
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_a_chat_opened_by_number_shows_even_when_not_listed(desk):
    ticket = _chat(assignee=desk["bo"], name="Bo's visitor")
    html = desk["web"].get(f"/agent/chats/?open={ticket.number}").content.decode()
    assert f'id="chat-pane-{ticket.number}"' in html
    assert "Answered by Bo" in html


def test_a_reply_keeps_one_kind_of_line_break(desk):
    ticket = _chat(assignee=desk["ada"])
    desk["web"].post(f"/agent/chats/{ticket.number}/reply/", {"body": "One\r\nTwo"}, headers=HTMX)
    assert ticket.messages.get(author_kind="agent").body == "One\nTwo"


def test_the_console_renders_in_chinese(desk):
    ticket = _chat(assignee=desk["ada"])
    response = desk["web"].get("/agent/chats/", headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert f'id="chat-pane-{ticket.number}"' in html
