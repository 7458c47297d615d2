"""Driving the bot through the real intake path in tests: chat frames in, bot replies out."""

from __future__ import annotations

import json
from itertools import count
from typing import Any

from closeloop.channels import pipeline
from closeloop.channels.models import InboundMessage, InboundStatus
from closeloop.knowledge.models import BotConversation
from closeloop.tickets.models import AuthorKind, Message, Ticket

_numbers = count(1)


def chat(visitor: str, body: str) -> InboundMessage:
    """A visitor's chat frame, stored and processed as the chat socket does."""
    client_id = f"c{next(_numbers)}"
    inbound = pipeline.inbound_receive_now(
        channel="chat",
        external_id=f"{visitor}:{client_id}",
        raw=json.dumps({"type": "message", "body": body}, ensure_ascii=False).encode(),
        meta={"visitor_id": visitor, "client_id": client_id},
    )
    assert inbound.status == InboundStatus.PROCESSED, inbound.error
    return inbound


def bot_messages(ticket: Ticket, *, public: bool = True) -> list[Message]:
    """The bot's messages on a ticket, oldest first."""
    return list(
        Message.objects.filter(
            ticket=ticket, author_kind=AuthorKind.BOT, is_public=public
        ).order_by("id")
    )


def last_bot_meta(ticket: Ticket) -> dict[str, Any]:
    """The ``bot`` facts of the bot's latest public message."""
    return bot_messages(ticket)[-1].meta["bot"]


def conversation_of(ticket: Ticket) -> BotConversation:
    """The ticket's latest bot conversation."""
    found = BotConversation.objects.filter(ticket=ticket).order_by("-id").first()
    assert found is not None
    return found
