"""Signals the tickets app sends. Documented here, where they are sent from.

``ticket_changed`` is sent by every service in ``closeloop.tickets.services`` *inside* its
transaction, after the ticket row and its new TicketEvents are written, with
``ticket`` (the updated instance) and ``events`` (the new TicketEvent rows, in order).
Receivers run in the same transaction: an exception aborts the whole change. Connected:
``closeloop.sla.receivers`` (re-derives the ticket's SLA clocks from its events).

``ticket_opening`` is sent by ``ticket_create`` just *before* the new ticket row is inserted,
with the unsaved ``ticket``. Receivers may fill in columns derived from it and must not write
anything themselves; ``closeloop.sla.receivers`` sets the SLA inbox summary here, so a new
ticket is written once instead of inserted and then updated.

``ticket_committed`` is sent *after* that transaction commits, with ``ticket_id`` and
``event_types``; for work that must not run on a rolled-back change (live updates, webhooks).
"""

from django.dispatch import Signal

ticket_opening = Signal()
ticket_changed = Signal()
ticket_committed = Signal()
