"""The feedback app's reactions to ticket changes (connected in FeedbackConfig.ready).

* A ticket resolved (by a person or the FAQ bot) schedules its satisfaction survey; history
  replayed by an import does not (those customers were served long ago).
* A survey message the channel refused (WeChat's reply window closed after all) is sent by
  email instead, or the invitation is recorded as blocked.
"""

from __future__ import annotations

from typing import Any

from closeloop.tickets.models import EventType, Status, Ticket, TicketEvent
from closeloop.tickets.signals import replaying_history


def on_ticket_changed(
    sender: Any, ticket: Ticket, events: list[TicketEvent], **kwargs: Any
) -> None:
    """Schedule surveys on resolution; fall back to email when a survey was not delivered."""
    if replaying_history():
        return
    for event in events:
        if event.type == EventType.STATUS_CHANGED and event.after.get("status") == Status.RESOLVED:
            from closeloop.feedback.invitations import invitations_schedule

            invitations_schedule(ticket=ticket)
        elif event.type == EventType.DELIVERY_FAILED:
            from closeloop.feedback.invitations import invitation_delivery_failed

            message_id = event.after.get("message_id")
            if message_id:
                invitation_delivery_failed(
                    ticket=ticket,
                    message_id=int(message_id),
                    blocked=bool(event.after.get("blocked")),
                )
