"""The chat channel end to end over real WebSockets: a visitor's widget socket, an agent's
socket and the REST API, against uvicorn on loopback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone
from websockets.exceptions import InvalidStatus

from closeloop.channels.tests import test_chat_server as support
from closeloop.channels.tests.test_chat_server import ClientLoop, Socket

live_db = support.live_db
server = support.server
client_loop = support.client_loop
SHOP = "https://shop.example.com"
pytestmark = support.LIVE_DB


def _widget(**fields: Any) -> Any:
    from closeloop.channels.models import ChatWidget

    fields.setdefault("allowed_origins", SHOP)
    return ChatWidget.objects.create(
        name="Shop", greeting="Hello!", offline_message="We are away.", **fields
    )


def _visitor(loop: ClientLoop, host: str, widget: Any, *, origin: str = SHOP) -> Socket:
    return Socket.open(loop, f"ws://{host}/ws/chat/?widget={widget.key}", origin=origin)


def _hello(socket: Socket, **fields: Any) -> dict[str, Any]:
    socket.send({"type": "hello", **fields})
    return socket.recv("welcome")


def _agent_user(name: str = "ada") -> tuple[Any, str, str]:
    """An agent, their API token and their session cookie."""
    from django.test import Client

    from closeloop.core.tokens import api_token_create
    from closeloop.people.tests.factories import AgentFactory, UserFactory

    agent = AgentFactory(user=UserFactory(username=name), display_name=name.title())
    _token, clear = api_token_create(user=agent.user)
    browser = Client()
    browser.force_login(agent.user)
    return agent, clear, browser.cookies["sessionid"].value


def _agent_socket(loop: ClientLoop, host: str, session: str) -> Socket:
    return Socket.open(
        loop,
        f"ws://{host}/ws/agent/",
        origin=f"http://{host}",
        additional_headers={"Cookie": f"sessionid={session}"},
    )


def _reply(host: str, token: str, ticket_id: int, body: str) -> dict[str, Any]:
    response = httpx.post(
        f"http://{host}/api/v1/tickets/{ticket_id}/messages",
        json={"body": body},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_visitor_message_opens_a_chat_ticket_with_a_ten_minute_reception_target(
    server: str, client_loop: ClientLoop
) -> None:
    from closeloop.channels.models import InboundMessage
    from closeloop.sla.models import Metric, TicketClock
    from closeloop.tickets.models import Ticket

    widget = _widget()
    visitor = _visitor(client_loop, server, widget)
    welcome = _hello(visitor, widget=widget.key, lang="en")
    assert welcome["online"] is True
    assert welcome["greeting"] == "Hello!"
    assert welcome["history"] == []
    assert welcome["ticket"] is None
    assert welcome["visitor_id"].startswith("v_")

    frame = '{"type": "message", "client_id": "c1", "body": "My order 1234 has not arrived"}'
    visitor.send(frame)
    ack = visitor.recv("ack")

    ticket = Ticket.objects.get(pk=ack["ticket"]["id"])
    assert ack["client_id"] == "c1"
    assert ticket.channel == "chat"
    assert [m.body for m in ticket.messages.all()] == ["My order 1234 has not arrived"]
    assert ticket.messages.get().pk == ack["id"]
    inbound = InboundMessage.objects.get(channel="chat")
    assert inbound.external_id == f"{welcome['visitor_id']}:c1"
    assert bytes(inbound.raw) == frame.encode()
    clock = TicketClock.objects.select_related("policy").get(
        ticket=ticket, metric=Metric.FIRST_RESPONSE
    )
    assert clock.policy.name == "Chat reception"
    assert clock.due_at - clock.started_at == timedelta(minutes=10)
    assert ticket.sla_due_at == clock.due_at


def test_agent_reply_and_typing_reach_the_visitor_live_and_back(
    server: str, client_loop: ClientLoop
) -> None:
    widget = _widget()
    agent, token, session = _agent_user()
    staff = _agent_socket(client_loop, server, session)
    assert staff.recv("welcome")["agent_id"] == agent.pk
    staff.send({"type": "subscribe", "inbox": True})
    assert staff.recv("subscribed") == {"type": "subscribed", "inbox": True}

    visitor = _visitor(client_loop, server, widget)
    _hello(visitor)
    visitor.send({"type": "message", "client_id": "c1", "body": "Hello, anyone there?"})
    ack = visitor.recv("ack")
    ticket_id = ack["ticket"]["id"]

    # The agent's inbox hears the customer's message as it is committed.
    changed = staff.recv("ticket.changed")
    assert changed["ticket_id"] == ticket_id
    assert "message_added" in changed["event_types"]
    assert changed["message"]["body"] == "Hello, anyone there?"
    assert changed["message"]["author_kind"] == "customer"

    staff.send({"type": "subscribe", "ticket_id": ticket_id})
    assert staff.recv("subscribed") == {"type": "subscribed", "ticket_id": ticket_id}
    visitor.send({"type": "typing", "active": True})
    assert staff.recv("typing") == {
        "type": "typing",
        "ticket_id": ticket_id,
        "who": "visitor",
        "active": True,
    }
    staff.send({"type": "typing", "ticket_id": ticket_id})
    assert visitor.recv("typing") == {
        "type": "typing",
        "who": "agent",
        "name": "Ada",
        "active": True,
    }

    reply = _reply(server, token, ticket_id, "Yes, how can I help?")
    message = visitor.recv("message")
    assert message["id"] == reply["id"]
    assert message["body"] == "Yes, how can I help?"
    assert message["author"] == "agent"
    assert message["name"] == "Ada"


def test_a_reconnect_gets_missed_replies_once_and_a_resent_message_is_stored_once(
    server: str, client_loop: ClientLoop
) -> None:
    from closeloop.channels.models import InboundMessage
    from closeloop.tickets.models import Message

    widget = _widget()
    _agent, token, _session = _agent_user()
    visitor = _visitor(client_loop, server, widget)
    welcome = _hello(visitor)
    visitor.send({"type": "message", "client_id": "c1", "body": "Where is my parcel?"})
    ack = visitor.recv("ack")
    visitor.close()

    first = _reply(server, token, ack["ticket"]["id"], "Let me check.")
    second = _reply(server, token, ack["ticket"]["id"], "It ships today.")

    again = _visitor(client_loop, server, widget)
    rewelcome = _hello(again, token=welcome["token"], last_seen_id=ack["id"])
    assert rewelcome["visitor_id"] == welcome["visitor_id"]
    assert rewelcome["ticket"]["id"] == ack["ticket"]["id"]
    assert [(m["id"], m["body"]) for m in rewelcome["history"]] == [
        (first["id"], "Let me check."),
        (second["id"], "It ships today."),
    ]
    # The widget did not know its message arrived: it sends it again, with the same id.
    again.send({"type": "message", "client_id": "c1", "body": "Where is my parcel?"})
    assert again.recv("ack")["id"] == ack["id"]
    assert again.quiet() == []
    external_id = f"{welcome['visitor_id']}:c1"
    assert Message.objects.filter(channel="chat", external_id=external_id).count() == 1
    assert InboundMessage.objects.filter(channel="chat").count() == 1

    # Without last_seen_id the whole conversation comes back, in order.
    fresh = _visitor(client_loop, server, widget)
    bodies = [m["body"] for m in _hello(fresh, token=welcome["token"])["history"]]
    assert bodies == ["Where is my parcel?", "Let me check.", "It ships today."]


def test_a_forged_or_foreign_token_is_refused(server: str, client_loop: ClientLoop) -> None:
    from closeloop.channels.chat.tokens import visitor_token_for

    widget = _widget()
    other = _widget(allowed_origins="")
    genuine = _hello(_visitor(client_loop, server, widget))["token"]
    for token in (
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        visitor_token_for(visitor_id="v_" + "0" * 24, widget_key=other.key),
    ):
        socket = _visitor(client_loop, server, widget)
        socket.send({"type": "hello", "token": token})
        assert socket.recv("error")["code"] == "invalid_token"
        assert socket.closed_code() == 4401


def test_a_page_on_another_origin_cannot_open_the_socket(
    server: str, client_loop: ClientLoop
) -> None:
    widget = _widget()
    with pytest.raises(InvalidStatus) as refused:
        _visitor(client_loop, server, widget, origin="https://evil.example.net")
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        Socket.open(client_loop, f"ws://{server}/ws/chat/?widget=nope", origin=SHOP)
    assert _hello(_visitor(client_loop, server, widget))["online"] is True


def test_garbage_frames_get_error_frames_and_the_socket_stays_usable(
    server: str, client_loop: ClientLoop
) -> None:
    from closeloop.channels.models import InboundMessage

    socket = _visitor(client_loop, server, _widget())
    expected = [
        ("not json", "bad_json"),
        (b"\x00\x01", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        ('{"type": "launch"}', "unknown_type"),
        ('{"type": "message", "client_id": "c1", "body": "hi"}', "hello_first"),
    ]
    for frame, code in expected:
        socket.send(frame)
        assert socket.recv("error")["code"] == code
    _hello(socket)
    for frame, code in [
        ({"type": "message", "client_id": "has space", "body": "x"}, "invalid_field"),
        ({"type": "message", "client_id": "c2", "body": "   "}, "invalid_field"),
        ({"type": "message", "client_id": "c3", "body": "x" * 5001}, "invalid_field"),
        ({"type": "hello"}, "already_said_hello"),
        ({"type": "message", "client_id": "c4", "body": "bad \x00 byte"}, "rejected"),
    ]:
        socket.send(frame)
        assert socket.recv("error")["code"] == code
    socket.send({"type": "ping"})
    assert socket.recv() == {"type": "pong"}
    # Only the frame that passed the checks was stored (and flagged, with no ticket).
    assert list(InboundMessage.objects.values_list("status", "ticket")) == [("failed", None)]


def test_outside_opening_hours_the_widget_takes_a_message(
    server: str, client_loop: ClientLoop
) -> None:
    from closeloop.customers.models import Identity
    from closeloop.sla.models import Calendar
    from closeloop.tickets.models import Ticket

    # Open one minute a week, on another weekday than today.
    other_day = str((timezone.now().weekday() + 3) % 7)
    rarely_open = Calendar.objects.create(
        name="rarely-open", weekly_hours={other_day: [["03:00", "03:01"]]}
    )
    socket = _visitor(client_loop, server, _widget(calendar=rarely_open))
    welcome = _hello(socket)
    assert welcome["online"] is False
    assert welcome["offline_message"] == "We are away."

    socket.send({"type": "leave", "client_id": "l1", "body": "Call me back"})
    assert socket.recv("error")["code"] == "invalid_field"
    socket.send(
        {
            "type": "leave",
            "client_id": "l1",
            "name": "Li Lei",
            "email": "Li.Lei@Example.com",
            "body": "Please call me back about my refund.",
        }
    )
    ack = socket.recv("ack")
    ticket = Ticket.objects.select_related("customer").get(pk=ack["ticket"]["id"])
    assert ticket.channel == "chat"
    assert ticket.customer.name == "Li Lei"
    message = ticket.messages.get()
    assert message.body == "Please call me back about my refund."
    assert message.meta["left_offline"] is True
    handles = set(Identity.objects.filter(customer=ticket.customer).values_list("kind", "value"))
    assert handles == {("email", "li.lei@example.com"), ("chat_visitor", welcome["visitor_id"])}


def test_an_email_the_page_signed_joins_the_customer_known_by_it(
    server: str, client_loop: ClientLoop
) -> None:
    from closeloop.channels.signing import hmac_hex
    from closeloop.customers.models import CustomerMerge
    from closeloop.customers.services import customer_identify
    from closeloop.tickets.models import Ticket

    known = customer_identify(email="wang@example.com", name="Wang")
    widget = _widget()
    socket = _visitor(client_loop, server, widget)
    socket.send({"type": "hello", "email": "wang@example.com", "identity_signature": "00" * 32})
    assert socket.recv("error")["code"] == "invalid_signature"
    signature = hmac_hex(widget.identity_secret, b"wang@example.com\n")
    _hello(socket, email="wang@example.com", name="Wang", identity_signature=signature)
    socket.send({"type": "message", "client_id": "c1", "body": "Hi, it is me again"})
    ticket = Ticket.objects.get(pk=socket.recv("ack")["ticket"]["id"])
    assert ticket.customer_id == known.pk
    assert not CustomerMerge.objects.exists()  # the visitor was new: attached, not merged


def test_an_email_typed_into_chat_does_not_join_someone_elses_record(
    server: str, client_loop: ClientLoop
) -> None:
    from closeloop.customers.models import Identity
    from closeloop.customers.services import customer_identify
    from closeloop.tickets.models import Ticket
    from closeloop.tickets.tests.factories import make_ticket

    victim = customer_identify(email="wang@example.com", name="Wang")
    their_ticket = make_ticket(customer=victim, channel="chat", subject="My address")
    socket = _visitor(client_loop, server, _widget())
    _hello(socket, email="wang@example.com", phone="13800138000", name="Not Wang")
    socket.send({"type": "message", "client_id": "c1", "body": "What is my address?"})
    ticket = Ticket.objects.get(pk=socket.recv("ack")["ticket"]["id"])
    assert ticket.pk != their_ticket.pk
    assert ticket.customer_id != victim.pk
    # The unowned phone joins the visitor's own record; the owned email stays Wang's.
    kinds = set(Identity.objects.filter(customer=ticket.customer).values_list("kind", flat=True))
    assert kinds == {"chat_visitor", "phone"}
    assert Identity.objects.get(kind="email").customer_id == victim.pk


def test_the_agent_socket_refuses_anonymous_users_and_non_agents(
    server: str, client_loop: ClientLoop
) -> None:
    from django.test import Client

    from closeloop.people.tests.factories import UserFactory

    with pytest.raises(InvalidStatus) as anonymous:
        Socket.open(client_loop, f"ws://{server}/ws/agent/", origin=f"http://{server}")
    assert anonymous.value.response.status_code == 403
    browser = Client()
    browser.force_login(UserFactory(username="not-an-agent"))
    with pytest.raises(InvalidStatus):
        _agent_socket(client_loop, server, browser.cookies["sessionid"].value)
    _agent, _token, session = _agent_user()
    with pytest.raises(InvalidStatus):  # an agent's cookie, from a foreign page
        Socket.open(
            client_loop,
            f"ws://{server}/ws/agent/",
            origin=SHOP,
            additional_headers={"Cookie": f"sessionid={session}"},
        )
    staff = _agent_socket(client_loop, server, session)
    assert staff.recv("welcome")["name"] == "Ada"
    staff.send({"type": "subscribe", "ticket_id": 999999})
    assert staff.recv("error")["code"] == "not_found"
