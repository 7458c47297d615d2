"""Receiving a customer's contact from any channel: thread it onto the ticket it belongs to,
or open a new one. Channel adapters call ``ticket_receive``; it knows nothing of channels.

Threading, in order:
1. Explicit evidence from the channel (an email's In-Reply-To / References, resolved by the
   adapter to ticket ids), then a ticket number quoted in the subject. Only tickets of the
   same customer count, so nobody can write into someone else's ticket by quoting its number.
2. The customer's open ticket most recently active within the organisation's threading window,
   when the contact is about the same matter: a conversational channel (chat, WeChat, app,
   phone), or the same subject.
A matched ticket that is closed past its reopen window is not reopened: a new ticket opens,
linked to it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from closeloop.core import clock, sql
from closeloop.core.models import Organization
from closeloop.customers.models import Customer
from closeloop.tickets.changes import Actor, TicketClosed
from closeloop.tickets.models import (
    OPEN_STATUSES,
    Attachment,
    Kind,
    Message,
    Priority,
    Ticket,
    Touchpoint,
)
from closeloop.tickets.services import MessageContent, message_add, ticket_open

# Channels where a new message from someone with an open conversation continues it.
CONVERSATIONAL_CHANNELS = frozenset({"chat", "wechat", "app", "phone"})
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|vs|antw|回复|答复|转发)\s*[:：]\s*)+", re.I)
_TICKET_NUMBER = re.compile(r"\[#?(?:[A-Z]{1,10}-?)?(\d{1,15})\]")


def normalize_subject(subject: str) -> str:
    """A subject without reply/forward prefixes and case, to compare two subjects."""
    without_number = _TICKET_NUMBER.sub("", subject or "")
    return " ".join(_SUBJECT_PREFIX.sub("", without_number).split()).casefold()


def ticket_number_in(subject: str) -> int | None:
    """The ticket number quoted in a subject as ``[#10042]`` or ``[CL-10042]``, if any."""
    match = _TICKET_NUMBER.search(subject or "")
    return int(match.group(1)) if match else None


def subject_tag(ticket: Ticket) -> str:
    """How outbound subjects quote the ticket number, so replies thread without headers."""
    return f"[#{ticket.number}]"


@dataclass
class IncomingFile:
    """A file that came with a message, before it is stored."""

    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    is_inline: bool = False


@dataclass
class Contact:
    """One customer message from any channel, channel-independent."""

    channel: str
    external_id: str
    body: str
    subject: str = ""
    content: MessageContent = field(default_factory=MessageContent)
    files: list[IncomingFile] = field(default_factory=list)
    # Tickets the channel says this replies to (strongest evidence first).
    reply_to_ticket_ids: Sequence[int] = ()
    kind: str = Kind.INQUIRY
    priority: str = Priority.MEDIUM
    touchpoint: str = Touchpoint.AFTER_SALE


@dataclass
class Received:
    """What ``ticket_receive`` did with a contact."""

    ticket: Ticket
    message: Message
    opened: bool  # a new ticket was opened
    threaded_by: (
        str  # "reference", "subject_number", "open_ticket", "new", "follow_up", "duplicate"
    )
    attachments: list[Attachment] = field(default_factory=list)


def _subject_for(contact: Contact) -> str:
    subject = (contact.subject or "").strip()
    if subject:
        return subject[:300]
    first_line = next((line.strip() for line in contact.body.splitlines() if line.strip()), "")
    return first_line[:80] or contact.channel


def _matched_ticket(customer: Customer, contact: Contact) -> tuple[Ticket | None, str]:
    ids = list(dict.fromkeys(ticket_id for ticket_id in contact.reply_to_ticket_ids if ticket_id))
    if ids:
        owned = {
            ticket_id
            for (ticket_id,) in sql.select(
                f"SELECT id FROM {sql.table(Ticket)} "  # noqa: S608
                f"WHERE customer_id = %s AND id IN ({', '.join(['%s'] * len(ids))})",
                [customer.pk, *ids],
            )
        }
        for ticket_id in ids:
            if ticket_id in owned:
                return sql.get(Ticket, ticket_id), "reference"
    number = ticket_number_in(contact.subject)
    if number is not None:
        ticket = Ticket.objects.filter(number=number, customer=customer).first()
        if ticket is not None:
            return ticket, "subject_number"
    hours = Organization.cached().thread_window_hours
    if not hours:
        return None, ""
    # Asked for every contact: one compiled read of the customer's recently active open
    # tickets (few), the full row only for the one that matches.
    rows = sql.select(
        f"SELECT id, subject FROM {sql.table(Ticket)} "  # noqa: S608
        f"WHERE customer_id = %s AND status IN ({', '.join(['%s'] * len(OPEN_STATUSES))}) "
        "AND updated_at >= %s ORDER BY updated_at DESC, id DESC LIMIT 20",
        [customer.pk, *OPEN_STATUSES, _timestamp(clock.now() - timedelta(hours=hours))],
    )
    wanted = (
        None if contact.channel in CONVERSATIONAL_CHANNELS else normalize_subject(contact.subject)
    )
    for ticket_id, subject in rows:
        if wanted is None or (wanted and normalize_subject(subject) == wanted):
            return sql.get(Ticket, ticket_id), "open_ticket"
    return None, ""


def _timestamp(moment: datetime) -> Any:
    """A timestamp parameter for a hand-written read, as the ORM would pass it."""
    return Ticket._meta.get_field("updated_at").get_db_prep_value(
        moment, connection=transaction.get_connection()
    )


@transaction.atomic(savepoint=False)  # nothing is caught here that needs a savepoint
def ticket_receive(*, customer: Customer, contact: Contact) -> Received:
    """Put a customer's contact on the ticket it belongs to, or open one; idempotent on
    (channel, external_id): receiving the same contact twice stores it once (message_add and
    ticket_open return the message stored the first time)."""
    ticket, how = _matched_ticket(customer, contact)
    if ticket is not None:
        try:
            message = message_add(
                ticket=ticket,
                body=contact.body,
                actor=Actor.customer(),
                channel=contact.channel,
                external_id=contact.external_id,
                content=contact.content,
            )
        except TicketClosed:
            return _open(customer, contact, related_to=ticket, how="follow_up")
        # message_add worked on a locked, fresh copy of the ticket: the message carries it.
        received = Received(message.ticket, message, opened=False, threaded_by=how)
    else:
        return _open(customer, contact, related_to=None, how="new")
    received.attachments = attachments_store(message, contact.files)
    return received


def _open(customer: Customer, contact: Contact, *, related_to: Ticket | None, how: str) -> Received:
    ticket, message = ticket_open(
        customer=customer,
        subject=_subject_for(contact),
        body=contact.body,
        channel=contact.channel,
        actor=Actor.customer(),
        kind=contact.kind,
        priority=contact.priority,
        touchpoint=contact.touchpoint,
        external_id=contact.external_id,
        related_to=related_to,
        content=contact.content,
    )
    received = Received(ticket, message, opened=True, threaded_by=how)
    received.attachments = attachments_store(message, contact.files)
    return received


def max_attachment_bytes() -> int:
    from django.conf import settings

    return int(settings.CLOSELOOP["MAX_ATTACHMENT_BYTES"])


def attachments_store(message: Message, files: Sequence[IncomingFile]) -> list[Attachment]:
    """Store a message's files; one over the size limit is recorded without its content."""
    if not files:
        return []
    limit = max_attachment_bytes()
    now = clock.now()
    stored: list[Attachment] = []
    for incoming in files:
        name = _safe_filename(incoming.filename)
        attachment = Attachment(
            message=message,
            filename=name,
            content_type=(incoming.content_type or "application/octet-stream")[:150],
            size=len(incoming.data),
            content_id=incoming.content_id[:255],
            is_inline=incoming.is_inline,
            created_at=now,
        )
        if len(incoming.data) > limit:
            attachment.refused_reason = "too_large"
        else:
            attachment.sha256 = hashlib.sha256(incoming.data).hexdigest()
            attachment.file.save(name, ContentFile(incoming.data), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def _safe_filename(name: str) -> str:
    """The last path part only (a sender cannot pick our directories), without control or
    reserved characters."""
    base = re.split(r"[\\/]", (name or "").strip())[-1]
    cleaned = _UNSAFE_FILENAME.sub("_", base).strip(". ")
    return cleaned[-200:] or "attachment"
