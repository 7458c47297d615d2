"""Metric definitions: one named, documented way to measure each number DESIGN.md "Metrics" lists.

This module holds the types, the registry and the shared query pieces; ``metric_measures``
holds how each metric is measured and ``metric_catalogue`` registers them.

A metric is measured for a ``Scope`` (touchpoint, channel, category and everything below it,
team, and optionally kind, priority, customer segment, agent) over a half-open period
[start, end) and returns a ``Measurement``: the value, its numerator and the sample size it
rests on. Alert rules, dashboards and the monthly review all read numbers from here, so a
number means the same thing wherever it is shown.

Which rows a period covers (the "cohort"): tickets opened in the period, except the
resolution metrics (resolution time, first-contact resolution, reopen rate), which take the
tickets resolved in it; survey responses answered in it; QA reviews submitted in it; bot
conversations started in it. Every rate or average is one aggregate query (self-service
share: two counts; a category scope first reads the subtree's ids), filtered on an indexed
time column. Wall-clock medians and p90 are ranked by the database (a count, then the middle
rows in order); business-minute ones count each clock on its calendar in Python. SQLite and
PostgreSQL give the same figures.
Percent metrics are in percent (0–100): a rule "complaint rate above 10" means 10 %.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import InvalidInput
from closeloop.sla.calendar import BusinessCalendar, calendar_24x7
from closeloop.sla.models import Calendar, CalendarException, TicketClock
from closeloop.sla.policies import calendar_spec
from closeloop.tickets.models import Status, Ticket
from closeloop.triage.models import Category, TicketTriage

REPEAT_CONTACT_DAYS = 7
RESOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Unit(StrEnum):
    """What a metric's value counts."""

    PERCENT = "percent"
    MINUTES = "minutes"
    COUNT = "count"
    SCORE = "score"


class Direction(StrEnum):
    """Which way is better."""

    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


