"""Daily rollups of the additive metrics: numerator and sample per day (organisation time
zone), per metric, for all contacts and per group of every grouping dimension.

``rollups_compute(first, last)`` recomputes any range of whole past days from the tickets
and their records (idempotent: a day's rows are replaced in one transaction), one grouped
query per metric part and dimension for the whole range. The worker's sweep recomputes
every past day whose marker a ticket change removed (``rollups_invalidate``) and, hourly,
the last week; today is never rolled up, the engine counts it directly.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.analytics import engine_specs as specs
from closeloop.analytics.engine import ALL, GROUP_BY, day_bounds, direct_by_day, org_date
from closeloop.analytics.metrics import measure
from closeloop.analytics.models_engine import DailyRollup, RollupDay
from closeloop.core import clock
from closeloop.core.errors import InvalidInput

# How many days back the sweep looks for days to roll up again.
SWEEP_LOOKBACK_DAYS = 400
# The recent days the sweep recomputes (at most every REFRESH_EVERY) for late records.
RECENT_DAYS = 7
REFRESH_EVERY = timedelta(hours=1)
BATCH = 2000


def rollups_compute(first: date, last: date) -> dict[str, int]:
    """Recompute the rollups of the whole days ``first`` … ``last`` (inclusive, before today).

    Returns the number of days and rows written."""
    today = org_date(clock.now())
    if last < first:
        raise InvalidInput(_("The last day is before the first."), details={"field": "to"})
    if last >= today:
        raise InvalidInput(_("Only past days can be rolled up."), details={"field": "to"})
    intervals = [(day_bounds(first)[0], day_bounds(last)[1])]
    started = clock.now()
    rows: list[DailyRollup] = []
    for key, additive in specs.ADDITIVE.items():
        totals: dict[tuple[date, str, Any], list[float]] = defaultdict(lambda: [0.0, 0])
        for day, numerator, sample in direct_by_day(additive, intervals):
            total = totals[(day, "", None)]
            total[0] += numerator
            total[1] += sample
        for dimension in GROUP_BY:
            if not all(dimension in part.paths for part in additive.parts):
                continue
            for group, day, numerator, sample in direct_by_day(additive, intervals, dimension):
                total = totals[(day, dimension, None if group in (None, "") else str(group))]
                total[0] += numerator
                total[1] += sample
        rows.extend(
            DailyRollup(
                day=day,
                metric=key,
                dimension=dimension,
                key=group,
                numerator=numerator,
                sample=int(sample),
            )
            for (day, dimension, group), (numerator, sample) in totals.items()
        )
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    # The medians, p90 and on-time rates are not additive: each day's own value is kept for
    # daily series (numerator: the value or the rate's numerator; never summed).
    for key in (*specs.WALL, *specs.BUSINESS, *specs.ON_TIME):
        for day in days:
            day_start, day_end = day_bounds(day)
            value = measure(key, ALL, day_start, day_end)
            if value.sample:
                rows.append(
                    DailyRollup(
                        day=day,
                        metric=key,
                        dimension="",
                        key=None,
                        numerator=float(value.numerator),
                        sample=value.sample,
                    )
                )
    with transaction.atomic():
        DailyRollup.objects.filter(day__gte=first, day__lte=last).delete()
        DailyRollup.objects.bulk_create(rows, batch_size=BATCH)
        RollupDay.objects.filter(day__gte=first, day__lte=last).delete()
        RollupDay.objects.bulk_create([RollupDay(day=day, computed_at=started) for day in days])
    return {"days": len(days), "rows": len(rows)}


def rollups_invalidate(days: set[date]) -> None:
    """Forget that ``days`` are rolled up (a ticket of theirs changed); until the sweep rolls
    them up again the engine counts them directly, so a figure is never stale."""
    if days:
        RollupDay.objects.filter(day__in=days).delete()


def rollups_sweep(*, force: bool = False) -> dict[str, int]:
    """Roll up again every past day (within the look-back) that was rolled up once and has
    since been invalidated, and, at most once an hour (or when ``force``), the last
    ``RECENT_DAYS`` days, which late records (an article linked, a survey answered) still
    change; idempotent."""
    now = clock.now()
    today = org_date(now)
    yesterday = today - timedelta(days=1)
    horizon = today - timedelta(days=SWEEP_LOOKBACK_DAYS)
    markers = dict(RollupDay.objects.filter(day__gte=horizon).values_list("day", "computed_at"))
    first_known = min(markers, default=yesterday)
    wanted = {
        first_known + timedelta(days=offset) for offset in range((yesterday - first_known).days + 1)
    } - set(markers)
    refreshed = markers.get(yesterday)
    if force or refreshed is None or now - refreshed >= REFRESH_EVERY:
        wanted.update(yesterday - timedelta(days=offset) for offset in range(RECENT_DAYS))
    days = rows = 0
    for first, last in _runs(sorted(wanted)):
        counts = rollups_compute(first, last)
        days += counts["days"]
        rows += counts["rows"]
    return {"days": days, "rows": rows}


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days merged into (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def on_ticket_changed(*, ticket: Any, events: list[Any], **_kwargs: Any) -> None:
    """A ticket changed: its opening day and resolution day no longer match their rollups;
    a reopened ticket lost its resolution day, so every day since it opened is forgotten."""
    today = org_date(clock.now())
    days = {org_date(ticket.created_at)}
    if ticket.resolved_at is not None:
        days.add(org_date(ticket.resolved_at))
    reopened = ticket.reopened_at
    if reopened is not None and any(event.created_at == reopened for event in events):
        first = org_date(ticket.created_at)
        days.update(first + timedelta(days=n) for n in range((today - first).days))
    rollups_invalidate({day for day in days if day < today})
