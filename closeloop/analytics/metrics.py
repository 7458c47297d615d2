"""Metric definitions: one named, documented way to measure each number DESIGN.md "Metrics" lists.

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
from datetime import datetime, timedelta
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
    Subquery,
    Sum,
)
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import InvalidInput
from closeloop.feedback.models import Response, SurveyType
from closeloop.knowledge.models import ArticleUse, BotConversation, BotOutcome, SelfServiceSuccess
from closeloop.knowledge.models import UseKind as ArticleUseKind
from closeloop.quality.models import Review, ReviewStatus
from closeloop.sla.calendar import BusinessCalendar, calendar_24x7
from closeloop.sla.models import Calendar, CalendarException, TicketClock
from closeloop.sla.models import Metric as ClockMetric
from closeloop.sla.policies import calendar_spec
from closeloop.tickets.models import Kind, Status, Ticket
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


def _business_minutes(clocks: QuerySet[TicketClock]) -> list[float]:
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


# --- ticket metrics ---------------------------------------------------------------------------


def volume(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Tickets opened."""
    count = opened(scope, start, end).count()
    return Measurement(value=float(count), numerator=count, sample=count)


def ranked_minutes(
    queryset: QuerySet[Any], start_field: str, end_field: str, share: float | None
) -> Measurement:
    """The median (``share`` None) or nearest-rank percentile ``share`` of the minutes from
    ``start_field`` to ``end_field``, ranked by the database: a count, then the one or two
    middle rows of the durations in order (no rows travel to Python)."""
    rows = queryset.filter(**{f"{end_field}__isnull": False})
    sample = rows.count()
    if not sample:
        return Measurement(value=None, numerator=0, sample=0)
    durations = (
        rows.annotate(
            duration=ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())
        )
        .order_by("duration")
        .values_list("duration", flat=True)
    )
    if share is None:
        picked = list(durations[(sample - 1) // 2 : sample // 2 + 1])
    else:
        rank = max(1, math.ceil(share / 100 * sample))
        picked = list(durations[rank - 1 : rank])
    value = sum(d.total_seconds() for d in picked) / len(picked) / 60
    return Measurement(value=value, numerator=value, sample=sample)


def _wall(cohort: str, share: float | None) -> Measure:
    def wall_minutes(scope: Scope, start: datetime, end: datetime) -> Measurement:
        """Wall-clock minutes from opening to the first reply or the resolution."""
        if cohort == "first_response":
            return ranked_minutes(
                opened(scope, start, end), "created_at", "first_responded_at", share
            )
        return ranked_minutes(resolved(scope, start, end), "created_at", "resolved_at", share)

    return wall_minutes


def _clocks(scope: Scope, metric: str) -> QuerySet[TicketClock]:
    return TicketClock.objects.filter(ticket_scope(scope, "ticket__"), metric=metric)


def _first_response_business(scope: Scope, start: datetime, end: datetime) -> list[float]:
    clocks = _clocks(scope, ClockMetric.FIRST_RESPONSE).filter(
        ticket__created_at__gte=start, ticket__created_at__lt=end, stopped_at__isnull=False
    )
    return _business_minutes(clocks)


def _resolution_business(scope: Scope, start: datetime, end: datetime) -> list[float]:
    clocks = _clocks(scope, ClockMetric.RESOLUTION).filter(
        ticket__status__in=RESOLVED_STATUSES,
        ticket__resolved_at__gte=start,
        ticket__resolved_at__lt=end,
        stopped_at__isnull=False,
    )
    return _business_minutes(clocks)


def _on_time(metric: str) -> Measure:
    def on_time_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
        """Clocks stopped by their due time ÷ clocks stopped or already overdue at ``end``."""
        clocks = _clocks(scope, metric).filter(
            ticket__created_at__gte=start, ticket__created_at__lt=end
        )
        decided = Q(stopped_at__isnull=False) | Q(paused_since__isnull=True, due_at__lt=end)
        counts = clocks.aggregate(
            sample=Count("pk", filter=decided),
            met=Count("pk", filter=Q(stopped_at__isnull=False, stopped_at__lte=F("due_at"))),
        )
        return rate(counts["met"], counts["sample"])

    return on_time_rate


def sla_breach_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Tickets opened whose SLA was breached (any clock) ÷ tickets opened."""
    return ratio_of(opened(scope, start, end), Q(sla_breached_at__isnull=False))


def first_contact_resolution(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Resolved tickets with exactly one public agent reply and never reopened ÷ resolved."""
    return ratio_of(resolved(scope, start, end), Q(public_agent_reply_count=1, reopen_count=0))


def reopen_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Resolved tickets that were reopened at least once ÷ resolved tickets."""
    return ratio_of(resolved(scope, start, end), Q(reopen_count__gt=0))


def repeat_contact_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Tickets opened whose customer opened another ticket of the same category in the 7 days
    before ÷ tickets opened (index ``ticket_customer_created`` for the look-back). The
    ticket's category comes from a correlated lookup, not a join, so PostgreSQL does not scan
    the whole triage table for the window's tickets."""
    category = Subquery(
        TicketTriage.objects.filter(ticket_id=OuterRef("pk")).values("category_id")[:1]
    )
    earlier = Ticket.objects.filter(
        customer_id=OuterRef("customer_id"),
        triage__category_id=OuterRef("category"),
        created_at__lt=OuterRef("created_at"),
        created_at__gte=OuterRef("created_at") - timedelta(days=REPEAT_CONTACT_DAYS),
    )
    tickets = opened(scope, start, end).annotate(category=category)
    return ratio_of(tickets.annotate(is_repeat=Exists(earlier)), Q(is_repeat=True))


def complaint_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Complaint tickets ÷ all tickets opened (the contacts at the scope's touchpoint)."""
    return ratio_of(opened(scope, start, end), Q(kind=Kind.COMPLAINT))


def knowledge_use_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Tickets opened on which an article was linked, inserted or answered by the bot ÷ tickets."""
    used = ArticleUse.objects.filter(
        ticket_id=OuterRef("pk"),
        kind__in=[ArticleUseKind.LINKED, ArticleUseKind.INSERTED, ArticleUseKind.BOT_ANSWERED],
    )
    tickets = opened(scope, start, end).annotate(has_use=Exists(used))
    return ratio_of(tickets, Q(has_use=True))


def escalated_resolution_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Escalated tickets (opened in the period) now resolved or closed ÷ escalated tickets."""
    escalated = opened(scope, start, end).filter(escalated_at__isnull=False)
    return ratio_of(escalated, Q(status__in=RESOLVED_STATUSES))


# --- channel-level metrics (bot, self-service) --------------------------------------------------


def bot_share(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Bot conversations resolved by the bot without a person ÷ all ended bot conversations."""
    conversations = BotConversation.objects.filter(
        started_at__gte=start, started_at__lt=end
    ).exclude(outcome=BotOutcome.ACTIVE)
    if scope.channel:
        conversations = conversations.filter(channel=scope.channel)
    return ratio_of(conversations, Q(outcome=BotOutcome.RESOLVED))


def self_service_share(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Self-service successes ÷ (successes + tickets opened)."""
    successes = SelfServiceSuccess.objects.filter(created_at__gte=start, created_at__lt=end)
    if scope.channel:
        successes = successes.filter(channel=scope.channel)
    served = successes.count()
    tickets = opened(scope, start, end).count()
    return rate(served, served + tickets)


# --- survey and QA metrics --------------------------------------------------------------------


def _responses(scope: Scope, start: datetime, end: datetime, survey_type: str) -> QuerySet[Any]:
    """Responses of one type answered in the period; channel, team and agent are the
    response's own, the rest are its ticket's (relationship surveys have no ticket)."""
    condition = Q(survey_type=survey_type, answered_at__gte=start, answered_at__lt=end)
    if scope.channel:
        condition &= Q(channel=scope.channel)
    if scope.team_id is not None:
        condition &= Q(team_id=scope.team_id)
    if scope.agent_id is not None:
        condition &= Q(agent_id=scope.agent_id)
    if scope.segment:
        condition &= Q(customer__segment=scope.segment)
    rest = Scope(
        touchpoint=scope.touchpoint,
        category_id=scope.category_id,
        kind=scope.kind,
        priority=scope.priority,
    )
    return Response.objects.filter(condition, ticket_scope(rest, "ticket__"))


def csat(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """CSAT responses scoring 4 or 5 (of 5) ÷ all CSAT responses."""
    return ratio_of(_responses(scope, start, end, SurveyType.CSAT), Q(score__gte=4))


def nps(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """% of NPS responses scoring 9–10 minus % scoring 0–6 (−100 … 100)."""
    counts = _responses(scope, start, end, SurveyType.NPS).aggregate(
        sample=Count("pk"),
        promoters=Count("pk", filter=Q(score__gte=9)),
        detractors=Count("pk", filter=Q(score__lte=6)),
    )
    sample = counts["sample"]
    if not sample:
        return Measurement(value=None, numerator=0, sample=0)
    net = counts["promoters"] - counts["detractors"]
    return Measurement(value=100.0 * net / sample, numerator=net, sample=sample)


def ces(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """The average CES score (1–7, lower is less effort)."""
    counts = _responses(scope, start, end, SurveyType.CES).aggregate(
        sample=Count("pk"), total=Sum("score")
    )
    sample = counts["sample"]
    if not sample:
        return Measurement(value=None, numerator=0, sample=0)
    average = float(counts["total"]) / sample
    return Measurement(value=average, numerator=average, sample=sample)


def qa_pass_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Submitted QA reviews (calibration rounds excluded) that passed ÷ submitted reviews;
    the agent is the reviewed one, the rest is the reviewed ticket's."""
    reviews = Review.objects.filter(
        status=ReviewStatus.SUBMITTED,
        submitted_at__gte=start,
        submitted_at__lt=end,
        calibration__isnull=True,
    )
    if scope.agent_id is not None:
        reviews = reviews.filter(agent_id=scope.agent_id)
    rest = Scope(**{**scope.__dict__, "agent_id": None})
    return ratio_of(reviews.filter(ticket_scope(rest, "ticket__")), Q(passed=True))


# --- the registry -------------------------------------------------------------------------------

PERCENT, MINUTES, COUNT, SCORE = Unit.PERCENT, Unit.MINUTES, Unit.COUNT, Unit.SCORE
HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER


def _statistic(
    values: Callable[[Scope, datetime, datetime], list[float]],
    statistic: Callable[[list[float]], float],
) -> Measure:
    def measure_statistic(scope: Scope, start: datetime, end: datetime) -> Measurement:
        return summary(values(scope, start, end), statistic)

    return measure_statistic


for _key, _label, _definition, _unit, _direction, _measure, *_scope in (
    (
        "volume",
        _("Volume"),
        _("Tickets opened in the period."),
        COUNT,
        LOWER,
        volume,
    ),
    (
        "first_response_median",
        _("First response time (median)"),
        _(
            "Median wall-clock minutes from opening to the first public reply by a person, "
            "of the tickets opened in the period."
        ),
        MINUTES,
        LOWER,
        _wall("first_response", None),
    ),
    (
        "first_response_p90",
        _("First response time (p90)"),
        _("90th percentile (nearest rank) of the wall-clock first response minutes."),
        MINUTES,
        LOWER,
        _wall("first_response", 90),
    ),
    (
        "first_response_business_median",
        _("First response time, business minutes (median)"),
        _(
            "Median business minutes of the stopped first-response clocks (on the SLA "
            "policy's calendar, pauses excluded) of the tickets opened in the period."
        ),
        MINUTES,
        LOWER,
        _statistic(_first_response_business, median),
    ),
    (
        "first_response_business_p90",
        _("First response time, business minutes (p90)"),
        _("90th percentile of the business first response minutes."),
        MINUTES,
        LOWER,
        _statistic(_first_response_business, p90),
    ),
    (
        "resolution_median",
        _("Resolution time (median)"),
        _(
            "Median wall-clock minutes from opening to resolution, of the tickets resolved "
            "in the period."
        ),
        MINUTES,
        LOWER,
        _wall("resolution", None),
    ),
    (
        "resolution_p90",
        _("Resolution time (p90)"),
        _("90th percentile of the wall-clock resolution minutes."),
        MINUTES,
        LOWER,
        _wall("resolution", 90),
    ),
    (
        "resolution_business_median",
        _("Resolution time, business minutes (median)"),
        _(
            "Median business minutes of the stopped resolution clocks of the tickets resolved "
            "in the period (pauses excluded)."
        ),
        MINUTES,
        LOWER,
        _statistic(_resolution_business, median),
    ),
    (
        "resolution_business_p90",
        _("Resolution time, business minutes (p90)"),
        _("90th percentile of the business resolution minutes."),
        MINUTES,
        LOWER,
        _statistic(_resolution_business, p90),
    ),
    (
        "response_on_time_rate",
        _("Response on-time rate"),
        _(
            "First-response clocks stopped by their due time ÷ clocks stopped or already "
            "overdue, of the tickets opened in the period."
        ),
        PERCENT,
        HIGHER,
        _on_time(ClockMetric.FIRST_RESPONSE),
    ),
    (
        "resolution_on_time_rate",
        _("Resolution on-time rate"),
        _(
            "Resolution clocks stopped by their due time ÷ clocks stopped or already overdue, "
            "of the tickets opened in the period."
        ),
        PERCENT,
        HIGHER,
        _on_time(ClockMetric.RESOLUTION),
    ),
    (
        "sla_breach_rate",
        _("SLA breach rate"),
        _("Tickets opened in the period with a breached SLA clock ÷ tickets opened."),
        PERCENT,
        LOWER,
        sla_breach_rate,
    ),
    (
        "first_contact_resolution",
        _("First-contact resolution"),
        _(
            "Tickets resolved in the period with exactly one public agent reply and no "
            "reopen ÷ tickets resolved."
        ),
        PERCENT,
        HIGHER,
        first_contact_resolution,
    ),
    (
        "reopen_rate",
        _("Reopen rate"),
        _("Tickets resolved in the period that were reopened at least once ÷ tickets resolved."),
        PERCENT,
        LOWER,
        reopen_rate,
    ),
    (
        "repeat_contact_rate",
        _("Repeat-contact rate"),
        _(
            "Tickets opened in the period whose customer opened a ticket of the same category "
            "in the 7 days before ÷ tickets opened."
        ),
        PERCENT,
        LOWER,
        repeat_contact_rate,
    ),
    (
        "csat",
        _("CSAT"),
        _("CSAT responses scoring 4–5 of 5 ÷ all CSAT responses answered in the period."),
        PERCENT,
        HIGHER,
        csat,
    ),
    (
        "nps",
        _("NPS"),
        _("% of NPS responses scoring 9–10 minus % scoring 0–6."),
        SCORE,
        HIGHER,
        nps,
    ),
    (
        "ces",
        _("Customer effort (CES)"),
        _("Average CES score (1–7) of the responses answered in the period."),
        SCORE,
        LOWER,
        ces,
    ),
    (
        "complaint_rate",
        _("Complaint rate"),
        _("Complaint tickets ÷ all tickets opened in the period (scope it to a touchpoint)."),
        PERCENT,
        LOWER,
        complaint_rate,
    ),
    (
        "bot_share",
        _("Bot share"),
        _(
            "Bot conversations started in the period and resolved by the bot without a "
            "person ÷ all ended bot conversations."
        ),
        PERCENT,
        HIGHER,
        bot_share,
        CHANNEL_ONLY,
    ),
    (
        "self_service_share",
        _("Self-service share"),
        _("Self-service successes ÷ (self-service successes + tickets opened)."),
        PERCENT,
        HIGHER,
        self_service_share,
        CHANNEL_ONLY,
    ),
    (
        "knowledge_use_rate",
        _("Knowledge-use rate"),
        _(
            "Tickets opened in the period on which an article was linked, inserted or "
            "answered by the bot ÷ tickets opened."
        ),
        PERCENT,
        HIGHER,
        knowledge_use_rate,
    ),
    (
        "escalated_resolution_rate",
        _("Escalated resolution rate"),
        _("Escalated tickets (opened in the period) now resolved or closed ÷ escalated tickets."),
        PERCENT,
        HIGHER,
        escalated_resolution_rate,
    ),
    (
        "qa_pass_rate",
        _("QA pass rate"),
        _(
            "QA reviews submitted in the period that passed ÷ reviews submitted (calibration "
            "rounds excluded)."
        ),
        PERCENT,
        HIGHER,
        qa_pass_rate,
    ),
):
    register(
        MetricDefinition(
            key=_key,
            label=_label,
            definition=_definition,
            unit=_unit,
            direction=_direction,
            measure=_measure,
            scope_fields=_scope[0] if _scope else TICKET_SCOPE,
        )
    )
