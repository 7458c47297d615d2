"""The metrics engine: every metric for any period, grouped by a dimension, as a table or a
series, read from the daily rollups where they cover whole past days and computed directly
for the rest; and the tickets behind a figure (drill-down).

One definition per metric (``metric_measures``): ungrouped, a value here equals
``metrics.measure`` for the same scope and period. Grouped, each metric is one query with
GROUP BY (percentiles: one query bringing the group and the duration, ranked in Python).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from closeloop.analytics import engine_specs as specs
from closeloop.analytics.metrics import (
    Measurement,
    Scope,
    business_calendars,
    measure,
    measuring,
    median,
    metric_get,
    p90,
    scope_check,
    summary,
)
from closeloop.analytics.models_engine import DailyRollup, RollupDay
from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.sla.calendar import calendar_24x7
from closeloop.tickets.models import Ticket

GROUP_BY = ("channel", "touchpoint", "category", "kind", "priority", "team", "agent", "segment")
BUCKETS = ("day", "week", "month")
INT_KEYS = frozenset({"category", "team", "agent"})
# The Scope field each grouping dimension narrows.
SCOPE_FIELD = {
    "channel": "channel",
    "touchpoint": "touchpoint",
    "category": "category_id",
    "kind": "kind",
    "priority": "priority",
    "team": "team_id",
    "agent": "agent_id",
    "segment": "segment",
}
EMPTY = Measurement(value=None, numerator=0, sample=0)
ALL = Scope()
GroupKey = str | int | None


@dataclass(frozen=True)
class Row:
    """One group's values (``key`` None and label "All" for the ungrouped row)."""

    key: GroupKey
    label: str
    values: dict[str, Measurement]


# --- validation -------------------------------------------------------------------------------


def check_group_by(group_by: str | None) -> None:
    """Refuse an unknown grouping dimension (InvalidInput naming ``group_by``)."""
    if group_by is not None and group_by not in GROUP_BY:
        raise InvalidInput(
            _("%(group)s is not a grouping; use one of %(groups)s.")
            % {"group": group_by, "groups": ", ".join(GROUP_BY)},
            details={"field": "group_by"},
        )


def groupable(key: str, group_by: str | None) -> bool:
    """Whether metric ``key`` can be split by ``group_by`` (bot and self-service metrics
    only by channel; a metric registered without an engine spec by any ticket dimension)."""
    if group_by is None:
        return True
    definition = metric_get(key)
    return SCOPE_FIELD[group_by] in definition.scope_fields


# --- the table --------------------------------------------------------------------------------


def metrics_table(
    *,
    keys: Sequence[str],
    start: datetime,
    end: datetime,
    group_by: str | None = None,
    scope: Scope = ALL,
) -> list[Row]:
    """Every metric in ``keys`` for [start, end), one row per group (ordered by label) or one
    row "All" when ``group_by`` is None. A metric that cannot be split by ``group_by`` has no
    value (``EMPTY``) in the groups' rows."""
    check_group_by(group_by)
    for key in keys:
        scope_check(metric_get(key), scope)
    by_metric: dict[str, dict[GroupKey, Measurement]] = {}
    with measuring():
        for key in keys:
            if group_by is None:
                by_metric[key] = {None: metric_value(key, scope, start, end)}
            elif groupable(key, group_by):
                by_metric[key] = grouped(key, group_by, scope, start, end)
            else:
                by_metric[key] = {}
    if group_by is None:
        return [
            Row(key=None, label=str(_("All")), values={k: v[None] for k, v in by_metric.items()})
        ]
    group_keys: set[GroupKey] = set()
    for values in by_metric.values():
        group_keys.update(values)
    labels = group_labels(group_by, group_keys)
    rows = [
        Row(
            key=group,
            label=labels[group],
            values={key: by_metric[key].get(group, nothing(key)) for key in keys},
        )
        for group in group_keys
    ]
    return sorted(rows, key=lambda row: (row.key is None, row.label.casefold()))


