"""Replies go out: every public agent or bot message becomes a Delivery on the channel it was
written for, created in the same transaction as the message (so no reply is lost), and sent
after commit (inline for chat, by the worker for the rest).

A public *system* message goes out too when its meta asks for it (``{"deliver": true}``): the
satisfaction survey invitation (closeloop.feedback) travels this way, with the same retries and
blocked-channel handling as a reply, without counting as one.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from closeloop.channels.adapters import adapter_for
from closeloop.channels.models import Delivery, DeliveryStatus
from closeloop.channels.tasks import delivery_send_task
from closeloop.core import clock, sql
from closeloop.core.jobs import enqueue_with_transaction
from closeloop.tickets.models import AuthorKind, EventType, Message, Ticket, TicketEvent
from closeloop.tickets.signals import replaying_history, ticket_changed

REPLY_AUTHORS = frozenset({AuthorKind.AGENT, AuthorKind.BOT})


@receiver(ticket_changed, sender=Ticket, dispatch_uid="channels.deliveries")
def _create_deliveries(
    sender: Any, ticket: Ticket, events: list[TicketEvent], **kwargs: Any
) -> None:
    if replaying_history():
        return  # an imported reply reached its customer long ago
    for event in events:
        if event.type != EventType.MESSAGE_ADDED:
            continue
        facts = event.after
        if not facts.get("is_public"):
            continue
        author = facts.get("author_kind")
        if author not in REPLY_AUTHORS and author != AuthorKind.SYSTEM:
            continue
        adapter = adapter_for(facts.get("channel", ""))
        if adapter is None or not adapter.sends:
            continue
        message = sql.get(Message, facts["message_id"])
        if author == AuthorKind.SYSTEM and not (message.meta or {}).get("deliver"):
            continue
        recipient = adapter.recipient(ticket, message)
        now = clock.now()
        delivery = Delivery(
            message=message,
            ticket=ticket,
            channel=adapter.channel,
            recipient=(recipient or "")[:320],
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        sql.insert([delivery])
        if adapter.send_inline:
            # robust: a failed push must not fail the committed reply; the retry sweep
            # sends the still-pending delivery.
            transaction.on_commit(partial(_send_now, delivery.pk), robust=True)
        else:
            enqueue_with_transaction(delivery_send_task, delivery.pk)


def _send_now(delivery_id: int) -> None:
    from closeloop.channels.delivery import delivery_send

    delivery_send(delivery_id)
