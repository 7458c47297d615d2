"""Who may use which workspace page, walked over every route under /agent/ (a page added
later is covered without changing this file): nobody signed in is sent to the sign-in page,
a customer (a login with no agent profile) gets 403 everywhere, and an agent can neither open
nor find another team's restricted ticket, nor change it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.models import TeamRole
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
from closeloop.tickets.models import Message, Ticket, TicketEvent
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

# Routes anyone may reach: the sign-in page itself, and signing out.
PUBLIC = {"login", "logout"}
SECRET = "Quarterly VIP escalation"
# Enough fields that a form which reads them gets as far as it would with real input.
POST_DATA = {
    "body": "Hello",
    "action": "resolve",
    "reason": "because",
    "availability": "away",
    "tickets": "1",
    "category": "1",
    "priority": "high",
    "into": "10001",
    "kind": "inserted",
    "article": "1",
}


def _workspace_routes() -> list[tuple[str, str]]:
    """(url name, path pattern) of every route in the workspace namespace."""
    resolver = get_resolver()
    workspace = next(
        entry
        for entry in resolver.url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "workspace"
    )
    prefix = str(workspace.pattern)
    routes: list[tuple[str, str]] = []

    def walk(patterns: list[Any], base: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, base + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name:
                routes.append((entry.name, "/" + base + str(entry.pattern)))

    walk(workspace.url_patterns, prefix)
    return routes


ROUTES = _workspace_routes()
TICKET_ROUTES = [(name, path) for name, path in ROUTES if "<int:number>" in path]


def _path(pattern: str, *, number: int) -> str:
    values = {"number": str(number), "view": "mine"}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values.get(match.group(1), "1"), pattern)


@pytest.fixture
def world() -> dict[str, Any]:
    vip = TeamFactory(code="vip", name="VIP desk", is_restricted=True)
    support = TeamFactory(code="support", name="Support")
    insider = AgentFactory(user=UserFactory(username="insider"))
    member(insider, vip, role=TeamRole.LEAD)
    outsider = AgentFactory(user=UserFactory(username="outsider"))
    member(outsider, support, role=TeamRole.LEAD)  # a lead too: team pages list their teams
    customer = CustomerFactory(name="Grace Ho")
    restricted = make_ticket(customer=customer, channel="chat", team=vip, subject=SECRET)
    open_ticket = make_ticket(customer=customer, channel="chat", team=support)
    return {
        "insider": insider,
        "outsider": outsider,
        "restricted": restricted,
        "open": open_ticket,
        "customer_login": UserFactory(username="grace"),
        "admin": User.objects.create_superuser("root", password="pw"),
    }


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_walk_finds_the_workspace_pages():
    names = {name for name, _path in ROUTES}
    assert {"inbox", "login", "chats", "chat-reply"} <= names
    assert len(ROUTES) >= 10


@pytest.mark.parametrize(("name", "pattern"), [r for r in ROUTES if r[0] not in PUBLIC])
def test_nobody_signed_in_is_sent_to_the_sign_in_page(world, name, pattern):
    path = _path(pattern, number=world["open"].number)
    statuses = []
    for method in ("get", "post"):
        response = getattr(_client(), method)(path, POST_DATA if method == "post" else None)
        statuses.append(response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/agent/login/?next=/agent/")
        else:
            assert response.status_code == 405, (method, path, response.status_code)
    assert 302 in statuses


@pytest.mark.parametrize(("name", "pattern"), [r for r in ROUTES if r[0] not in PUBLIC])
def test_a_customer_gets_403_on_every_workspace_page(world, name, pattern):
    ticket = world["open"]
    messages, events = Message.objects.count(), TicketEvent.objects.count()
    path = _path(pattern, number=ticket.number)
    client = _client(world["customer_login"])
    statuses = [client.get(path).status_code, client.post(path, POST_DATA).status_code]
    assert set(statuses) <= {403, 405}, (path, statuses)
    assert 403 in statuses
    assert (Message.objects.count(), TicketEvent.objects.count()) == (messages, events)


def test_a_customer_sees_why_and_where_to_go():
    client = _client(UserFactory(username="grace"))
    response = client.get("/agent/")
    assert response.status_code == 403
    assert 'href="/"' in response.content.decode()


@pytest.mark.parametrize(("name", "pattern"), TICKET_ROUTES)
def test_an_agent_cannot_open_or_change_another_teams_restricted_ticket(world, name, pattern):
    ticket = world["restricted"]
    before = Ticket.objects.values().get(pk=ticket.pk)
    messages, events = Message.objects.count(), TicketEvent.objects.count()
    path = _path(pattern, number=ticket.number)
    client = _client(world["outsider"].user)
    statuses = [client.get(path).status_code, client.post(path, POST_DATA).status_code]
    assert set(statuses) <= {404, 405}, (path, statuses)
    assert 404 in statuses
    assert Ticket.objects.values().get(pk=ticket.pk) == before
    assert (Message.objects.count(), TicketEvent.objects.count()) == (messages, events)


@pytest.mark.parametrize("role", ["insider", "admin"])
def test_the_restricted_teams_members_and_administrators_open_it(world, role):
    user = world[role] if role == "admin" else world[role].user
    client = _client(user)
    number = world["restricted"].number
    assert client.get(f"/agent/tickets/{number}/").status_code == 200
    assert client.get(f"/agent/chats/{number}/", headers={"HX-Request": "true"}).status_code == 200
    assert SECRET in client.get("/agent/chats/").content.decode()


LISTS = [
    *(f"/agent/inbox/{view}/" for view in ("mine", "team", "unassigned", "needs_triage")),
    *(f"/agent/inbox/{view}/" for view in ("at_risk", "breached", "waiting", "resolved")),
    "/agent/",
    f"/agent/?q={SECRET}",
    "/agent/chats/",
    "/agent/chats/list/",
    "/agent/team/",
    "/agent/wall/",
]


@pytest.mark.parametrize("path", LISTS)
def test_no_list_shows_an_outsider_another_teams_restricted_ticket(world, path):
    response = _client(world["outsider"].user).get(path)
    assert response.status_code == 200, path
    ticket = world["restricted"]
    html = response.content.decode().replace(f'value="{SECRET}"', "")  # the search box
    assert SECRET not in html
    assert f'data-ticket-id="{ticket.pk}"' not in html
    assert f"/agent/tickets/{ticket.number}/" not in html


def test_the_customer_panel_hides_the_customers_restricted_ticket_from_an_outsider(world):
    number = world["open"].number
    outsider = _client(world["outsider"].user).get(f"/agent/tickets/{number}/customer/")
    insider = _client(world["insider"].user).get(f"/agent/tickets/{number}/customer/")
    assert outsider.status_code == insider.status_code == 200
    assert SECRET not in outsider.content.decode()
    assert SECRET in insider.content.decode()


def test_the_lists_do_show_it_to_its_team(world):
    # The other side of the test above: the same pages list it for the team's lead.
    client = _client(world["insider"].user)
    for path in ("/agent/inbox/team/", f"/agent/inbox/team/?q={SECRET}", "/agent/chats/"):
        assert SECRET in client.get(path).content.decode(), path


# Every workspace form, sent something it must refuse: (name, method, path, data, the error,
# what ties the error to its field: the error element's id, or the bulk form's data-field).
# ``{n}`` is an open ticket's number.
BAD_INPUT = [
    ("sign-in", "post", "/agent/login/", {"username": "", "password": ""},
     "This field is required.", 'id="id_username-error"'),
    ("availability", "post", "/agent/availability/", {"availability": "asleep"},
     "asleep", 'aria-describedby="ws-availability-error"'),
    ("inbox search", "get", "/agent/inbox/unassigned/", {"q": "bad\x07search"},
     "control character", 'aria-describedby="id_q-error"'),
    ("inbox filter", "get", "/agent/inbox/unassigned/", {"priority": "urgent!"},
     "Select a valid choice.", 'id="id_priority-error"'),
    ("bulk", "post", "/agent/inbox-bulk/", {"action": "close"},
     "Select at least one ticket.", 'data-field="tickets"'),
    ("reassign", "post", "/agent/team/", {"ticket": "abc", "assignee": ""},
     "", 'aria-describedby="id_ticket-error"'),
    ("reply", "post", "/agent/tickets/{n}/reply/", {"body": "   "},
     "Write a message first.", 'aria-describedby="id_body-error"'),
    ("action", "post", "/agent/tickets/{n}/action/", {"action": "escalate", "reason": ""},
     "Say why the ticket is escalated.", 'id="id_reason-error"'),
    ("merge", "post", "/agent/tickets/{n}/merge/", {"target": "abc"},
     "Enter a ticket number such as 10023.", 'id="id_target-error"'),
    ("category", "post", "/agent/tickets/{n}/category/", {"category": "no-such-type"},
     "", None),
    ("priority", "post", "/agent/tickets/{n}/priority/", {"priority": "urgent!"},
     "", None),
    ("knowledge search", "get", "/agent/tickets/{n}/knowledge/", {"q": "x" * 201},
     "", 'aria-describedby="knowledge-q-error"'),
    ("chat reply", "post", "/agent/chats/{n}/reply/", {"body": ""},
     "Write a reply first.", 'aria-describedby="chat-reply-{n}-error"'),
]  # fmt: skip


def _written() -> tuple[int, ...]:
    from closeloop.knowledge.models import ArticleUse
    from closeloop.people.models import Agent
    from closeloop.triage.models import TriageCorrection

    return (
        Message.objects.count(),
        TicketEvent.objects.count(),
        ArticleUse.objects.count(),
        TriageCorrection.objects.count(),
        hash(tuple(Ticket.objects.order_by("pk").values_list("status", "priority", "assignee"))),
        hash(tuple(Agent.objects.order_by("pk").values_list("availability", flat=True))),
    )


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(
    ("name", "method", "path", "data", "error", "beside"),
    BAD_INPUT,
    ids=[c[0] for c in BAD_INPUT],
)
def test_every_form_refuses_bad_input_beside_the_field_and_writes_nothing(
    world, name, method, path, data, error, beside, htmx
):
    from django.core.cache import cache

    cache.clear()  # the sign-in's failure counter
    number = world["open"].number
    client = _client(None if name == "sign-in" else world["outsider"].user)
    before = _written()
    headers = {"HX-Request": "true"} if htmx else {}
    response = getattr(client, method)(path.format(n=number), data, headers=headers)

    html = response.content.decode()
    # A changing form answers 4xx; the sign-in (Django's view) and the inbox filters (a
    # search page) show the page again with the message.
    if name in ("sign-in", "inbox search", "inbox filter"):
        assert response.status_code == 200
    else:
        assert 400 <= response.status_code < 500, (name, response.status_code)
    assert error in html
    assert 'role="alert"' in html
    if beside is not None:
        assert beside.format(n=number) in html, name
    assert _written() == before


def test_a_refused_field_points_at_its_message_for_screen_readers(world):
    """Beside is not enough for a screen reader: the input names its error message."""
    client = _client(None)
    page = client.post("/agent/login/", {"username": "", "password": ""}).content.decode()
    assert 'aria-describedby="id_username-error"' in page
    assert 'id="id_username-error"' in page
