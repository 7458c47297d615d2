"""The sla app's reaction to ticket changes: re-derive the clocks in the same transaction."""

from __future__ import annotations

from typing import Any

from closeloop.tickets.models import Ticket
from closeloop.tickets.signals import ticket_changed, ticket_opening


def on_ticket_changed(*, ticket: Ticket, events: list[Any], **_kwargs: Any) -> None:
    """Recompute the ticket's SLA clocks unless every new event is clock-neutral."""
    from closeloop.sla.services import CLOCK_NEUTRAL_EVENTS, sla_recompute

    if all(event.type in CLOCK_NEUTRAL_EVENTS for event in events):
        return
    sla_recompute(ticket=ticket, new_events=events)


def on_ticket_opening(*, ticket: Ticket, **_kwargs: Any) -> None:
    """Set the new ticket's SLA summary before it is inserted."""
    from closeloop.sla.services import sla_prepare_new

    sla_prepare_new(ticket=ticket)


def connect() -> None:
    """Connect the receivers (called once from SlaConfig.ready)."""
    ticket_opening.connect(on_ticket_opening, sender=Ticket, dispatch_uid="sla-prepare")
    ticket_changed.connect(on_ticket_changed, sender=Ticket, dispatch_uid="sla-recompute")