def nothing(key: str) -> Measurement:
    """A metric's measurement of no rows (a count is 0, anything else has no value)."""
    additive = specs.ADDITIVE.get(key)
    return specs.combine(additive.combine, 0, 0) if additive else EMPTY


def metric_value(key: str, scope: Scope, start: datetime, end: datetime) -> Measurement:
    """One metric, ungrouped: from rollups for the whole rolled-up days plus a direct count of
    the rest when the metric is additive (or an on-time rate) and the scope is empty;
    otherwise ``measure``."""
    if scope.used_fields():
        return measure(key, scope, start, end)
    if key in specs.ON_TIME:
        met, stopped = _summed(specs.stopped_key(key), specs.STOPPED[key], start, end)
        overdue = specs.running_overdue(key, scope, start, end).count()
        return specs.combine("rate", met, int(stopped) + overdue)
    additive = specs.ADDITIVE.get(key)
    if additive is None:
        return measure(key, scope, start, end)
    return specs.combine(additive.combine, *_summed(key, additive, start, end))


def _summed(
    name: str, additive: specs.Additive, start: datetime, end: datetime
) -> tuple[float, int]:
    """(numerator, sample) of an additive quantity over [start, end) for all contacts: the
    rolled-up days' stored rows under ``name`` plus a direct count of the rest."""
    days = rolled_days(start, end)
    numerator, sample = 0.0, 0
    if days:
        sums = DailyRollup.objects.filter(metric=name, dimension="", day__in=days).values_list(
            "numerator", "sample"
        )
        for part_numerator, part_sample in sums:
            numerator += part_numerator
            sample += int(part_sample)
    remaining = uncovered(start, end, days)
    if remaining:
        for part in additive.parts:
            row = part.rows(ALL).filter(_periods(part.time_field, remaining))
            counted = part.reduce(row.aggregate(**part.aggregates()))
            numerator += counted[0]
            sample += counted[1]
    return numerator, sample


def grouped(
    key: str, group_by: str, scope: Scope, start: datetime, end: datetime
) -> dict[GroupKey, Measurement]:
    """Metric ``key`` for each group of ``group_by`` over [start, end): additive metrics (and
    the on-time rates' stopped clocks) with an empty scope from the group's rollups for the
    whole rolled-up days and one grouped query for the rest; everything else one grouped
    query over the period."""
    if key in specs.ADDITIVE:
        additive = specs.ADDITIVE[key]
        if any(group_by not in part.paths for part in additive.parts):
            return {}
        sums = _grouped_sums(key, additive, group_by, scope, start, end)
        return {
            group: specs.combine(additive.combine, total[0], int(total[1]))
            for group, total in sums.items()
        }
    if key in specs.WALL:
        return _grouped_wall(key, group_by, scope, start, end)
    if key in specs.BUSINESS:
        return _grouped_business(key, group_by, scope, start, end)
    if key in specs.ON_TIME:
        return _grouped_on_time(key, group_by, scope, start, end)
    return _grouped_by_scope(key, group_by, scope, start, end)


def _grouped_sums(
    name: str,
    additive: specs.Additive,
    group_by: str,
    scope: Scope,
    start: datetime,
    end: datetime,
) -> dict[GroupKey, list[float]]:
    """[numerator, sample] per group of an additive quantity over [start, end): with an empty
    scope the rolled-up days' stored rows under ``name`` plus one grouped query per part for
    the rest; with a scope, the grouped queries over the whole period."""
    sums: dict[GroupKey, list[float]] = defaultdict(lambda: [0.0, 0.0])
    intervals = [(start, end)]
    if not scope.used_fields():
        days = rolled_days(start, end)
        stored = DailyRollup.objects.filter(metric=name, dimension=group_by, day__in=days)
        for group, numerator, sample in stored.values_list("key", "numerator", "sample"):
            total = sums[_key(group_by, group)]
            total[0] += numerator
            total[1] += sample
        intervals = uncovered(start, end, days)
    for part in additive.parts if intervals else ():
        rows = (
            part.rows(scope)
            .filter(_periods(part.time_field, intervals))
            .annotate(group=F(part.paths[group_by]))
            .values("group")
            .annotate(**part.aggregates())
            .order_by()
        )
        for row in rows:
            numerator, sample = part.reduce(row)
            total = sums[_key(group_by, row["group"])]
            total[0] += numerator
            total[1] += sample
    return sums


