"""The one path every inbound payload takes, whatever the channel.

1. ``inbound_store``: keep the raw payload, keyed by the channel's own id. A retried delivery
   finds its row and stores nothing (the sender is answered at once either way).
2. ``inbound_process`` (a task, or inline for chat): the channel's adapter parses the payload;
   the customer is identified (and merged when the channel proves two handles are one
   person); ``tickets.intake.ticket_receive`` threads the message onto its ticket or opens
   one; attachments are stored; the row is marked processed. All of it in one transaction, so
   a crash leaves the row pending and the recovery sweep processes it again, exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from closeloop.channels.adapters import MalformedInput, Parsed, adapter_for
from closeloop.channels.models import Delivery, InboundMessage, InboundStatus
from closeloop.channels.tasks import inbound_process_task
from closeloop.core import clock, sql
from closeloop.core.errors import CloseloopError, ConcurrentChange
from closeloop.core.jobs import enqueue_with_transaction
from closeloop.customers.services import customer_attach_unowned, customer_identify
from closeloop.knowledge.bot.service import bot_on_customer_message
from closeloop.tickets.intake import Received, ticket_receive
from closeloop.tickets.models import Message

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Channels where the FAQ bot may answer a customer's message before a person does.
BOT_CHANNELS = frozenset({"chat", "wechat", "app"})


def recover_after() -> timedelta:
    """A pending row older than this was left by a worker that died (or a lost task)."""
    return timedelta(seconds=settings.CLOSELOOP["INBOUND_RECOVER_SECONDS"])


def inbound_store(
    *,
    channel: str,
    external_id: str,
    raw: bytes,
    content_type: str = "",
    meta: Mapping[str, Any] | None = None,
    enqueue: bool = True,
) -> tuple[InboundMessage, bool]:
    """Store a raw payload; return (row, created). A duplicate returns the existing row."""
    if not external_id:
        raise MalformedInput("An inbound message needs the channel's id for it.")
    inbound = InboundMessage(
        channel=channel,
        external_id=external_id[:255],
        raw=raw,
        content_type=content_type[:100],
        meta=dict(meta or {}),
        received_at=clock.now(),
    )
    with transaction.atomic(savepoint=False):
        created = sql.insert_if_new(inbound)
        if created and enqueue:
            enqueue_with_transaction(inbound_process_task, inbound.pk)
    if not created:
        return InboundMessage.objects.get(channel=channel, external_id=external_id[:255]), False
    return inbound, True


def tickets_for_references(channel: str, references: Iterable[str]) -> list[int]:
    """Ticket ids of earlier messages with these channel ids: the customer's own messages
    and our replies (by the id we sent them with), most recent reference first."""
    refs = list(dict.fromkeys(ref for ref in references if ref))[-50:]
    if not refs:
        return []
    marks = ", ".join(["%s"] * len(refs))
    # Every email reply asks this: one compiled read over both tables.
    rows = sql.select(
        f"SELECT external_id, ticket_id FROM {sql.table(Message)} "  # noqa: S608
        f"WHERE channel = %s AND external_id IN ({marks}) "
        f"UNION ALL SELECT external_id, ticket_id FROM {sql.table(Delivery)} "
        f"WHERE channel = %s AND external_id IN ({marks})",
        [channel, *refs, channel, *refs],
    )
    by_ref: dict[str, int] = {}
    for ref, ticket_id in rows:
        by_ref.setdefault(ref, ticket_id)
    ordered: list[int] = []
    for ref in reversed(refs):
        found = by_ref.get(ref)
        if found is not None and found not in ordered:
            ordered.append(found)
    return ordered


def inbound_process(inbound_id: int) -> InboundMessage:
    """Turn one stored payload into a message on its ticket (idempotent)."""
    try:
        with transaction.atomic():
            inbound = sql.get(InboundMessage, inbound_id, for_update=True)
            if inbound.status != InboundStatus.PENDING:
                return inbound
            _process(inbound)
            return inbound
    except MalformedInput as error:
        return _finish_unprocessed(inbound_id, InboundStatus.FAILED, str(error))
    except ConcurrentChange as error:
        # Someone changed the ticket at the same moment (another worker, an agent): the
        # payload is fine, so it stays pending and is tried again.
        return _count_failure(inbound_id, f"{error.code}: {error}")
    except CloseloopError as error:
        # The content is readable but not acceptable (an empty body, a control character):
        # flagged for a person to look at, not retried.
        return _finish_unprocessed(inbound_id, InboundStatus.FAILED, f"{error.code}: {error}")
    except Exception as error:
        logger.exception("Processing inbound message %s failed", inbound_id)
        return _count_failure(inbound_id, repr(error))


def _process(inbound: InboundMessage) -> None:
    adapter = adapter_for(inbound.channel)
    if adapter is None:
        raise MalformedInput(f"No adapter for channel {inbound.channel!r}.")
    parsed: Parsed = adapter.parse(inbound)
    now = clock.now()
    if parsed.ignore_reason or parsed.contact is None or parsed.sender is None:
        inbound.status = InboundStatus.IGNORED
        inbound.error = parsed.ignore_reason or "nothing to receive"
        inbound.processed_at = now
        inbound.save(update_fields=["status", "error", "processed_at"])
        return
    sender = parsed.sender
    customer = customer_identify(
        **sender.handles(),
        name=sender.name,
        proven=sender.proven,
        reason=f"{inbound.channel} message {inbound.external_id}",
    )
    if sender.claimed:
        customer_attach_unowned(customer=customer, **sender.claimed)
    contact = parsed.contact
    if parsed.references:
        contact.reply_to_ticket_ids = [
            *tickets_for_references(inbound.channel, parsed.references),
            *contact.reply_to_ticket_ids,
        ]
    received: Received = ticket_receive(customer=customer, contact=contact)
    adapter.on_received(inbound, received)
    if inbound.channel in BOT_CHANNELS:
        # The FAQ bot answers in the same transaction: its reply exists exactly when the
        # customer's message does.
        bot_on_customer_message(
            ticket=received.ticket, message=received.message, opened=received.opened
        )
    inbound.status = InboundStatus.PROCESSED
    inbound.processed_at = now
    inbound.ticket = received.ticket
    inbound.message = received.message
    inbound.attempts += 1
    sql.update(
        InboundMessage,
        inbound.pk,
        {
            "status": inbound.status,
            "processed_at": now,
            "ticket": received.ticket,
            "message": received.message,
            "attempts": inbound.attempts,
        },
    )
    transaction.on_commit(lambda: adapter.after_processed(inbound, received), robust=True)


def _finish_unprocessed(inbound_id: int, status: str, error: str) -> InboundMessage:
    with transaction.atomic():
        inbound = InboundMessage.objects.select_for_update().get(pk=inbound_id)
        inbound.status = status
        inbound.error = error[:2000]
        inbound.attempts += 1
        inbound.processed_at = clock.now()
        inbound.save(update_fields=["status", "error", "attempts", "processed_at"])
    return inbound


def _count_failure(inbound_id: int, error: str) -> InboundMessage:
    with transaction.atomic():
        inbound = InboundMessage.objects.select_for_update().get(pk=inbound_id)
        inbound.attempts += 1
        inbound.error = error[:2000]
        if inbound.attempts >= MAX_ATTEMPTS:
            inbound.status = InboundStatus.FAILED
            inbound.processed_at = clock.now()
        inbound.save(update_fields=["status", "error", "attempts", "processed_at"])
    return inbound


def inbound_recover(*, limit: int = 500) -> int:
    """Process pending payloads left behind (a worker killed mid-task); return how many."""
    cutoff = clock.now() - recover_after()
    ids = list(
        InboundMessage.objects.filter(status=InboundStatus.PENDING, received_at__lte=cutoff)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for inbound_id in ids:
        inbound_process(inbound_id)
    return len(ids)


def inbound_receive_now(
    *, channel: str, external_id: str, raw: bytes, content_type: str = "", meta: Mapping[str, Any]
) -> InboundMessage:
    """Store and process at once (chat: the visitor waits for their message to show)."""
    inbound, created = inbound_store(
        channel=channel,
        external_id=external_id,
        raw=raw,
        content_type=content_type,
        meta=meta,
        enqueue=False,
    )
    if inbound.status == InboundStatus.PENDING:
        inbound = inbound_process(inbound.pk)
    return inbound
