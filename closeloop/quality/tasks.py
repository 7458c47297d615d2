"""Quality work run by ``closeloop worker``: checking resolved tickets, and the sweep that
back-fills checks and draws last week's samples. All idempotent."""

from __future__ import annotations

from django_tasks import task


@task()
def checks_run_task(ticket_id: int) -> int:
    """Run the automatic checks on one ticket (re-running replaces its results)."""
    from closeloop.quality.engine import checks_run

    return checks_run(ticket_ids=[ticket_id]).results


@task(queue_name="sweeps")
def quality_sweep_task() -> int:
    """Check resolved tickets that have no results yet, and draw last week's samples."""
    from closeloop.quality.engine import checks_backfill
    from closeloop.quality.sampling import sampling_sweep

    checked = checks_backfill(only_missing=True, limit=5000).tickets
    return checked + sampling_sweep()
