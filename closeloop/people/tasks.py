"""Scheduled people work, run by ``closeloop worker``."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="sweeps")
def training_refreshers_sweep() -> int:
    """Enrol agents in refresher courses that are coming due (idempotent)."""
    from closeloop.people.services_training import training_refreshers_assign

    return training_refreshers_assign()