def _statistic(share: float | None) -> Any:
    return median if share is None else p90


def _grouped_wall(
    key: str, group_by: str, scope: Scope, start: datetime, end: datetime
) -> dict[GroupKey, Measurement]:
    cohort, start_field, end_field, share = specs.WALL[key]
    tickets = specs._tickets(scope) if cohort == "opened" else specs._resolved(scope)
    time_field = "created_at" if cohort == "opened" else "resolved_at"
    duration = ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())
    rows = (
        tickets.filter(specs.in_period(time_field, start, end), **{f"{end_field}__isnull": False})
        .annotate(group=F(specs.TICKET_PATHS[group_by]), duration=duration)
        .values_list("group", "duration")
    )
    minutes: dict[GroupKey, list[float]] = defaultdict(list)
    for group, elapsed in rows:
        minutes[_key(group_by, group)].append(elapsed.total_seconds() / 60)
    return {group: summary(values, _statistic(share)) for group, values in minutes.items()}


def _grouped_business(
    key: str, group_by: str, scope: Scope, start: datetime, end: datetime
) -> dict[GroupKey, Measurement]:
    metric, share = specs.BUSINESS[key]
    rows = specs.clocks_of(scope, metric).filter(stopped_at__isnull=False)
    if key.startswith("first_response"):
        rows = rows.filter(ticket__created_at__gte=start, ticket__created_at__lt=end)
    else:
        rows = rows.filter(
            ticket__status__in=specs.RESOLVED_STATUSES,
            ticket__resolved_at__gte=start,
            ticket__resolved_at__lt=end,
        )
    calendars = business_calendars()
    minutes: dict[GroupKey, list[float]] = defaultdict(list)
    values = rows.annotate(group=F(specs.CLOCK_PATHS[group_by])).values_list(
        "group", "started_at", "stopped_at", "paused_minutes", "policy__calendar"
    )
    for group, started_at, stopped_at, paused, calendar_id in values:
        if stopped_at is None:
            continue
        calendar = calendars.get(calendar_id) or calendar_24x7()
        if calendar.is_always_open:
            elapsed = (stopped_at - started_at).total_seconds() / 60
        else:
            elapsed = calendar.minutes_between(started_at, stopped_at)
        minutes[_key(group_by, group)].append(max(0.0, elapsed - paused))
    return {group: summary(values, _statistic(share)) for group, values in minutes.items()}


def _grouped_on_time(
    key: str, group_by: str, scope: Scope, start: datetime, end: datetime
) -> dict[GroupKey, Measurement]:
    """Met ÷ decided per group: the stopped clocks as an additive quantity (rolled up), the
    running overdue ones counted in one grouped query."""
    sums = _grouped_sums(specs.stopped_key(key), specs.STOPPED[key], group_by, scope, start, end)
    overdue = (
        specs.running_overdue(key, scope, start, end)
        .annotate(group=F(specs.CLOCK_PATHS[group_by]))
        .values("group")
        .annotate(clocks=Count("pk"))
        .order_by()
    )
    for row in overdue:
        sums[_key(group_by, row["group"])][1] += row["clocks"]
    return {
        group: specs.combine("rate", met, int(decided))
        for group, (met, decided) in sums.items()
        if decided
    }


