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

While history is replayed (``closeloop import``, the demo), ``replaying_history()`` is true:
the changes happened long ago, so receivers that reach the outside world (sending replies
to customers, pushing live updates) do nothing; the SLA clocks are still derived.

``ticket_committed`` is sent *after* that transaction commits, with ``ticket_id`` and
``event_types``; for work that must not run on a rolled-back change (live updates, webhooks).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.dispatch import Signal

ticket_opening = Signal()
ticket_changed = Signal()
ticket_committed = Signal()

_replaying: ContextVar[bool] = ContextVar("closeloop_replaying_history", default=False)


@contextmanager
def history_replay() -> Iterator[None]:
    """Mark the changes made inside as replayed history (an import), not new contacts."""
    token = _replaying.set(True)
    try:
        yield
    finally:
        _replaying.reset(token)


def replaying_history() -> bool:
    """Whether the current change is replayed history (see ``history_replay``)."""
    return _replaying.get()
