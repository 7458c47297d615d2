"""What the chat console hears over /ws/agent/ (uvicorn on loopback, real sockets): a chat of
another team's restricted desk never reaches an outsider's console, live or on asking."""

from __future__ import annotations

from typing import Any

from closeloop.channels.tests import test_chat_server as support
from closeloop.channels.tests.test_chat_server import ClientLoop, Socket

live_db = support.live_db
server = support.server
client_loop = support.client_loop
pytestmark = support.LIVE_DB


def _agent_session(name: str, team: Any = None) -> tuple[Any, str]:
    from django.test import Client

    from closeloop.people.tests.factories import AgentFactory, UserFactory, member

    agent = AgentFactory(user=UserFactory(username=name), display_name=name.title())
    if team is not None:
        member(agent, team)
    client = Client()
    client.force_login(agent.user)
    return agent, client.cookies["sessionid"].value


def _console_socket(loop: ClientLoop, host: str, session: str) -> Socket:
    socket = Socket.open(
        loop,
        f"ws://{host}/ws/agent/",
        origin=f"http://{host}",
        additional_headers={"Cookie": f"sessionid={session}"},
    )
    socket.recv("welcome")
    socket.send({"type": "subscribe", "inbox": True})
    socket.recv("subscribed")
    return socket


def test_a_restricted_desks_chat_reaches_its_team_only(server: str, client_loop: ClientLoop):
    from closeloop.people.tests.factories import TeamFactory
    from closeloop.tickets.services import Actor, message_add
    from closeloop.tickets.tests.factories import make_ticket

    vip = TeamFactory(code="vip", is_restricted=True)
    _insider, insider_session = _agent_session("ada", team=vip)
    _outsider, outsider_session = _agent_session("eve")
    secret = make_ticket(channel="chat", team=vip, subject="VIP chat", body="Hello")
    insider = _console_socket(client_loop, server, insider_session)
    outsider = _console_socket(client_loop, server, outsider_session)

    message_add(ticket=secret, body="Are you there?", actor=Actor.customer())

    heard = insider.recv("ticket.changed")
    assert (heard["ticket_id"], heard["message"]["body"]) == (secret.pk, "Are you there?")
    assert [f for f in outsider.quiet() if f.get("type") == "ticket.changed"] == []
    outsider.send({"type": "subscribe", "ticket_id": secret.pk})
    assert outsider.recv("error")["code"] == "not_found"
    outsider.send({"type": "typing", "ticket_id": secret.pk, "active": True})
    assert outsider.recv("error")["code"] == "not_found"
