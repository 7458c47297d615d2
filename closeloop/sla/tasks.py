"""Scheduled SLA work, run by ``closeloop worker``."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="sweeps")
def sla_sweep() -> dict[str, int]:
    """Fire the SLA warnings and breaches that are due (idempotent)."""
    from closeloop.sla.services import sla_sweep as sweep

    return sweep()
