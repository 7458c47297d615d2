"""The ticket lifecycle as data: which status may follow which (DESIGN.md, "Ticket lifecycle")."""

from __future__ import annotations

from django.utils.translation import gettext as _

from closeloop.core.errors import InvalidTransition
from closeloop.tickets.models import Status

ALLOWED: dict[Status, frozenset[Status]] = {
    # A new ticket is resolved without an assignee only by the FAQ bot answering it.
    Status.NEW: frozenset({Status.ASSIGNED, Status.RESOLVED}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS}),
    Status.IN_PROGRESS: frozenset({Status.PENDING_CUSTOMER, Status.RESOLVED}),
    Status.PENDING_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    # Reopen (the customer rejects the solution or writes again) or archive.
    Status.RESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    # Only within the reopen window, which the reopen service checks.
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


def is_allowed(current: str, target: str) -> bool:
    """Whether the lifecycle lets a ticket go from ``current`` to ``target``."""
    return Status(target) in ALLOWED[Status(current)]


def check_transition(current: str, target: str) -> None:
    """Raise InvalidTransition unless ``current`` → ``target`` is in the table."""
    if not is_allowed(current, target):
        raise InvalidTransition(
            _("A ticket cannot go from %(current)s to %(target)s.")
            % {"current": Status(current).label, "target": Status(target).label},
            details={"from": str(current), "to": str(target)},
        )
