"""The WebSocket consumers: ``/ws/chat/`` for visitors, ``/ws/agent/`` for agents.

Every client frame is read by ``frames.frame_read``; a bad frame is answered with an
``error`` frame and the socket stays usable (a client that sends nothing but bad frames is
closed with 4400). Database work runs in ``database_sync_to_async``. The protocol is
documented in ``docs/_fragments/chat.md``.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext as _

from closeloop.channels.chat import live
from closeloop.channels.chat.conversation import (
    VisitorDetails,
    details_check,
    origin_allowed,
    ticket_visitor,
    visitor_history,
    visitor_message_receive,
    visitor_ticket,
    widget_by_key,
    widget_online,
)
from closeloop.channels.chat.frames import (
    AGENT_TYPES,
    PRESENCE_STATES,
    VISITOR_TYPES,
    Frame,
    FrameError,
    body_of,
    client_id_of,
    frame_read,
    optional_int,
    optional_text,
)
from closeloop.channels.chat.tokens import visitor_token_issue, visitor_token_read
from closeloop.channels.models import ChatWidget
from closeloop.core.errors import CloseloopError
from closeloop.people.access import Requester, requester_for
from closeloop.tickets.selectors import tickets_visible_to

logger = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's).
CLOSE_BAD_CLIENT = 4400
CLOSE_INVALID_TOKEN = 4401
CLOSE_FORBIDDEN = 4403
MAX_ERRORS = 20
TYPING_INTERVAL = 1.0
REMEMBERED_IDS = 1000


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


class _FrameConsumer(AsyncWebsocketConsumer):
    """Shared plumbing: JSON frames out, error frames, the bad-client limit."""

    allowed_types: frozenset[str] = frozenset()
    errors = 0

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def send_error(self, error: FrameError) -> None:
        self.errors += 1
        await self.send_frame(error.frame())
        if self.errors >= MAX_ERRORS:
            await self.close(code=CLOSE_BAD_CLIENT)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = frame_read(text_data, bytes_data, allowed=self.allowed_types)
            await self.handle(frame)
        except FrameError as error:
            await self.send_error(error)
        except CloseloopError as error:
            await self.send_error(FrameError(error.code, str(error.message)))
        except Exception:
            logger.exception("A %s frame failed", type(self).__name__)
            await self.send_error(FrameError("server_error", _("Something went wrong; retry.")))

    async def handle(self, frame: Frame) -> None:
        raise NotImplementedError


class VisitorConsumer(_FrameConsumer):
    """One visitor's socket: hello, messages, typing; replies and agent typing pushed in."""

    allowed_types = VISITOR_TYPES

    async def connect(self) -> None:
        live.sockets_opened()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.origin = _header(self.scope, b"origin")
        self.visitor_id: str | None = None
        self.details = VisitorDetails()
        self.ticket_id: int | None = None
        self.online = True
        self.sent_ids: deque[int] = deque(maxlen=REMEMBERED_IDS)
        self.typing_sent_at = 0.0
        widget: ChatWidget | None = await database_sync_to_async(widget_by_key)(
            query.get("widget", [""])[0]
        )
        if widget is None or not origin_allowed(widget, self.origin):
            # Before accept: the handshake is answered with HTTP 403.
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.widget = widget
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.visitor_id is not None:
            await self.channel_layer.group_discard(
                live.visitor_group(self.visitor_id), self.channel_name
            )

    async def handle(self, frame: Frame) -> None:
        if frame.type == "ping":
            await self.send_frame({"type": "pong"})
        elif frame.type == "hello":
            await self.on_hello(frame.data)
        elif self.visitor_id is None:
            raise FrameError("hello_first", _("Send hello first."))
        elif frame.type == "message":
            await self.on_message(frame)
        elif frame.type == "leave":
            await self.on_leave(frame)
        elif frame.type == "typing":
            await self.on_typing(frame.data)

    async def on_hello(self, data: dict[str, Any]) -> None:
        if self.visitor_id is not None:
            raise FrameError("already_said_hello", _("This socket has said hello already."))
        widget_key = data.get("widget")
        if widget_key is not None and widget_key != self.widget.key:
            raise FrameError("wrong_widget", _("hello names another widget than the socket."))
        last_seen_id = optional_int(data, "last_seen_id")
        self.details = await database_sync_to_async(details_check)(
            name=optional_text(data, "name"),
            email=optional_text(data, "email", max_length=320),
            phone=optional_text(data, "phone", max_length=40),
            widget=self.widget,
            signature=optional_text(data, "identity_signature", max_length=128),
        )
        token = data.get("token")
        if token:
            try:
                visitor_id = visitor_token_read(token, widget_key=self.widget.key)
            except CloseloopError as error:
                await self.send_frame({"type": "error", "code": error.code, "message": str(error)})
                await self.close(code=CLOSE_INVALID_TOKEN)
                return
        else:
            token, visitor_id = visitor_token_issue(widget_key=self.widget.key)
        # Join the group before reading the history: a reply committed in between is
        # in one or the other (the id filter drops it from the second).
        await self.channel_layer.group_add(live.visitor_group(visitor_id), self.channel_name)
        self.visitor_id = visitor_id
        welcome = await database_sync_to_async(self._welcome)(visitor_id, last_seen_id)
        self.sent_ids.extend(message["id"] for message in welcome["history"])
        await self.send_frame({"token": token, **welcome})

    def _welcome(self, visitor_id: str, last_seen_id: int | None) -> dict[str, Any]:
        self.online = widget_online(self.widget)
        ticket = visitor_ticket(visitor_id)
        self.ticket_id = ticket["id"] if ticket else None
        return {
            "type": "welcome",
            "visitor_id": visitor_id,
            "online": self.online,
            "greeting": self.widget.greeting,
            "offline_message": self.widget.offline_message,
            "ticket": ticket,
            "history": visitor_history(visitor_id, after_id=last_seen_id),
        }

    async def on_message(self, frame: Frame) -> None:
        client_id = client_id_of(frame.data)
        body_of(frame.data, client_id=client_id)
        await self._receive(frame, client_id, offline=False)

    async def on_leave(self, frame: Frame) -> None:
        """The leave-a-message form (team offline): who they are and what they need."""
        client_id = client_id_of(frame.data)
        body_of(frame.data, client_id=client_id)
        details = await database_sync_to_async(details_check)(
            name=optional_text(frame.data, "name"),
            email=optional_text(frame.data, "email", max_length=320),
            phone=optional_text(frame.data, "phone", max_length=40),
        )
        if not details.email and not details.phone:
            raise FrameError(
                "invalid_field",
                _("Leave an email address or a phone number, so we can answer."),
                client_id=client_id,
            )
        self.details = details
        await self._receive(frame, client_id, offline=True)

    async def _receive(self, frame: Frame, client_id: str, *, offline: bool) -> None:
        assert self.visitor_id is not None  # noqa: S101 - handle() checked it
        outcome = await database_sync_to_async(visitor_message_receive)(
            visitor_id=self.visitor_id,
            widget=self.widget,
            client_id=client_id,
            raw=frame.raw,
            details=self.details,
            offline=offline or not self.online,
            origin=self.origin,
        )
        if "error" in outcome:
            raise FrameError("rejected", outcome["error"], client_id=client_id)
        self.ticket_id = outcome["ticket"]["id"]
        self.sent_ids.append(outcome["id"])
        await self.send_frame(
            {
                "type": "ack",
                "client_id": client_id,
                "id": outcome["id"],
                "ticket": outcome["ticket"],
            }
        )

    async def on_typing(self, data: dict[str, Any]) -> None:
        active = data.get("active", True) is not False
        now = time.monotonic()
        if self.ticket_id is None or (active and now - self.typing_sent_at < TYPING_INTERVAL):
            return
        self.typing_sent_at = now if active else 0.0
        await self.channel_layer.group_send(
            live.ticket_group(self.ticket_id),
            {"type": "agent.typing", "ticket_id": self.ticket_id, "active": active},
        )

    # Channel-layer events.
    async def chat_frame(self, event: dict[str, Any]) -> None:
        frame = event["frame"]
        if frame.get("id") in self.sent_ids:
            return
        self.sent_ids.append(frame["id"])
        await self.send_frame(frame)

    async def chat_typing(self, event: dict[str, Any]) -> None:
        await self.send_frame(
            {"type": "typing", "who": "agent", "name": event["name"], "active": event["active"]}
        )


