"""Daily rollups of the additive metrics (and the on-time rates' stopped clocks): numerator
and sample per day (organisation time zone), per metric, for all contacts and per group of
every grouping dimension.

``rollups_compute(first, last)`` recomputes any range of whole past days from the tickets
and their records (idempotent: a day's rows are replaced in one transaction), one grouped
query per metric part and dimension for the whole range. The worker's sweep recomputes
every past day whose marker a ticket change or a late record removed (``rollups_invalidate``)
and, hourly, the last week; today is never rolled up, the engine counts it directly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from closeloop.analytics import engine_specs as specs
from closeloop.analytics.engine import ALL, GROUP_BY, day_bounds, direct_by_day, org_date
from closeloop.analytics.models_engine import DailyRollup, RollupDay
from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.feedback.models import Response
from closeloop.knowledge.models import ArticleUse
from closeloop.quality.models import Review

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
        raise InvalidInput(str(_("The last day is before the first.")), details={"field": "to"})
    if last >= today:
        raise InvalidInput(str(_("Only past days can be rolled up.")), details={"field": "to"})
    intervals = [(day_bounds(first)[0], day_bounds(last)[1])]
    started = clock.now()
    rows: list[DailyRollup] = []
    for key, additive in specs.rolled_up().items():
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
    # daily series (numerator: the value or the rate's numerator; never summed). Business
    # minutes are not kept (each clock is counted on its calendar in Python; too slow for
    # every day of two years) and are measured directly.
    for key in specs.WALL:
        for day, (value, sample) in _daily_wall(key, intervals[0]).items():
            rows.append(
                DailyRollup(day=day, metric=key, dimension="", numerator=value, sample=sample)
            )
    for key in specs.ON_TIME:
        for day, (met, sample) in _daily_on_time(key, intervals[0]).items():
            rows.append(
                DailyRollup(day=day, metric=key, dimension="", numerator=met, sample=sample)
            )
    with transaction.atomic():
        DailyRollup.objects.filter(day__gte=first, day__lte=last).delete()
        DailyRollup.objects.bulk_create(rows, batch_size=BATCH)
        RollupDay.objects.filter(day__gte=first, day__lte=last).delete()
        RollupDay.objects.bulk_create([RollupDay(day=day, computed_at=started) for day in days])
    return {"days": len(days), "rows": len(rows)}


def _daily_wall(key: str, interval: tuple[datetime, datetime]) -> dict[date, tuple[float, int]]:
    """Each day's median or p90 of a wall-clock time, from one query over the interval,
    picked exactly as ``metric_measures.ranked_minutes`` picks it."""
    cohort, start_field, end_field, share = specs.WALL[key]
    tickets = specs._tickets(ALL) if cohort == "opened" else specs._resolved(ALL)
    time_field = "created_at" if cohort == "opened" else "resolved_at"
    duration = ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())
    rows = (
        tickets.filter(specs.in_period(time_field, *interval), **{f"{end_field}__isnull": False})
        .annotate(duration=duration)
        .values_list(time_field, "duration")
    )
    by_day: dict[date, list[timedelta]] = defaultdict(list)
    for moment, elapsed in rows.iterator(chunk_size=10_000):
        by_day[org_date(moment)].append(elapsed)
    result = {}
    for day, durations in by_day.items():
        durations.sort()
        sample = len(durations)
        if share is None:
            picked = durations[(sample - 1) // 2 : sample // 2 + 1]
        else:
            rank = max(1, math.ceil(share / 100 * sample))
            picked = durations[rank - 1 : rank]
        result[day] = (sum(d.total_seconds() for d in picked) / len(picked) / 60, sample)
    return result


def _daily_on_time(key: str, interval: tuple[datetime, datetime]) -> dict[date, tuple[float, int]]:
    """Each day's on-time rate of the clocks of the tickets opened that day, as
    ``metric_measures.on_time`` gives it for that day: a clock is decided when stopped, or
    not paused and due before the day's end (its due date in the organisation's time zone
    on or before the day). One grouped query over the interval."""
    tz = timezone.get_default_timezone()
    rows = (
        specs.clocks_of(ALL, specs.ON_TIME[key])
        .filter(ticket__created_at__gte=interval[0], ticket__created_at__lt=interval[1])
        .annotate(
            day=TruncDate("ticket__created_at", tzinfo=tz),
            due_day=TruncDate("due_at", tzinfo=tz),
            stopped=Q(stopped_at__isnull=False),
            paused=Q(paused_since__isnull=False),
            in_time=Q(stopped_at__isnull=False, stopped_at__lte=F("due_at")),
        )
        .values("day", "due_day", "stopped", "paused", "in_time")
        .annotate(clocks=Count("pk"))
        .order_by()
    )
    result: dict[date, list[float]] = defaultdict(lambda: [0.0, 0])
    for row in rows:
        decided = row["stopped"] or (not row["paused"] and row["due_day"] <= row["day"])
        if decided:
            result[row["day"]][1] += row["clocks"]
            if row["in_time"]:
                result[row["day"]][0] += row["clocks"]
    return {day: (met, int(sample)) for day, (met, sample) in result.items() if sample}


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


def on_record_saved(*, instance: Any, **_kwargs: Any) -> None:
    """A record saved after its day was rolled up changes that day's figures without a ticket
    change: an article used on an older ticket (knowledge use counts on the ticket's opening
    day), a survey answer changed by a second click or a review re-scored after a dispute
    (counted on the day answered or submitted)."""
    moment = None
    if isinstance(instance, ArticleUse):
        if instance.ticket is not None:
            moment = instance.ticket.created_at
    elif isinstance(instance, Response):
        moment = instance.answered_at
    elif isinstance(instance, Review):
        moment = instance.submitted_at
    if moment is not None:
        day = org_date(moment)
        if day < org_date(clock.now()):
            rollups_invalidate({day})


# The records ``on_record_saved`` watches (connected in the app's ``ready``).
LATE_RECORDS = (ArticleUse, Response, Review)
