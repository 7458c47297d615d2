"""The web chat channel: visitor frames in (from the socket), agent replies out (to it).

Inbound: the socket stores each visitor ``message``/``leave`` frame raw, keyed by
``<visitor_id>:<client_id>``, and processes it at once (``pipeline.inbound_receive_now``);
``parse`` reads the frame and the transport facts the socket put in ``InboundMessage.meta``
(visitor id, the details the visitor gave). An email or phone the host page *signed* (it
knows who is signed in) proves who the visitor is: the sender is ``proven`` and customer
records join. Details merely typed into the widget are only claims: anyone could type
someone else's address and would then be answered in chat on that person's ticket. They are
added to the visitor's own record when nobody else has them, and kept on the message.

Outbound: a reply is pushed to the visitor's sockets over the channel layer in the web
process right after it commits (``send_inline``). A visitor who is away gets it from
``last_seen_id`` when their widget reconnects, from the stored messages.
"""

from __future__ import annotations

import json
from typing import Any

from closeloop.channels.adapters import (
    Adapter,
    MalformedInput,
    Parsed,
    RetryLater,
    Sender,
    register,
)
from closeloop.channels.chat import live
from closeloop.channels.chat.conversation import message_frame, ticket_visitor
from closeloop.channels.models import Delivery, InboundMessage
from closeloop.tickets.intake import Contact, Received
from closeloop.tickets.models import Kind, Message, Ticket
from closeloop.tickets.services import MessageContent


class ChatAdapter(Adapter):
    channel = "chat"
    send_inline = True

    def parse(self, inbound: InboundMessage) -> Parsed:
        try:
            frame = json.loads(bytes(inbound.raw).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise MalformedInput("The chat frame is not JSON.") from None
        if not isinstance(frame, dict) or frame.get("type") not in ("message", "leave"):
            raise MalformedInput("The chat frame is not a message.")
        body = frame.get("body")
        meta: dict[str, Any] = inbound.meta or {}
        visitor_id = meta.get("visitor_id")
        if not isinstance(body, str) or not isinstance(visitor_id, str):
            raise MalformedInput("The chat frame has no body or no visitor.")
        email = meta.get("email") or None
        phone = meta.get("phone") or None
        if meta.get("verified"):
            sender = Sender(
                chat_visitor_id=visitor_id,
                email=email,
                phone=phone,
                name=meta.get("name") or "",
                proven=True,
            )
        else:
            # Typed in: kept for the agent and added to the visitor's record when nobody
            # else has them, but never a reason to join someone else's record.
            sender = Sender(
                chat_visitor_id=visitor_id,
                name=meta.get("name") or "",
                claimed={"email": email, "phone": phone},
            )
        is_left_message = frame["type"] == "leave" or bool(meta.get("offline"))
        message_meta = {
            key: meta[key] for key in ("visitor_id", "client_id", "widget") if meta.get(key)
        }
        if is_left_message:
            message_meta["left_offline"] = True
        contact = Contact(
            channel=self.channel,
            external_id=inbound.external_id,
            body=body,
            content=MessageContent(meta=message_meta),
            kind=Kind.INQUIRY,
        )
        return Parsed(sender=sender, contact=contact)

    def recipient(self, ticket: Ticket, message: Message) -> str | None:
        return ticket_visitor(ticket.pk)

    def send(self, delivery: Delivery) -> str:
        message = Message.objects.select_related("author_agent").get(pk=delivery.message_id)
        try:
            live.push(
                live.visitor_group(delivery.recipient),
                {"type": "chat.frame", "frame": message_frame(message)},
            )
        except Exception as error:  # the layer (Redis) is down: the worker retries
            raise RetryLater(f"channel layer: {error!r}") from error
        return f"chat-{message.pk}"

    def after_processed(self, inbound: InboundMessage, received: Any) -> None:
        """Show the visitor's message on their other open tabs."""
        if not isinstance(received, Received) or not live.anyone_listening():
            return
        visitor_id = (inbound.meta or {}).get("visitor_id", "")
        live.push(
            live.visitor_group(visitor_id),
            {"type": "chat.frame", "frame": message_frame(received.message)},
        )


register(ChatAdapter())
