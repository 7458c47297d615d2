"""The transition table, on its own."""

import pytest

from closeloop.core.errors import InvalidTransition
from closeloop.tickets.lifecycle import ALLOWED, check_transition, is_allowed
from closeloop.tickets.models import Status

EXPECTED_EDGES = {
    ("new", "assigned"),
    ("new", "resolved"),  # the FAQ bot only (ticket_resolve narrows it for everyone else)
    ("assigned", "in_progress"),
    ("in_progress", "pending_customer"),
    ("in_progress", "resolved"),
    ("pending_customer", "in_progress"),
    ("pending_customer", "resolved"),
    ("resolved", "in_progress"),
    ("resolved", "closed"),
    ("closed", "in_progress"),
}


def test_table_has_exactly_the_designed_edges():
    edges = {(str(a), str(b)) for a, targets in ALLOWED.items() for b in targets}
    assert edges == EXPECTED_EDGES


def test_every_status_has_a_row():
    assert set(ALLOWED) == set(Status)


@pytest.mark.parametrize("current", [s.value for s in Status])
@pytest.mark.parametrize("target", [s.value for s in Status])
def test_check_transition_agrees_with_table(current, target):
    if (current, target) in EXPECTED_EDGES:
        check_transition(current, target)
        assert is_allowed(current, target)
    else:
        with pytest.raises(InvalidTransition) as error:
            check_transition(current, target)
        assert error.value.code == "invalid_transition"
        assert error.value.details == {"from": current, "to": target}
