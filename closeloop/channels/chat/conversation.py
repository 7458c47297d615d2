"""What the chat socket asks the database (run through ``database_sync_to_async``): the widget,
whether the team is online, the visitor's history, and storing a visitor's message.

A visitor sees only their own side of a conversation: the messages they wrote in chat and
the replies delivered to them in chat, never the rest of a customer record that their email
address may have joined.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from closeloop.channels.models import ChatWidget, Delivery, InboundMessage
from closeloop.channels.pipeline import inbound_receive_now
from closeloop.channels.signing import InvalidSignature, verify_value
from closeloop.core import clock
from closeloop.core.models import Organization
from closeloop.customers.identities import normalize_email, normalize_phone
from closeloop.customers.models import Identity, IdentityKind
from closeloop.sla.policies import calendar_named
from closeloop.tickets.models import OPEN_STATUSES, AuthorKind, Message, Ticket

CHANNEL = "chat"
HISTORY_LIMIT = 50
CATCH_UP_LIMIT = 500
BOT_FRAME_KEYS = ("kind", "choices", "none", "feedback", "article")


@dataclass(frozen=True)
class VisitorDetails:
    """What a visitor told us about themselves (checked, normalised)."""

    name: str = ""
    email: str = ""
    phone: str = ""
    # The host page signed the email and phone (it knows who is signed in): they prove who
    # the visitor is. Details typed into the widget only claim it.
    verified: bool = False

    def as_meta(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value}


def details_check(
    *, name: str, email: str, phone: str, widget: ChatWidget | None = None, signature: str = ""
) -> VisitorDetails:
    """Normalise a visitor's details; raise ``InvalidInput`` for an unusable email or phone
    and ``InvalidSignature`` for a signature that does not match them."""
    verified = False
    if signature:
        # Signed as the page gave them, before normalising (the page computes it the same way).
        if widget is None or not verify_value(
            widget.identity_secret, "\n".join([email, phone]), signature
        ):
            raise InvalidSignature(_("The identity signature does not match the details."))
        verified = bool(email or phone)
    region = Organization.cached().default_phone_region
    return VisitorDetails(
        name=name[:200],
        email=normalize_email(email) if email else "",
        phone=normalize_phone(phone, default_region=region) if phone else "",
        verified=verified,
    )


def widget_by_key(key: str) -> ChatWidget | None:
    """The enabled widget with this key, with its calendar."""
    if not key or len(key) > 64:
        return None
    return ChatWidget.objects.select_related("calendar").filter(key=key, enabled=True).first()


def origin_allowed(widget: ChatWidget, origin: str) -> bool:
    """Whether a page on ``origin`` may embed ``widget`` (no list: any origin)."""
    allowed = {line.strip().rstrip("/").lower() for line in widget.allowed_origins.splitlines()}
    allowed.discard("")
    return not allowed or origin.rstrip("/").lower() in allowed


def widget_online(widget: ChatWidget, at: datetime | None = None) -> bool:
    """Whether people answer now: the widget's calendar is open (no calendar: always)."""
    if widget.calendar is None:
        return True
    calendar = calendar_named(widget.calendar.name)
    return True if calendar is None else calendar.is_open(at or clock.now())


def _visitor_ticket_ids(visitor_id: str) -> list[int]:
    customer_id = (
        Identity.objects.filter(kind=IdentityKind.CHAT_VISITOR, value=visitor_id)
        .values_list("customer_id", flat=True)
        .first()
    )
    if customer_id is None:
        return []
    return list(
        Ticket.objects.filter(customer_id=customer_id)
        .order_by("-id")
        .values_list("pk", flat=True)[:100]
    )


def _visitor_messages(visitor_id: str, ticket_ids: list[int]) -> Any:
    delivered = Delivery.objects.filter(
        ticket_id__in=ticket_ids, channel=CHANNEL, recipient=visitor_id
    ).values("message_id")
    return Message.objects.filter(ticket_id__in=ticket_ids, is_public=True).filter(
        Q(
            author_kind=AuthorKind.CUSTOMER,
            channel=CHANNEL,
            external_id__startswith=f"{visitor_id}:",
        )
        | Q(pk__in=delivered)
    )


