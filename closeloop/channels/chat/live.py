"""Live pushes over the channel layer: replies to visitors, ticket changes to agents.

Group names:
- ``chat.visitor.<visitor_id>``: every socket of one visitor (several tabs);
- ``agents.ticket.<id>``: agents watching one ticket;
- ``agents.inbox``: agents watching the inbox (every ticket change, filtered per agent).

With the in-memory layer (the embedded default) only sockets of this process can hear a
push, so a process that never accepted a socket (the worker, a benchmark) skips the work.
With Redis every process pushes, and every web process's sockets hear it.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.dispatch import receiver

from closeloop.tickets.models import EventType, Message, Ticket
from closeloop.tickets.signals import ticket_committed

logger = logging.getLogger(__name__)

INBOX_GROUP = "agents.inbox"
_sockets_opened = False


def visitor_group(visitor_id: str) -> str:
    return f"chat.visitor.{visitor_id}"


def ticket_group(ticket_id: int) -> str:
    return f"agents.ticket.{ticket_id}"


def sockets_opened() -> None:
    """Note that this process serves sockets (consumers call it when they connect)."""
    global _sockets_opened
    _sockets_opened = True


def anyone_listening() -> bool:
    """False when a push cannot reach anybody: in-memory layer, no socket in this process."""
    layer = get_channel_layer()
    if layer is None:
        return False
    return _sockets_opened or not isinstance(layer, InMemoryChannelLayer)


def push(group: str, event: dict[str, Any], *more: tuple[str, dict[str, Any]]) -> None:
    """Send ``event`` to ``group`` (and each further (group, event)) from synchronous code
    (a view, a receiver, an adapter): one trip to the event loop for all of them."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for name, payload in ((group, event), *more):
            await layer.group_send(name, payload)

    async_to_sync(send_all)()


def agent_message_facts(message: Message) -> dict[str, Any]:
    """How a ``ticket.changed`` frame shows the message that changed the ticket."""
    return {
        "id": message.pk,
        "author_kind": message.author_kind,
        "agent_id": message.author_agent_id,
        "is_public": message.is_public,
        "channel": message.channel,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


@receiver(ticket_committed, sender=Ticket, dispatch_uid="channels.chat.live")
def _ticket_committed(sender: Any, ticket_id: int, event_types: list[str], **kwargs: Any) -> None:
    """Tell the agents watching this ticket (and the inbox) what changed, after commit."""
    if not anyone_listening():
        return
    try:
        ticket = Ticket.objects.select_related("team").filter(pk=ticket_id).first()
        if ticket is None:
            return
        event: dict[str, Any] = {
            "type": "ticket.changed",
            "event_id": uuid.uuid4().hex,
            "ticket_id": ticket_id,
            "event_types": [str(event_type) for event_type in event_types],
            # For the consumer's visibility check; not sent to the client.
            "team_id": ticket.team_id,
            "restricted": bool(ticket.team and ticket.team.is_restricted),
        }
        if EventType.MESSAGE_ADDED in event_types:
            message = Message.objects.filter(ticket_id=ticket_id).order_by("-pk").first()
            if message is not None:
                event["message"] = agent_message_facts(message)
        push(ticket_group(ticket_id), event, (INBOX_GROUP, event))
    except Exception:  # a live update must never break the change that was committed
        logger.exception("Pushing the change of ticket %s failed", ticket_id)
