"""Demo content for the metrics engine: a baseline period and the daily rollups.

The demo's history spans about 90 days; the baseline is its first 30 days (so the dashboards
show "vs baseline" for the recent weeks), and every past day is rolled up as the worker's
sweep would (so the dashboards read rollups from the start). The default goals come with the
migration. Run after the demo history, surveys, QA and bot content are loaded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from closeloop.analytics.engine import org_date
from closeloop.analytics.goals import baseline_set
from closeloop.analytics.rollups import rollups_compute
from closeloop.core import clock
from closeloop.tickets.models import Ticket


def install_demo_engine() -> dict[str, Any]:
    """Set the baseline to the history's first 30 days and roll every past day up."""
    first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    today = org_date(clock.now())
    if first is None or org_date(first) >= today:
        return {"baseline": None, "days": 0, "rows": 0}
    first_day = org_date(first)
    baseline_end = min(first_day + timedelta(days=29), today - timedelta(days=1))
    baseline_set(actor=None, start=first_day, end=baseline_end)
    counts = rollups_compute(first_day, today - timedelta(days=1))
    return {"baseline": (first_day.isoformat(), baseline_end.isoformat()), **counts}