class AgentConsumer(_FrameConsumer):
    """A signed-in agent's live feed: ticket changes and visitor typing, and typing out."""

    allowed_types = AGENT_TYPES

    async def connect(self) -> None:
        live.sockets_opened()
        self.ticket_ids: set[int] = set()
        # What this agent said they do on each ticket (viewing, composing): told to the others.
        self.presence: dict[int, str] = {}
        self.inbox = False
        self.seen_events: deque[str] = deque(maxlen=REMEMBERED_IDS)
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_INVALID_TOKEN)
            return
        try:
            requester: Requester = await database_sync_to_async(requester_for)(user)
        except CloseloopError:
            requester = None  # type: ignore[assignment]
        if requester is None or requester.agent is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.requester = requester
        await self.accept()
        await self.send_frame(
            {
                "type": "welcome",
                "agent_id": requester.agent.pk,
                "name": requester.agent.display_name,
            }
        )

    async def disconnect(self, code: int) -> None:
        for ticket_id in list(getattr(self, "presence", {})):
            await self._announce(ticket_id, "left")
        for ticket_id in getattr(self, "ticket_ids", ()):
            await self.channel_layer.group_discard(live.ticket_group(ticket_id), self.channel_name)
        if getattr(self, "inbox", False):
            await self.channel_layer.group_discard(live.INBOX_GROUP, self.channel_name)

    async def handle(self, frame: Frame) -> None:
        data = frame.data
        if frame.type == "ping":
            await self.send_frame({"type": "pong"})
            return
        if frame.type in ("subscribe", "unsubscribe") and data.get("inbox") is True:
            await self.on_inbox(subscribe=frame.type == "subscribe")
            return
        ticket_id = optional_int(data, "ticket_id")
        if ticket_id is None:
            raise FrameError("invalid_field", _("ticket_id is required."))
        if ticket_id not in self.ticket_ids and not await self._may_see(ticket_id):
            raise FrameError("not_found", _("Ticket %(id)s not found.") % {"id": ticket_id})
        group = live.ticket_group(ticket_id)
        if frame.type == "subscribe":
            self.ticket_ids.add(ticket_id)
            await self.channel_layer.group_add(group, self.channel_name)
            await self.send_frame({"type": "subscribed", "ticket_id": ticket_id})
        elif frame.type == "unsubscribe":
            self.ticket_ids.discard(ticket_id)
            await self.channel_layer.group_discard(group, self.channel_name)
            await self.send_frame({"type": "unsubscribed", "ticket_id": ticket_id})
        elif frame.type == "presence":
            await self.on_presence(ticket_id, optional_text(data, "state", max_length=20))
        else:
            await self.on_typing(ticket_id, active=data.get("active", True) is not False)

    async def on_inbox(self, *, subscribe: bool) -> None:
        self.inbox = subscribe
        if subscribe:
            await self.channel_layer.group_add(live.INBOX_GROUP, self.channel_name)
        else:
            await self.channel_layer.group_discard(live.INBOX_GROUP, self.channel_name)
        await self.send_frame(
            {"type": "subscribed" if subscribe else "unsubscribed", "inbox": True}
        )

    async def on_presence(self, ticket_id: int, state: str) -> None:
        """Tell the others on the ticket what this agent does there (the collision warning);
        following the ticket's group to hear them too."""
        if state not in PRESENCE_STATES:
            raise FrameError("invalid_field", _("state must be viewing, composing or left."))
        if state == "left":
            if self.presence.pop(ticket_id, None) is not None:
                await self._announce(ticket_id, "left")
            return
        if ticket_id not in self.ticket_ids:
            self.ticket_ids.add(ticket_id)
            await self.channel_layer.group_add(live.ticket_group(ticket_id), self.channel_name)
        is_new = ticket_id not in self.presence
        self.presence[ticket_id] = state
        await self._announce(ticket_id, state, ask_back=is_new)

    async def _announce(self, ticket_id: int, state: str, *, ask_back: bool = False) -> None:
        assert self.requester.agent is not None  # noqa: S101 - connect() checked it
        await self.channel_layer.group_send(
            live.ticket_group(ticket_id),
            {
                "type": "agent.presence",
                "ticket_id": ticket_id,
                "agent_id": self.requester.agent.pk,
                "name": self.requester.agent.display_name,
                "state": state,
                "sender": self.channel_name,
                "ask_back": ask_back,
            },
        )

    @database_sync_to_async
    def _may_see(self, ticket_id: int) -> bool:
        return tickets_visible_to(self.requester).filter(pk=ticket_id).exists()

    async def on_typing(self, ticket_id: int, *, active: bool) -> None:
        visitor_id = await database_sync_to_async(ticket_visitor)(ticket_id)
        if visitor_id is None:
            return
        assert self.requester.agent is not None  # noqa: S101 - connect() checked it
        await self.channel_layer.group_send(
            live.visitor_group(visitor_id),
            {"type": "chat.typing", "name": self.requester.agent.display_name, "active": active},
        )

    def _may_hear(self, event: dict[str, Any]) -> bool:
        requester = self.requester
        return (
            not event.get("restricted")
            or requester.is_admin
            or event.get("team_id") in requester.team_ids
        )

    # Channel-layer events.
    async def ticket_changed(self, event: dict[str, Any]) -> None:
        # Subscribed to the ticket and the inbox: the same event arrives twice.
        event_id = event.get("event_id", "")
        if event_id in self.seen_events or not self._may_hear(event):
            return
        self.seen_events.append(event_id)
        frame = {
            "type": "ticket.changed",
            "ticket_id": event["ticket_id"],
            "event_types": event["event_types"],
        }
        if "message" in event:
            frame["message"] = event["message"]
        await self.send_frame(frame)

    async def agent_typing(self, event: dict[str, Any]) -> None:
        await self.send_frame(
            {
                "type": "typing",
                "ticket_id": event["ticket_id"],
                "who": "visitor",
                "active": event["active"],
            }
        )

    async def agent_presence(self, event: dict[str, Any]) -> None:
        # Another agent (not this socket, nor this agent in another tab) on a ticket followed.
        if event["sender"] == self.channel_name:
            return
        assert self.requester.agent is not None  # noqa: S101 - connect() checked it
        if event["agent_id"] == self.requester.agent.pk:
            return
        await self.send_frame(
            {
                "type": "presence",
                "ticket_id": event["ticket_id"],
                "agent_id": event["agent_id"],
                "name": event["name"],
                "state": event["state"],
            }
        )
        own = self.presence.get(event["ticket_id"])
        if event.get("ask_back") and own is not None:
            # A newcomer: tell them, and only them, that this agent is already here.
            await self.channel_layer.send(
                event["sender"],
                {
                    "type": "agent.presence",
                    "ticket_id": event["ticket_id"],
                    "agent_id": self.requester.agent.pk,
                    "name": self.requester.agent.display_name,
                    "state": own,
                    "sender": self.channel_name,
                    "ask_back": False,
                },
            )
