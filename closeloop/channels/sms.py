"""SMS, outbound only: a reply the agent sends by text message through the operator's gateway
(``CLOSELOOP_SMS_GATEWAY_URL``), e.g. when WeChat's reply window has closed. The gateway
receives signed JSON ``{"to", "text", "ticket", "message_id"}``."""

from __future__ import annotations

from django.conf import settings

from closeloop.channels.adapters import Adapter, PermanentFailure, register
from closeloop.channels.models import Delivery
from closeloop.channels.webhooks import post_signed
from closeloop.customers.models import IdentityKind
from closeloop.tickets.models import Message, Ticket


class SmsAdapter(Adapter):
    channel = "sms"

    def recipient(self, ticket: Ticket, message: Message) -> str | None:
        return (
            ticket.customer.identities.filter(kind=IdentityKind.PHONE)
            .order_by("-created_at")
            .values_list("value", flat=True)
            .first()
        )

    def send(self, delivery: Delivery) -> str:
        url = settings.CLOSELOOP["SMS_GATEWAY_URL"]
        if not url:
            raise PermanentFailure("no SMS gateway is configured (CLOSELOOP_SMS_GATEWAY_URL)")
        post_signed(
            url,
            {
                "to": delivery.recipient,
                "text": delivery.message.body,
                "ticket": delivery.ticket.number,
                "message_id": delivery.message_id,
            },
            secret=settings.CLOSELOOP["SMS_GATEWAY_SECRET"],
        )
        return f"sms-{delivery.pk}"


register(SmsAdapter())