def _grouped_by_scope(
    key: str, group_by: str, scope: Scope, start: datetime, end: datetime
) -> dict[GroupKey, Measurement]:
    """A metric registered without an engine spec: measured once per group seen among the
    tickets opened in the period (one query per group)."""
    path = specs.TICKET_PATHS[group_by]
    seen = (
        specs._tickets(scope)
        .filter(created_at__gte=start, created_at__lt=end)
        .values_list(path, flat=True)
        .distinct()
    )
    result = {}
    for group in seen:
        if group is None:
            continue
        narrowed = Scope(**{**scope.__dict__, SCOPE_FIELD[group_by]: group})
        result[_key(group_by, group)] = metric_get(key).measure(narrowed, start, end)
    return result


def _key(group_by: str, value: Any) -> GroupKey:
    if value is None or value == "":
        return None
    return int(value) if group_by in INT_KEYS else str(value)


# --- rollup coverage --------------------------------------------------------------------------


def org_date(moment: datetime) -> date:
    """The organisation-time-zone date of ``moment``."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[midnight, next midnight) of ``day`` in the organisation's time zone."""
    tz = timezone.get_default_timezone()
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    after = day + timedelta(days=1)
    return start, datetime(after.year, after.month, after.day, tzinfo=tz)


def whole_days(start: datetime, end: datetime) -> list[date]:
    """The org-time-zone days lying wholly inside [start, end) and before today."""
    first = org_date(start)
    if day_bounds(first)[0] < start:
        first += timedelta(days=1)
    today = org_date(clock.now())
    days = []
    day = first
    while day < today and day_bounds(day)[1] <= end:
        days.append(day)
        day += timedelta(days=1)
    return days


def rolled_days(start: datetime, end: datetime) -> list[date]:
    """The whole past days in [start, end) whose rollups are complete."""
    days = whole_days(start, end)
    if not days:
        return []
    done = set(
        RollupDay.objects.filter(day__gte=days[0], day__lte=days[-1]).values_list("day", flat=True)
    )
    return [day for day in days if day in done]


def uncovered(
    start: datetime, end: datetime, days: Iterable[date]
) -> list[tuple[datetime, datetime]]:
    """[start, end) less the given whole days, as merged half-open intervals."""
    intervals: list[tuple[datetime, datetime]] = []
    cursor = start
    for day in sorted(days):
        day_start, day_end = day_bounds(day)
        if cursor < day_start:
            intervals.append((cursor, day_start))
        cursor = max(cursor, day_end)
    if cursor < end:
        intervals.append((cursor, end))
    return intervals


def _periods(time_field: str, intervals: list[tuple[datetime, datetime]]) -> Q:
    condition = Q()
    for interval_start, interval_end in intervals:
        condition |= specs.in_period(time_field, interval_start, interval_end)
    return condition


# --- series -----------------------------------------------------------------------------------


