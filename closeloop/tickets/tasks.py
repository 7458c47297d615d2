"""Scheduled ticket work, run by ``closeloop worker``."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="sweeps")
def tickets_autoclose_sweep() -> int:
    """Close resolved tickets whose confirmation window passed (idempotent)."""
    from closeloop.tickets.services import tickets_autoclose_due

    return tickets_autoclose_due()
