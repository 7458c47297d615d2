"""Sending replies: claim a due Delivery, hand it to its channel's adapter, and record the
outcome. Temporary failures are retried with growing delays; a permanent failure, or a reply
the channel refuses, is shown on the ticket."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from closeloop.channels.adapters import Blocked, PermanentFailure, RetryLater, adapter_for
from closeloop.channels.models import Delivery, DeliveryStatus
from closeloop.core import clock, sql
from closeloop.tickets.models import Ticket
from closeloop.tickets.services import ticket_record_delivery_failure

logger = logging.getLogger(__name__)

# Delay before attempt n+1 after n failed attempts; after the last, the delivery has failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)
# A delivery claimed this long ago by a worker that never reported back is tried again.
STALE_CLAIM = timedelta(minutes=10)


def _claim(delivery_id: int) -> Delivery | None:
    """Take a delivery for sending with a guarded update; None when it is not ours to send
    (sent, failed, or being sent by someone else). A claim a dead process left behind for
    longer than STALE_CLAIM is taken over."""
    now = clock.now()
    fields = {"status": DeliveryStatus.SENDING, "next_attempt_at": now}
    # Nearly every claim is of a pending delivery: one compiled statement (replies are sent
    # inside the agent's request for chat).
    claimed = sql.update(Delivery, delivery_id, fields, expect={"status": DeliveryStatus.PENDING})
    if claimed != 1:
        claimed = Delivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.SENDING,
            next_attempt_at__lte=now - STALE_CLAIM,
        ).update(**fields)
    if claimed != 1:
        return None
    return sql.get(Delivery, delivery_id)


def delivery_send(delivery_id: int) -> Delivery | None:
    """Try to send one delivery now; return it with its new status (None if not ours to send)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    adapter = adapter_for(delivery.channel)
    delivery.attempts += 1
    try:
        if adapter is None:
            raise PermanentFailure(f"no adapter for channel {delivery.channel}")
        if not delivery.recipient:
            raise PermanentFailure("the customer has no address on this channel")
        external_id = adapter.send(delivery)
    except RetryLater as error:
        _retry_or_fail(delivery, str(error))
    except PermanentFailure as error:
        delivery_fail(delivery, DeliveryStatus.FAILED, str(error))
    except Blocked as error:
        delivery_fail(
            delivery, DeliveryStatus.BLOCKED, error.reason, alternatives=error.alternatives
        )
    except Exception as error:  # an adapter bug must not lose the reply: retry it
        logger.exception("Sending delivery %s failed", delivery_id)
        _retry_or_fail(delivery, repr(error))
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = clock.now()
        delivery.external_id = (external_id or delivery.external_id)[:255]
        delivery.last_error = ""
        delivery.next_attempt_at = None
        delivery.save(
            update_fields=[
                "status",
                "sent_at",
                "external_id",
                "last_error",
                "attempts",
                "next_attempt_at",
                "meta",
            ]
        )
    return delivery


def _retry_or_fail(delivery: Delivery, error: str) -> None:
    if delivery.attempts > len(BACKOFF):
        delivery_fail(delivery, DeliveryStatus.FAILED, error)
        return
    delivery.status = DeliveryStatus.PENDING
    delivery.last_error = error[:2000]
    delivery.next_attempt_at = clock.now() + BACKOFF[delivery.attempts - 1]
    delivery.save(update_fields=["status", "last_error", "next_attempt_at", "attempts", "meta"])


def delivery_fail(
    delivery: Delivery,
    status: str,
    error: str,
    *,
    alternatives: list[dict[str, str]] | None = None,
) -> None:
    """Mark a delivery failed or blocked for good and show it on the ticket (a bounce that
    names our Message-ID lands here too)."""
    with transaction.atomic():
        delivery.status = status
        delivery.last_error = error[:2000]
        delivery.next_attempt_at = None
        if alternatives:
            delivery.meta = {**delivery.meta, "alternatives": alternatives}
        delivery.save(update_fields=["status", "last_error", "next_attempt_at", "attempts", "meta"])
        ticket_record_delivery_failure(
            ticket=Ticket.objects.get(pk=delivery.ticket_id),
            message_id=delivery.message_id,
            channel=delivery.channel,
            reason=error,
            blocked=status == DeliveryStatus.BLOCKED,
            alternatives=alternatives or (),
        )


def deliveries_due(*, limit: int = 200) -> list[int]:
    """Deliveries whose next attempt is due (and claims a dead worker left behind)."""
    now = clock.now()
    return list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, next_attempt_at__lte=now - STALE_CLAIM)
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def deliveries_retry(*, limit: int = 200) -> int:
    """Send every due delivery; return how many were attempted."""
    attempted = 0
    for delivery_id in deliveries_due(limit=limit):
        if delivery_send(delivery_id) is not None:
            attempted += 1
    return attempted