def bucket_start(day: date, bucket: str) -> date:
    """The first day of ``day``'s bucket (weeks start on Monday)."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def buckets(start: datetime, end: datetime, bucket: str) -> list[tuple[date, datetime, datetime]]:
    """The buckets covering [start, end), each clipped to it: (label day, start, end)."""
    if bucket not in BUCKETS:
        raise InvalidInput(str(_("Unknown bucket.")), details={"field": "bucket"})
    result = []
    cursor = start
    while cursor < end:
        first = bucket_start(org_date(cursor), bucket)
        if bucket == "day":
            following = first + timedelta(days=1)
        elif bucket == "week":
            following = first + timedelta(days=7)
        else:
            following = (first + timedelta(days=32)).replace(day=1)
        bucket_end = min(end, day_bounds(following)[0])
        result.append((first, cursor, bucket_end))
        cursor = bucket_end
    return result


def metric_series(
    *,
    key: str,
    start: datetime,
    end: datetime,
    bucket: str = "day",
    scope: Scope = ALL,
) -> list[tuple[date, Measurement]]:
    """Metric ``key`` per day, week or month (organisation time zone) over [start, end).

    Additive metrics with an empty scope: the rolled-up days in one query, the rest grouped
    by day in one query per part; other metrics: one measurement per bucket."""
    scope_check(metric_get(key), scope)
    spans = buckets(start, end, bucket)
    additive = specs.ADDITIVE.get(key)
    with measuring():
        daily = key in specs.WALL or key in specs.ON_TIME
        if daily and bucket == "day" and not scope.used_fields():
            return _daily_values(key, spans)
        if additive is None or scope.used_fields():
            return [(label, metric_value(key, scope, s, e)) for label, s, e in spans]
        by_day: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0])
        days = rolled_days(start, end)
        for day, numerator, sample in DailyRollup.objects.filter(
            metric=key, dimension="", day__in=days
        ).values_list("day", "numerator", "sample"):
            by_day[day][0] += numerator
            by_day[day][1] += sample
        remaining = uncovered(start, end, days)
        if remaining:
            for day, numerator, sample in direct_by_day(additive, remaining):
                by_day[day][0] += numerator
                by_day[day][1] += sample
    sums: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for day, totals in by_day.items():
        total = sums[bucket_start(day, bucket)]
        total[0] += totals[0]
        total[1] += totals[1]
    return [
        (label, specs.combine(additive.combine, sums[label][0], int(sums[label][1])))
        for label, _s, _e in spans
    ]


def _daily_values(
    key: str, spans: list[tuple[date, datetime, datetime]]
) -> list[tuple[date, Measurement]]:
    """A non-additive metric's daily series: each rolled-up whole day's own stored value,
    a direct measurement for the others (a day without a stored row had no sample)."""
    whole = [label for label, s, e in spans if (s, e) == day_bounds(label)]
    done = set(RollupDay.objects.filter(day__in=whole).values_list("day", flat=True))
    stored = {
        day: (numerator, sample)
        for day, numerator, sample in DailyRollup.objects.filter(
            metric=key, dimension="", day__in=done
        ).values_list("day", "numerator", "sample")
    }
    kind = "rate" if key in specs.ON_TIME else "value"
    series = []
    for label, span_start, span_end in spans:
        if label not in done:
            series.append((label, measure(key, ALL, span_start, span_end)))
        elif label not in stored:
            series.append((label, EMPTY))
        elif kind == "rate":
            series.append((label, specs.combine("rate", *stored[label])))
        else:
            value, sample = stored[label]
            series.append((label, Measurement(value=value, numerator=value, sample=sample)))
    return series


def direct_by_day(
    additive: specs.Additive,
    intervals: list[tuple[datetime, datetime]],
    group_by: str | None = None,
) -> Iterable[tuple[Any, ...]]:
    """(day, numerator, sample) — with the group first when ``group_by`` is given — of an
    additive metric's rows in ``intervals``, grouped by org-time-zone day in the database."""
    tz = timezone.get_default_timezone()
    for part in additive.parts:
        if group_by is not None and group_by not in part.paths:
            continue
        rows = part.rows(Scope()).filter(_periods(part.time_field, intervals))
        rows = rows.annotate(day=TruncDate(part.time_field, tzinfo=tz))
        fields = ["day"]
        if group_by is not None:
            rows = rows.annotate(group=F(part.paths[group_by]))
            fields.append("group")
        for row in rows.values(*fields).annotate(**part.aggregates()).order_by():
            numerator, sample = part.reduce(row)
            if group_by is None:
                yield row["day"], numerator, sample
            else:
                yield row["group"], row["day"], numerator, sample


# --- drill-down -------------------------------------------------------------------------------


