"""The quality app's reaction to ticket changes: a ticket resolved (or closed) queues its
automatic checks, in the same transaction as the change (see core.jobs)."""

from __future__ import annotations

from typing import Any

from closeloop.tickets.models import EventType, Status, Ticket
from closeloop.tickets.signals import replaying_history, ticket_changed


def on_ticket_changed(*, ticket: Ticket, events: list[Any], **_kwargs: Any) -> None:
    """Queue the checks when the change resolved the ticket (or closed it unresolved).

    Replayed history (an import, the demo) queues nothing: the sweep back-fills it in bulk."""
    if replaying_history():
        return
    for event in events:
        if event.type != EventType.STATUS_CHANGED:
            continue
        target, source = event.after.get("status"), event.before.get("status")
        if target == Status.RESOLVED or (target == Status.CLOSED and source != Status.RESOLVED):
            from closeloop.core.jobs import enqueue_with_transaction
            from closeloop.quality.tasks import checks_run_task

            enqueue_with_transaction(checks_run_task, ticket.pk)
            return


def connect() -> None:
    """Connect the receivers (called once from QualityConfig.ready)."""
    ticket_changed.connect(on_ticket_changed, sender=Ticket, dispatch_uid="quality-checks")