@dataclass(frozen=True)
class Scope:
    """Which contacts a measurement covers; an empty field means "all"."""

    touchpoint: str = ""
    channel: str = ""
    category_id: int | None = None  # the category and everything below it
    team_id: int | None = None
    kind: str = ""
    priority: str = ""
    segment: str = ""
    agent_id: int | None = None

    def used_fields(self) -> frozenset[str]:
        """The names of the fields that narrow the scope."""
        return frozenset(f.name for f in fields(self) if getattr(self, f.name) not in ("", None))

    def as_dict(self) -> dict[str, Any]:
        """The narrowing fields only (for the record of an alert or a corrective action)."""
        return {name: getattr(self, name) for name in sorted(self.used_fields())}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scope:
        """The inverse of ``as_dict``; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class Measurement:
    """A metric's value over a period, with what it rests on.

    ``value`` is None when there is nothing to measure (no sample). For a rate, ``numerator``
    counts the rows that meet the definition; for an average or a percentile it is the value
    itself. ``sample`` is the number of rows the value rests on (the rate's denominator).
    """

    value: float | None
    numerator: float
    sample: int


Measure = Callable[[Scope, datetime, datetime], Measurement]

TICKET_SCOPE = frozenset(
    {"touchpoint", "channel", "category_id", "team_id", "kind", "priority", "segment", "agent_id"}
)
CHANNEL_ONLY = frozenset({"channel"})


@dataclass(frozen=True)
class MetricDefinition:
    """One metric: its key, names, unit, better direction, and how it is measured."""

    key: str
    label: Promise
    definition: Promise
    unit: Unit
    direction: Direction
    measure: Measure
    scope_fields: frozenset[str] = TICKET_SCOPE

    def is_better(self, after: float, before: float) -> bool:
        """Whether ``after`` is an improvement on ``before`` (equal is not)."""
        if self.direction == Direction.HIGHER_IS_BETTER:
            return after > before
        return after < before


# Filled by ``metric_catalogue`` (imported in AnalyticsConfig.ready) and by later apps.
_registry: dict[str, MetricDefinition] = {}


def register(definition: MetricDefinition) -> MetricDefinition:
    """Add a metric to the registry (a later issue's metrics register the same way)."""
    _registry[definition.key] = definition
    return definition


def all_metrics() -> list[MetricDefinition]:
    """Every registered metric, in registration order."""
    return list(_registry.values())


def metric_get(key: str, *, field: str = "metric") -> MetricDefinition:
    """The metric named ``key``; InvalidInput naming ``field`` when there is none."""
    definition = _registry.get(key)
    if definition is None:
        raise InvalidInput(_("%(key)s is not a metric.") % {"key": key}, details={"field": field})
    return definition


def scope_check(definition: MetricDefinition, scope: Scope) -> None:
    """Refuse a scope field the metric cannot be narrowed by (InvalidInput naming it)."""
    unsupported = sorted(scope.used_fields() - definition.scope_fields)
    if unsupported:
        raise InvalidInput(
            _("%(metric)s cannot be narrowed by %(fields)s.")
            % {"metric": definition.key, "fields": ", ".join(unsupported)},
            details={"field": unsupported[0]},
        )


def measure(key: str, scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Measure metric ``key`` for ``scope`` over [start, end)."""
    definition = metric_get(key)
    scope_check(definition, scope)
    with measuring():
        return definition.measure(scope, start, end)


@contextmanager
def measuring() -> Iterator[None]:
    """A transaction for measurements; on PostgreSQL without JIT compilation. The planner
    prices the correlated look-ups of these aggregates high enough to JIT-compile them,
    which cost 300 ms per query at a million tickets and saved nothing."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


# --- helpers ----------------------------------------------------------------------------------


def category_subtree(category_id: int) -> list[int]:
    """The ids of the category and everything below it (the tree has three levels)."""
    return list(
        Category.objects.filter(
            Q(pk=category_id) | Q(parent=category_id) | Q(parent__parent=category_id)
        ).values_list("pk", flat=True)
    )


def ticket_scope(scope: Scope, prefix: str = "") -> Q:
    """The scope as a filter on tickets, reached through ``prefix`` (e.g. ``"ticket__"``).

    The category is a semi-join on the ticket's triage row with the subtree's ids given as a
    list: a join through a category subquery made PostgreSQL read every triage row of the
    categories (400 ms at a million tickets) instead of looking up the window's tickets."""
    condition = Q()
    for name, lookup in (
        ("touchpoint", "touchpoint"),
        ("channel", "channel"),
        ("team_id", "team_id"),
        ("kind", "kind"),
        ("priority", "priority"),
        ("segment", "customer__segment"),
        ("agent_id", "assignee_id"),
    ):
        value = getattr(scope, name)
        if value not in ("", None):
            condition &= Q(**{f"{prefix}{lookup}": value})
    if scope.category_id is not None:
        ticket = OuterRef(f"{prefix.rstrip('_')}_id" if prefix else "pk")
        triaged = TicketTriage.objects.filter(
            ticket_id=ticket, category_id__in=category_subtree(scope.category_id)
        )
        condition &= Q(Exists(triaged))
    return condition


def opened(scope: Scope, start: datetime, end: datetime) -> QuerySet[Ticket]:
    """Tickets in scope opened in [start, end) (index ``ticket_created``)."""
    return Ticket.objects.filter(ticket_scope(scope), created_at__gte=start, created_at__lt=end)


def resolved(scope: Scope, start: datetime, end: datetime) -> QuerySet[Ticket]:
    """Tickets in scope resolved in [start, end), still resolved (``ticket_status_resolved``)."""
    return Ticket.objects.filter(
        ticket_scope(scope),
        status__in=RESOLVED_STATUSES,
        resolved_at__gte=start,
        resolved_at__lt=end,
    )


def rate(numerator: int | None, sample: int | None) -> Measurement:
    """A percentage of ``sample``; no value when the sample is empty."""
    numerator, sample = int(numerator or 0), int(sample or 0)
    value = 100.0 * numerator / sample if sample else None
    return Measurement(value=value, numerator=numerator, sample=sample)


def ratio_of(queryset: QuerySet[Any], condition: Q) -> Measurement:
    """The share of ``queryset``'s rows meeting ``condition``, in one aggregate query."""
    counts = queryset.aggregate(sample=Count("pk"), hits=Count("pk", filter=condition))
    return rate(counts["hits"], counts["sample"])


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    return float(statistics.median(values))


def p90(values: list[float]) -> float:
    """The nearest-rank 90th percentile: the smallest value at or above 90 % of the values."""
    ordered = sorted(values)
    rank = max(1, math.ceil(0.9 * len(ordered)))
    return float(ordered[rank - 1])


def summary(values: list[float], statistic: Callable[[list[float]], float]) -> Measurement:
    """A statistic of durations; no value without any."""
    if not values:
        return Measurement(value=None, numerator=0, sample=0)
    value = statistic(values)
    return Measurement(value=value, numerator=value, sample=len(values))


def business_calendars() -> dict[int, BusinessCalendar]:
    """Every business calendar by id (a handful of rows)."""
    exceptions: dict[int, list[CalendarException]] = {}
    for exception in CalendarException.objects.all():
        exceptions.setdefault(exception.calendar_id, []).append(exception)
    return {
        row.pk: BusinessCalendar(calendar_spec(row, exceptions.get(row.pk, [])))
        for row in Calendar.objects.all()
    }


def business_minutes(clocks: QuerySet[TicketClock]) -> list[float]:
    """Business minutes from start to stop on each clock's policy calendar, less its pauses.

    On an around-the-clock calendar business time is elapsed time, so those clocks bring only
    their duration; the others bring start and stop for the calendar to count."""
    calendars = business_calendars()
    always_open = [pk for pk, calendar in calendars.items() if calendar.is_always_open]
    elapsed = ExpressionWrapper(F("stopped_at") - F("started_at"), output_field=DurationField())
    minutes = [
        max(0.0, duration.total_seconds() / 60 - paused)
        for duration, paused in clocks.filter(policy__calendar_id__in=always_open)
        .annotate(elapsed=elapsed)
        .values_list("elapsed", "paused_minutes")
    ]
    rows = clocks.exclude(policy__calendar_id__in=always_open).values_list(
        "started_at", "stopped_at", "paused_minutes", "policy__calendar"
    )
    for started_at, stopped_at, paused, calendar_id in rows:
        if stopped_at is None:
            continue
        calendar = calendars.get(calendar_id) or calendar_24x7()
        minutes.append(max(0.0, calendar.minutes_between(started_at, stopped_at) - paused))
    return minutes
