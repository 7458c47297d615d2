"""The mobile app channel: messages an app backend relays from its in-app support screen, and
agent replies POSTed back to that backend (signed) so it can show them and push a notification.

The HTTP handler (``api.py``) has already checked the integration key and the user's identity
signature before the raw body was stored; ``parse`` reads the stored body again.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from closeloop.channels.adapters import (
    Adapter,
    MalformedInput,
    Parsed,
    PermanentFailure,
    Sender,
    register,
)
from closeloop.channels.app.payload import (
    AppMessageIn,
    attachments_decode,
    handles_check,
    message_body,
    message_meta,
)
from closeloop.channels.models import Delivery, InboundMessage, Integration, IntegrationKind
from closeloop.channels.webhooks import post_signed
from closeloop.core.errors import CloseloopError
from closeloop.tickets.intake import Contact
from closeloop.tickets.models import AuthorKind, Message, Ticket
from closeloop.tickets.services import MessageContent

CHANNEL = "app"


def app_message_read(raw: bytes) -> AppMessageIn:
    """The stored request body as a message; MalformedInput when it cannot be read."""
    try:
        return AppMessageIn.model_validate_json(raw)
    except ValidationError as error:
        raise MalformedInput(f"not an app message: {error.errors()[:3]}") from None


def _latest_app_facts(ticket: Ticket, message: Message | None = None) -> dict[str, Any] | None:
    """The app facts (integration, app user) of the customer's latest app message on this
    ticket up to ``message``, or else on any of the customer's tickets."""
    customer_messages = Message.objects.filter(
        channel=CHANNEL, author_kind=AuthorKind.CUSTOMER
    ).order_by("-created_at", "-id")
    if message is not None and message.created_at is not None:
        customer_messages = customer_messages.filter(created_at__lte=message.created_at)
    for scope in (
        customer_messages.filter(ticket_id=ticket.pk),
        customer_messages.filter(ticket__customer_id=ticket.customer_id),
    ):
        meta = scope.values_list("meta", flat=True).first()
        facts = (meta or {}).get("app") if isinstance(meta, dict) else None
        if facts and facts.get("integration") and facts.get("app_user_id"):
            return dict(facts)
    return None


class AppAdapter(Adapter):
    channel = CHANNEL

    def parse(self, inbound: InboundMessage) -> Parsed:
        message = app_message_read(bytes(inbound.raw))
        integration_key = str(inbound.meta.get("integration", ""))
        try:
            handles = handles_check(message)
            files = attachments_decode(message)
            body = message_body(message)
        except CloseloopError as error:
            raise MalformedInput(str(error)) from None
        return Parsed(
            # The signature covered every handle given, so they are one person: merged.
            sender=Sender(
                app_user_id=handles["app_user_id"],
                email=handles.get("email"),
                phone=handles.get("phone"),
                name=message.name.strip(),
                proven=len(handles) > 1,
            ),
            contact=Contact(
                channel=CHANNEL,
                external_id=inbound.external_id,
                body=body,
                content=MessageContent(meta=message_meta(message, integration_key=integration_key)),
                files=files,
            ),
        )

    def recipient(self, ticket: Ticket, message: Message) -> str | None:
        facts = _latest_app_facts(ticket, message)
        return None if facts is None else str(facts["app_user_id"])

    def send(self, delivery: Delivery) -> str:
        ticket = delivery.ticket
        message = delivery.message
        facts = _latest_app_facts(ticket, message)
        if facts is None:
            raise PermanentFailure("the customer has never written from the app")
        integration = Integration.objects.filter(
            key=facts["integration"], kind=IntegrationKind.APP
        ).first()
        if integration is None or not integration.enabled:
            raise PermanentFailure(f"app integration {facts['integration']} is gone or disabled")
        if not integration.webhook_url:
            raise PermanentFailure(f"app integration {integration.name} has no webhook URL")
        delivery.meta = {**delivery.meta, "integration": integration.key}
        author = message.author_agent
        post_signed(
            integration.webhook_url,
            {
                "event": "message.created",
                "ticket": {
                    "id": ticket.pk,
                    "number": ticket.number,
                    "subject": ticket.subject,
                    "status": ticket.status,
                },
                "message": {
                    "id": message.pk,
                    "body": message.body,
                    "created_at": message.created_at.isoformat(),
                    "author": {
                        "kind": message.author_kind,
                        "name": author.display_name if author is not None else "",
                    },
                },
                "app_user_id": delivery.recipient,
            },
            secret=integration.secret,
            key=integration.key,
        )
        return f"app-{message.pk}"


register(AppAdapter())
