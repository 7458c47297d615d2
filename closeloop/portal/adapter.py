"""The portal as a channel: forms the customer submits are stored raw and read here into a
contact (a new request, or a reply threaded onto their ticket); an agent's reply on a portal
ticket is announced by mail ("you have a reply", with a link), because the reply itself is
read on the portal."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from closeloop.channels.adapters import Adapter, Parsed, Sender
from closeloop.channels.models import Delivery, InboundMessage
from closeloop.customers.models import Identity, IdentityKind
from closeloop.portal.mail import configured_route, portal_mail_send
from closeloop.portal.payload import (
    CHANNEL,
    REQUEST_KINDS,
    files_decode,
    request_body,
    request_meta,
    submission_read,
)
from closeloop.tickets.intake import Contact
from closeloop.tickets.models import AuthorKind, Kind, Message, Ticket, Touchpoint
from closeloop.tickets.services import MessageContent

PORTAL_RECIPIENT_PREFIX = "portal:"


def ticket_url(ticket: Ticket) -> str:
    """Where the customer reads a ticket on the portal."""
    return f"{settings.CLOSELOOP['PUBLIC_URL']}/tickets/{ticket.number}/"


def _customer_email(ticket: Ticket) -> str | None:
    latest = (
        Message.objects.filter(
            ticket_id=ticket.pk, channel=CHANNEL, author_kind=AuthorKind.CUSTOMER
        )
        .order_by("-created_at", "-id")
        .values_list("meta", flat=True)
        .first()
    )
    email = ((latest or {}).get("portal") or {}).get("email") if isinstance(latest, dict) else None
    if email:
        return str(email)
    return (
        Identity.objects.filter(customer_id=ticket.customer_id, kind=IdentityKind.EMAIL)
        .order_by("created_at", "id")
        .values_list("value", flat=True)
        .first()
    )


class PortalAdapter(Adapter):
    channel = CHANNEL

    def parse(self, inbound: InboundMessage) -> Parsed:
        submission = submission_read(bytes(inbound.raw))
        files = files_decode(submission)
        body = request_body(submission)
        if not body:
            return Parsed(ignore_reason="empty submission")
        sender = Sender(email=submission.email or None, name=submission.name.strip())
        content = MessageContent(meta=request_meta(submission))
        if submission.type == "reply":
            ticket_ids = list(
                Ticket.objects.filter(number=submission.ticket_number or 0).values_list(
                    "pk", flat=True
                )
            )
            contact = Contact(
                channel=CHANNEL,
                external_id=inbound.external_id,
                body=body,
                content=content,
                files=files,
                reply_to_ticket_ids=ticket_ids,
            )
            return Parsed(sender=sender, contact=contact)
        contact = Contact(
            channel=CHANNEL,
            external_id=inbound.external_id,
            body=body,
            subject=submission.subject.strip(),
            content=content,
            files=files,
            kind=REQUEST_KINDS.get(submission.kind, Kind.INQUIRY),
        )
        if submission.after_sales is not None:
            contact.touchpoint = Touchpoint.AFTER_SALE
        return Parsed(sender=sender, contact=contact)

    def recipient(self, ticket: Ticket, message: Message) -> str | None:
        return _customer_email(ticket) or f"{PORTAL_RECIPIENT_PREFIX}{ticket.customer_id}"

    def send(self, delivery: Delivery) -> str:
        ticket = delivery.ticket
        if delivery.recipient.startswith(PORTAL_RECIPIENT_PREFIX):
            # No address to tell them at: the reply waits on the portal, where they read it.
            delivery.meta = {**delivery.meta, "delivered_to": "portal"}
            return f"portal-{delivery.message_id}"
        route = configured_route()
        if route is None:
            delivery.meta = {**delivery.meta, "delivered_to": "portal", "mail": "not configured"}
            return f"portal-{delivery.message_id}"
        language = _ticket_language(ticket)
        with override(language):
            subject = _("You have a reply on request #%(number)s") % {"number": ticket.number}
            body = _(
                "Hello,\n\nWe have replied to your request #%(number)s (%(subject)s).\n"
                "Read the reply and answer it here:\n%(url)s\n\n"
                "You may need to sign in with this email address first.\n"
            ) % {"number": ticket.number, "subject": ticket.subject, "url": ticket_url(ticket)}
        delivery.meta = {**delivery.meta, "delivered_to": "email"}
        return portal_mail_send(route, to=delivery.recipient, subject=subject, body=body)


def _ticket_language(ticket: Ticket) -> str:
    meta = (
        Message.objects.filter(
            ticket_id=ticket.pk, channel=CHANNEL, author_kind=AuthorKind.CUSTOMER
        )
        .order_by("-created_at", "-id")
        .values_list("meta", flat=True)
        .first()
    )
    language = ((meta or {}).get("portal") or {}).get("language") if isinstance(meta, dict) else ""
    return "zh-hans" if str(language or "").lower().startswith("zh") else "en"