def tickets_behind(
    *,
    key: str,
    start: datetime,
    end: datetime,
    scope: Scope = ALL,
    part: str = "numerator",
) -> QuerySet[Ticket]:
    """The tickets a figure rests on: ``part`` "sample" gives every ticket counted, and
    "numerator" those meeting the definition (e.g. the breached ones of the breach rate;
    for a median or p90, the same as the sample)."""
    if part not in ("numerator", "sample"):
        raise InvalidInput(str(_("part must be numerator or sample.")), details={"field": "part"})
    scope_check(metric_get(key), scope)
    additive = specs.ADDITIVE.get(key)
    if additive is not None:
        ids: QuerySet[Any] | None = None
        for piece in additive.parts:
            if not piece.ticket_path:
                continue
            rows = piece.rows(scope).filter(specs.in_period(piece.time_field, start, end))
            if part == "numerator":
                hit = piece.hit if piece.hit is not None else additive.extra.get("hit", Q)()
                rows = rows.filter(hit)
            ids = rows.values(piece.ticket_path)
            break
        if ids is None:
            return Ticket.objects.none()
        return Ticket.objects.filter(pk__in=ids).order_by("-created_at")
    if key in specs.WALL:
        cohort, _start_field, end_field, _share = specs.WALL[key]
        tickets = specs._tickets(scope) if cohort == "opened" else specs._resolved(scope)
        time_field = "created_at" if cohort == "opened" else "resolved_at"
        return tickets.filter(
            specs.in_period(time_field, start, end), **{f"{end_field}__isnull": False}
        ).order_by("-created_at")
    if key in specs.BUSINESS or key in specs.ON_TIME:
        metric = specs.BUSINESS[key][0] if key in specs.BUSINESS else specs.ON_TIME[key]
        clocks = specs.clocks_of(scope, metric).filter(
            ticket__created_at__gte=start, ticket__created_at__lt=end
        )
        if key in specs.ON_TIME:
            decided = Q(stopped_at__isnull=False) | Q(paused_since__isnull=True, due_at__lt=end)
            clocks = clocks.filter(decided)
            if part == "numerator":
                clocks = clocks.filter(stopped_at__isnull=False, stopped_at__lte=F("due_at"))
        else:
            clocks = clocks.filter(stopped_at__isnull=False)
        return Ticket.objects.filter(pk__in=clocks.values("ticket_id")).order_by("-created_at")
    return (
        specs._tickets(scope)
        .filter(created_at__gte=start, created_at__lt=end)
        .order_by("-created_at")
    )


# --- labels -----------------------------------------------------------------------------------


def group_labels(group_by: str, keys: Iterable[GroupKey]) -> dict[GroupKey, str]:
    """A readable (translated) label for each group key."""
    from closeloop.customers.models import Segment
    from closeloop.people.models import Agent, Team
    from closeloop.tickets.models import Channel, Kind, Priority, Touchpoint
    from closeloop.triage.models import Category

    keys = list(keys)
    real = [key for key in keys if key is not None]
    names: dict[Any, str]
    if group_by == "team":
        names = dict(Team.objects.filter(pk__in=real).values_list("pk", "name"))
    elif group_by == "agent":
        names = dict(Agent.objects.filter(pk__in=real).values_list("pk", "display_name"))
    elif group_by == "category":
        zh = (translation.get_language() or "").startswith("zh")
        names = {
            pk: (name_zh if zh and name_zh else name_en)
            for pk, name_en, name_zh in Category.objects.filter(pk__in=real).values_list(
                "pk", "name_en", "name_zh"
            )
        }
    else:
        choices = {
            "channel": Channel,
            "touchpoint": Touchpoint,
            "kind": Kind,
            "priority": Priority,
            "segment": Segment,
        }[group_by]
        names = {value: str(label) for value, label in choices.choices}
    none_label = str(_("(none)"))
    return {key: (names.get(key, str(key)) if key is not None else none_label) for key in keys}


def percent_change(value: float | None, baseline: float | None) -> float | None:
    """The relative change in percent, or None."""
    if value is None or baseline is None or not baseline or math.isnan(baseline):
        return None
    return 100.0 * (value - baseline) / abs(baseline)
