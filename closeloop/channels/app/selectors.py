"""What the app shows its user: their tickets and the public conversation on each."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from closeloop.customers.models import Identity, IdentityKind
from closeloop.tickets.models import AuthorKind, Message, Ticket

# The app renders a conversation screen, not an archive: the most recent tickets, and the
# most recent messages on each.
MAX_TICKETS = 50
MAX_MESSAGES = 200  # per ticket
VISIBLE_AUTHORS = (AuthorKind.CUSTOMER, AuthorKind.AGENT, AuthorKind.BOT)


@dataclass
class ConversationTicket:
    ticket: Ticket
    messages: list[Message]


@dataclass
class Conversation:
    tickets: list[ConversationTicket]
    has_more: bool


def app_conversation(*, app_user_id: str, limit: int, offset: int = 0) -> Conversation:
    """The tickets of the customer who owns this app user id, most recently active first,
    each with its public customer, agent and bot messages."""
    identity = (
        Identity.objects.filter(kind=IdentityKind.APP, value=app_user_id)
        .select_related("customer")
        .first()
    )
    if identity is None:
        return Conversation(tickets=[], has_more=False)
    limit = max(1, min(limit, MAX_TICKETS))
    messages = (
        Message.objects.filter(is_public=True, author_kind__in=VISIBLE_AUTHORS)
        .select_related("author_agent")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    tickets = list(
        Ticket.objects.filter(customer_id=identity.customer_id)
        .order_by("-updated_at", "-id")
        .prefetch_related(Prefetch("messages", queryset=messages, to_attr="visible_messages"))[
            offset : offset + limit + 1
        ]
    )
    shown = [
        ConversationTicket(ticket, list(getattr(ticket, "visible_messages", []))[-MAX_MESSAGES:])
        for ticket in tickets[:limit]
    ]
    return Conversation(tickets=shown, has_more=len(tickets) > limit)
