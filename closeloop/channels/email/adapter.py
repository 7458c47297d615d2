"""The email channel: customers write to a support mailbox (IMAP polling or a provider's
webhook), agents answer by SMTP, and the thread stays one ticket through Message-IDs.

Machine mail (auto-replies, bounces, bulk) is stored and ignored; a bounce of one of our
replies marks that delivery failed on its ticket.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from closeloop.channels.adapters import Adapter, MalformedInput, Parsed, Sender, register
from closeloop.channels.delivery import delivery_fail
from closeloop.channels.email.imap import email_poll_sweep
from closeloop.channels.email.noise import Noise, classify_noise
from closeloop.channels.email.outbound import latest_customer_email, smtp_send
from closeloop.channels.email.parse import ParsedEmail, parse_email
from closeloop.channels.models import Delivery, DeliveryStatus, InboundMessage, Mailbox
from closeloop.core import schedule
from closeloop.core.cache import ProcessCache
from closeloop.customers.models import IdentityKind
from closeloop.tickets.intake import Contact
from closeloop.tickets.models import Message, Ticket
from closeloop.tickets.services import MessageContent

CHANNEL = "email"
NO_TEXT = "(no text)"


def _fail_bounced(noise: Noise) -> int:
    """Mark our deliveries a permanent bounce names as failed; return how many."""
    if not noise.bounced_ids or not noise.is_permanent:
        return 0
    failed = 0
    deliveries = Delivery.objects.filter(
        channel=CHANNEL,
        external_id__in=noise.bounced_ids[:50],
        status__in=[DeliveryStatus.SENT, DeliveryStatus.SENDING, DeliveryStatus.PENDING],
    )
    for delivery in deliveries:
        reason = f"bounced: {noise.bounce_detail}" if noise.bounce_detail else "bounced"
        delivery_fail(delivery, DeliveryStatus.FAILED, reason)
        failed += 1
    return failed


# Our own addresses, read on every inbound mail and changed rarely.
_own_addresses = ProcessCache(seconds=10.0)


def clear_own_addresses(**_kwargs: object) -> None:
    """Forget the cached addresses (a mailbox was saved or deleted here; between tests)."""
    _own_addresses.clear()


post_save.connect(clear_own_addresses, sender=Mailbox, dispatch_uid="email.own_addresses")
post_delete.connect(clear_own_addresses, sender=Mailbox, dispatch_uid="email.own_addresses")


def _load_own_addresses() -> frozenset[str]:
    return frozenset(
        address.lower() for address in Mailbox.objects.values_list("address", flat=True)
    )


def _is_own_mail(parsed: ParsedEmail) -> bool:
    """Mail from one of our own mailboxes (a forwarding loop) is never a customer's."""
    if not parsed.from_address:
        return False
    return parsed.from_address.lower() in _own_addresses.get("addresses", _load_own_addresses)


def _body(parsed: ParsedEmail, inbound: InboundMessage) -> str:
    body = parsed.new_text or parsed.text or ""
    if inbound.meta.get("truncated"):
        note = f"(The message of {inbound.meta.get('size', '?')} bytes was over the size limit.)"
        body = f"{body}\n\n{note}".strip()
    return body or NO_TEXT


class EmailAdapter(Adapter):
    channel = CHANNEL

    def parse(self, inbound: InboundMessage) -> Parsed:
        parsed = parse_email(bytes(inbound.raw))
        noise = classify_noise(parsed)
        if noise.reason:
            if noise.reason == "bounce":
                _fail_bounced(noise)
            return Parsed(ignore_reason=noise.reason)
        if not parsed.from_address:
            raise MalformedInput("The message has no sender address (From).")
        if _is_own_mail(parsed):
            return Parsed(ignore_reason="own_mailbox")
        reply_to = parsed.reply_to or parsed.from_address
        meta: dict[str, Any] = {
            "reply_to": reply_to,
            "to": parsed.to,
            "cc": parsed.cc,
            "message_id": parsed.message_id,
            "date": parsed.date.isoformat() if parsed.date else None,
            "defects": parsed.defects,
        }
        if inbound.meta.get("mailbox"):
            meta["mailbox"] = inbound.meta["mailbox"]
        if parsed.signature:
            meta["signature"] = parsed.signature
        contact = Contact(
            channel=CHANNEL,
            external_id=inbound.external_id,
            subject=parsed.subject,
            body=_body(parsed, inbound),
            content=MessageContent(html=parsed.html, quoted_text=parsed.quoted_text, meta=meta),
            files=parsed.files,
        )
        references = [*parsed.references, *([parsed.in_reply_to] if parsed.in_reply_to else [])]
        return Parsed(
            sender=Sender(email=parsed.from_address, name=parsed.from_name[:200]),
            contact=contact,
            references=list(dict.fromkeys(references)),
        )

    def recipient(self, ticket: Ticket, message: Message) -> str | None:
        latest = latest_customer_email(ticket)
        if latest is not None and (latest.meta or {}).get("reply_to"):
            return str(latest.meta["reply_to"])
        return (
            ticket.customer.identities.filter(Q(kind=IdentityKind.EMAIL))
            .order_by("-created_at")
            .values_list("value", flat=True)
            .first()
        )

    def send(self, delivery: Delivery) -> str:
        return smtp_send(delivery)


register(EmailAdapter())
schedule.register("channels.email_poll", email_poll_sweep)