def visitor_history(visitor_id: str, *, after_id: int | None = None) -> list[dict[str, Any]]:
    """The visitor's messages as frames: all after ``after_id``, or the latest ones."""
    ticket_ids = _visitor_ticket_ids(visitor_id)
    if not ticket_ids:
        return []
    messages = _visitor_messages(visitor_id, ticket_ids).select_related("author_agent")
    if after_id is not None:
        rows = list(messages.filter(pk__gt=after_id).order_by("pk")[:CATCH_UP_LIMIT])
    else:
        rows = list(messages.order_by("-pk")[:HISTORY_LIMIT])[::-1]
    return [message_frame(message) for message in rows]


def visitor_ticket(visitor_id: str) -> dict[str, Any] | None:
    """The visitor's open chat conversation (the ticket their next message threads onto)."""
    ticket_ids = _visitor_ticket_ids(visitor_id)
    ticket = (
        Ticket.objects.filter(pk__in=ticket_ids, status__in=OPEN_STATUSES)
        .filter(messages__channel=CHANNEL, messages__external_id__startswith=f"{visitor_id}:")
        .order_by("-updated_at", "-id")
        .first()
    )
    return None if ticket is None else ticket_facts(ticket)


def ticket_facts(ticket: Ticket) -> dict[str, Any]:
    """How a frame names a ticket."""
    return {"id": ticket.pk, "number": ticket.number, "status": ticket.status}


SURVEY_FRAME_KEYS = ("url", "min", "max", "low", "high", "question", "type")


def message_frame(message: Message) -> dict[str, Any]:
    """A ``message`` frame as the visitor sees it."""
    author = {
        AuthorKind.CUSTOMER: "visitor",
        AuthorKind.AGENT: "agent",
        AuthorKind.BOT: "bot",
    }.get(AuthorKind(message.author_kind), "system")
    agent = message.author_agent if message.author_agent_id else None
    frame: dict[str, Any] = {
        "type": "message",
        "id": message.pk,
        "ticket_id": message.ticket_id,
        "author": author,
        "name": agent.display_name if agent is not None else "",
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }
    client_id = (message.meta or {}).get("client_id")
    if author == "visitor" and client_id:
        frame["client_id"] = client_id
    bot = (message.meta or {}).get("bot")
    if author == "bot" and isinstance(bot, dict):
        # The bot's choices and yes/no, so the widget can offer them as buttons.
        frame["bot"] = {key: bot[key] for key in BOT_FRAME_KEYS if key in bot}
    survey = (message.meta or {}).get("survey")
    if author == "system" and isinstance(survey, dict) and survey.get("url"):
        # A satisfaction survey (closeloop.feedback): the widget shows the scale as buttons.
        frame["survey"] = {key: survey[key] for key in SURVEY_FRAME_KEYS if key in survey}
    return frame


def visitor_message_receive(
    *,
    visitor_id: str,
    widget: ChatWidget,
    client_id: str,
    raw: bytes,
    details: VisitorDetails,
    offline: bool,
    origin: str,
) -> dict[str, Any]:
    """Store the raw frame and put it on the visitor's conversation; return what to answer:
    ``{"id", "ticket"}``, or ``{"error"}`` when the content was refused.

    Keyed by ``<visitor>:<client_id>``: a frame resent after a reconnect is stored once and
    answered with the same message id.
    """
    meta = {
        "visitor_id": visitor_id,
        "client_id": client_id,
        "widget": widget.key,
        "origin": origin[:200],
        "offline": offline,
        **details.as_meta(),
    }
    inbound: InboundMessage = inbound_receive_now(
        channel=CHANNEL,
        external_id=f"{visitor_id}:{client_id}",
        raw=raw,
        content_type="application/json",
        meta=meta,
    )
    if inbound.message_id is None or inbound.ticket_id is None:
        return {"error": inbound.error or str(inbound.status)}
    ticket = Ticket.objects.get(pk=inbound.ticket_id)
    return {"id": inbound.message_id, "ticket": ticket_facts(ticket)}


def ticket_visitor(ticket_id: int) -> str | None:
    """The visitor a reply on this ticket goes to in chat: the one who wrote last there."""
    meta = (
        Message.objects.filter(
            ticket_id=ticket_id, author_kind=AuthorKind.CUSTOMER, channel=CHANNEL
        )
        .order_by("-created_at", "-id")
        .values_list("meta", flat=True)
        .first()
    )
    if isinstance(meta, str):  # a JSON column read through values_list on some backends
        meta = json.loads(meta)
    visitor = (meta or {}).get("visitor_id")
    return visitor if isinstance(visitor, str) else None
