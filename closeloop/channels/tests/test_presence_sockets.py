"""Presence on the agent socket (the workspace's collision warning): who else is viewing or
replying on a ticket, over real WebSockets against uvicorn on loopback."""

from __future__ import annotations

from typing import Any

from closeloop.channels.tests import test_chat_server as support
from closeloop.channels.tests.test_chat_server import ClientLoop, Socket

live_db = support.live_db
server = support.server
client_loop = support.client_loop
pytestmark = support.LIVE_DB


def _agent(name: str) -> tuple[Any, str]:
    """An agent and their session cookie."""
    from django.test import Client

    from closeloop.people.tests.factories import AgentFactory, UserFactory

    agent = AgentFactory(user=UserFactory(username=name), display_name=name.title())
    browser = Client()
    browser.force_login(agent.user)
    return agent, browser.cookies["sessionid"].value


def _socket(loop: ClientLoop, host: str, session: str) -> Socket:
    socket = Socket.open(
        loop,
        f"ws://{host}/ws/agent/",
        origin=f"http://{host}",
        additional_headers={"Cookie": f"sessionid={session}"},
    )
    socket.recv("welcome")
    return socket


def test_two_agents_see_each_other_viewing_replying_and_leaving(
    server: str, client_loop: ClientLoop
) -> None:
    from closeloop.tickets.tests.factories import make_ticket

    ticket = make_ticket()
    ada, ada_session = _agent("ada")
    li, li_session = _agent("li")
    first = _socket(client_loop, server, ada_session)
    first.send({"type": "presence", "ticket_id": ticket.pk, "state": "viewing"})
    assert first.quiet() == []  # nobody else there: nothing to hear, not even an echo

    second = _socket(client_loop, server, li_session)
    second.send({"type": "presence", "ticket_id": ticket.pk, "state": "viewing"})
    assert first.recv("presence") == {
        "type": "presence",
        "ticket_id": ticket.pk,
        "agent_id": li.pk,
        "name": "Li",
        "state": "viewing",
    }
    # The newcomer learns that Ada was already there.
    assert second.recv("presence") == {
        "type": "presence",
        "ticket_id": ticket.pk,
        "agent_id": ada.pk,
        "name": "Ada",
        "state": "viewing",
    }

    second.send({"type": "presence", "ticket_id": ticket.pk, "state": "composing"})
    assert first.recv("presence")["state"] == "composing"
    assert second.quiet() == []  # a state change is not answered again

    second.close()
    left = first.recv("presence")
    assert (left["agent_id"], left["state"]) == (li.pk, "left")


def test_the_same_agent_in_two_tabs_is_no_collision(server: str, client_loop: ClientLoop) -> None:
    from closeloop.tickets.tests.factories import make_ticket

    ticket = make_ticket()
    _ada, session = _agent("ada")
    tab_one = _socket(client_loop, server, session)
    tab_two = _socket(client_loop, server, session)
    tab_one.send({"type": "presence", "ticket_id": ticket.pk, "state": "viewing"})
    tab_two.send({"type": "presence", "ticket_id": ticket.pk, "state": "composing"})
    assert [frame for frame in tab_one.quiet() if frame["type"] == "presence"] == []
    assert [frame for frame in tab_two.quiet() if frame["type"] == "presence"] == []


def test_presence_on_a_ticket_one_may_not_see_or_with_a_bad_state_is_refused(
    server: str, client_loop: ClientLoop
) -> None:
    from closeloop.people.tests.factories import TeamFactory, member
    from closeloop.tickets.tests.factories import make_ticket

    restricted = TeamFactory(is_restricted=True)
    secret = make_ticket(team=restricted)
    insider, insider_session = _agent("ada")
    member(insider, restricted)
    _outsider, outsider_session = _agent("eve")
    inside = _socket(client_loop, server, insider_session)
    inside.send({"type": "presence", "ticket_id": secret.pk, "state": "viewing"})
    outside = _socket(client_loop, server, outsider_session)

    outside.send({"type": "presence", "ticket_id": secret.pk, "state": "viewing"})
    assert outside.recv("error")["code"] == "not_found"
    outside.send({"type": "presence", "ticket_id": secret.pk, "state": "dancing"})
    assert outside.recv("error")["code"] == "not_found"
    assert inside.quiet() == []  # the insider heard nothing of the outsider

    inside.send({"type": "presence", "ticket_id": secret.pk, "state": "dancing"})
    assert inside.recv("error")["code"] == "invalid_field"
