"""Every new ticket is triaged: a task queued in the ticket's own transaction (one commit
with the database task backend), so intake stays fast and nothing is triaged that was
rolled back. Replayed history (imports) is not triaged."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from closeloop.core.jobs import enqueue_with_transaction
from closeloop.tickets.models import EventType, Ticket, TicketEvent
from closeloop.tickets.signals import replaying_history, ticket_changed
from closeloop.triage.tasks import triage_task


@receiver(ticket_changed, sender=Ticket, dispatch_uid="triage.new_ticket")
def _triage_new_ticket(
    sender: Any, ticket: Ticket, events: list[TicketEvent], **kwargs: Any
) -> None:
    if replaying_history():
        return
    if any(event.type == EventType.CREATED for event in events):
        enqueue_with_transaction(triage_task, ticket.pk)
