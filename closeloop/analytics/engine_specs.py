"""How the engine computes each metric grouped and by day: the rows a metric counts, the
column each grouping dimension reads, and the aggregates that give numerator and sample.

A metric is *additive* when its numerator and sample for a period are the sums of its days'
(every rate and count and the CES average as sum ÷ count); those are rolled up per day.
Medians and p90 are computed directly, grouped in one query each. An on-time rate is met ÷
decided, where a clock is decided when stopped or, still running and not paused, already
overdue at the period's end: its stopped clocks (``STOPPED``: met and stopped, by the
ticket's opening day) are additive and rolled up; the running overdue ones, which depend on
the period's end, are counted directly (``running_overdue``: few, and indexed). Everything
here agrees with the metric's ``measure`` in ``metric_measures``: the tests hold them
together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Aggregate, Count, Exists, F, OuterRef, Q, QuerySet, Sum

from closeloop.analytics.metric_measures import (
    clocks_of,
    corrections_in_scope,
    responses_in_scope,
    reviews_in_scope,
)
from closeloop.analytics.metrics import (
    REPEAT_CONTACT_DAYS,
    RESOLVED_STATUSES,
    Measurement,
    Scope,
    rate,
    ticket_scope,
)
from closeloop.feedback.models import Response, SurveyType
from closeloop.knowledge.models import ArticleUse, BotConversation, BotOutcome, SelfServiceSuccess
from closeloop.knowledge.models import UseKind as ArticleUseKind
from closeloop.sla.models import Metric as ClockMetric
from closeloop.sla.models import TicketClock
from closeloop.tickets.models import Kind, Ticket

# The grouping dimensions, and the ticket column each reads.
TICKET_PATHS = {
    "channel": "channel",
    "touchpoint": "touchpoint",
    "category": "triage__category_id",
    "kind": "kind",
    "priority": "priority",
    "team": "team_id",
    "agent": "assignee_id",
    "segment": "customer__segment",
}


def ticket_paths(prefix: str, **own: str) -> dict[str, str]:
    """The dimensions reached through ``prefix`` (e.g. ``"ticket__"``), some the row's own."""
    return {name: own.get(name, prefix + path) for name, path in TICKET_PATHS.items()}


Reduce = Callable[[dict[str, Any]], tuple[float, int]]


def _hits_of_sample(row: dict[str, Any]) -> tuple[float, int]:
    return float(row["hits"] or 0), int(row["sample"] or 0)


@dataclass(frozen=True)
class Part:
    """Rows one metric counts: a queryset without the period, the time column that places a
    row in a period (and a day), and the aggregates reduced to (numerator, sample)."""

    rows: Callable[[Scope], QuerySet[Any]]
    time_field: str
    paths: dict[str, str]
    aggregates: Callable[[], dict[str, Aggregate]]
    reduce: Reduce = _hits_of_sample
    ticket_path: str = "ticket_id"  # to the tickets behind the figure
    hit: Q | None = None  # the numerator's rows (drill-down)


@dataclass(frozen=True)
class Additive:
    """An additive metric: its parts' numerators and samples add up; ``combine`` turns the
    sums into the measurement (``rate``, ``count`` or ``mean``)."""

    parts: tuple[Part, ...]
    combine: str = "rate"
    extra: dict[str, Any] = field(default_factory=dict)


def combine(kind: str, numerator: float, sample: int) -> Measurement:
    """The measurement for summed ``numerator`` and ``sample``, as ``measure`` gives it."""
    if kind == "count":
        return Measurement(value=float(numerator), numerator=int(numerator), sample=int(sample))
    if kind == "mean":
        if not sample:
            return Measurement(value=None, numerator=0, sample=0)
        average = numerator / sample
        return Measurement(value=average, numerator=average, sample=int(sample))
    return rate(int(round(numerator)), sample)


# --- the rows ---------------------------------------------------------------------------------


def _tickets(scope: Scope) -> QuerySet[Ticket]:
    return Ticket.objects.filter(ticket_scope(scope))


def _resolved(scope: Scope) -> QuerySet[Ticket]:
    return Ticket.objects.filter(ticket_scope(scope), status__in=RESOLVED_STATUSES)


def _ratio(condition: Q) -> Callable[[], dict[str, Aggregate]]:
    return lambda: {"sample": Count("pk"), "hits": Count("pk", filter=condition)}


def _opened_part(condition: Q, **kwargs: Any) -> Part:
    return Part(
        rows=_tickets,
        time_field="created_at",
        paths=dict(TICKET_PATHS),
        aggregates=_ratio(condition),
        ticket_path="pk",
        hit=condition,
        **kwargs,
    )


def _resolved_part(condition: Q) -> Part:
    return Part(
        rows=_resolved,
        time_field="resolved_at",
        paths=dict(TICKET_PATHS),
        aggregates=_ratio(condition),
        ticket_path="pk",
        hit=condition,
    )


def _responses(survey_type: str) -> Callable[[Scope], QuerySet[Response]]:
    return lambda scope: responses_in_scope(scope, survey_type)


RESPONSE_PATHS = ticket_paths(
    "ticket__", channel="channel", team="team_id", agent="agent_id", segment="customer__segment"
)


def _response_part(
    survey_type: str, aggregates: Callable[[], dict[str, Aggregate]], **kw: Any
) -> Part:
    return Part(
        rows=_responses(survey_type),
        time_field="answered_at",
        paths=RESPONSE_PATHS,
        aggregates=aggregates,
        **kw,
    )


def _nps_reduce(row: dict[str, Any]) -> tuple[float, int]:
    return float((row["promoters"] or 0) - (row["detractors"] or 0)), int(row["sample"] or 0)


def _ces_reduce(row: dict[str, Any]) -> tuple[float, int]:
    return float(row["total"] or 0), int(row["sample"] or 0)


def _bot(scope: Scope) -> QuerySet[BotConversation]:
    rows = BotConversation.objects.exclude(outcome=BotOutcome.ACTIVE)
    return rows.filter(channel=scope.channel) if scope.channel else rows


def _self_served(scope: Scope) -> QuerySet[SelfServiceSuccess]:
    rows = SelfServiceSuccess.objects.all()
    return rows.filter(channel=scope.channel) if scope.channel else rows


def _count_only(row: dict[str, Any]) -> tuple[float, int]:
    return float(row["sample"] or 0), int(row["sample"] or 0)


def _served_only(row: dict[str, Any]) -> tuple[float, int]:
    return float(row["sample"] or 0), int(row["sample"] or 0)


def _tickets_as_sample(row: dict[str, Any]) -> tuple[float, int]:
    return 0.0, int(row["sample"] or 0)


def _knowledge_used() -> Q:
    used = ArticleUse.objects.filter(
        ticket_id=OuterRef("pk"),
        kind__in=[ArticleUseKind.LINKED, ArticleUseKind.INSERTED, ArticleUseKind.BOT_ANSWERED],
    )
    return Q(Exists(used))


def _repeat() -> Q:
    earlier = Ticket.objects.filter(
        customer_id=OuterRef("customer_id"),
        triage__category_id=OuterRef("triage__category_id"),
        created_at__lt=OuterRef("created_at"),
        created_at__gte=OuterRef("created_at") - timedelta(days=REPEAT_CONTACT_DAYS),
    )
    return Q(Exists(earlier))


def _count() -> dict[str, Aggregate]:
    return {"sample": Count("pk")}


ADDITIVE: dict[str, Additive] = {
    "volume": Additive(
        (
            Part(
                rows=_tickets,
                time_field="created_at",
                paths=dict(TICKET_PATHS),
                aggregates=_count,
                reduce=_count_only,
                ticket_path="pk",
            ),
        ),
        combine="count",
    ),
    "sla_breach_rate": Additive((_opened_part(Q(sla_breached_at__isnull=False)),)),
    "complaint_rate": Additive((_opened_part(Q(kind=Kind.COMPLAINT)),)),
    "first_contact_resolution": Additive(
        (_resolved_part(Q(public_agent_reply_count=1, reopen_count=0)),)
    ),
    "reopen_rate": Additive((_resolved_part(Q(reopen_count__gt=0)),)),
    "escalated_resolution_rate": Additive(
        (
            Part(
                rows=lambda scope: _tickets(scope).filter(escalated_at__isnull=False),
                time_field="created_at",
                paths=dict(TICKET_PATHS),
                aggregates=_ratio(Q(status__in=RESOLVED_STATUSES)),
                ticket_path="pk",
                hit=Q(status__in=RESOLVED_STATUSES),
            ),
        )
    ),
    "csat": Additive(
        (_response_part(SurveyType.CSAT, _ratio(Q(score__gte=4)), hit=Q(score__gte=4)),)
    ),
    "nps": Additive(
        (
            _response_part(
                SurveyType.NPS,
                lambda: {
                    "sample": Count("pk"),
                    "promoters": Count("pk", filter=Q(score__gte=9)),
                    "detractors": Count("pk", filter=Q(score__lte=6)),
                },
                reduce=_nps_reduce,
                hit=Q(score__gte=9),
            ),
        )
    ),
    "ces": Additive(
        (
            _response_part(
                SurveyType.CES,
                lambda: {"sample": Count("pk"), "total": Sum("score")},
                reduce=_ces_reduce,
            ),
        ),
        combine="mean",
    ),
    "qa_pass_rate": Additive(
        (
            Part(
                rows=reviews_in_scope,
                time_field="submitted_at",
                paths=ticket_paths("ticket__", agent="agent_id"),
                aggregates=_ratio(Q(passed=True)),
                hit=Q(passed=True),
            ),
        )
    ),
    "bot_share": Additive(
        (
            Part(
                rows=_bot,
                time_field="started_at",
                paths={"channel": "channel"},
                aggregates=_ratio(Q(outcome=BotOutcome.RESOLVED)),
                hit=Q(outcome=BotOutcome.RESOLVED),
            ),
        )
    ),
    "self_service_share": Additive(
        (
            Part(
                rows=_self_served,
                time_field="created_at",
                paths={"channel": "channel"},
                aggregates=_count,
                reduce=_served_only,
                ticket_path="",
            ),
            Part(
                rows=_tickets,
                time_field="created_at",
                paths={"channel": "channel"},
                aggregates=_count,
                reduce=_tickets_as_sample,
                ticket_path="pk",
            ),
        )
    ),
    "classification_accuracy": Additive(
        (
            Part(
                rows=corrections_in_scope,
                time_field="created_at",
                paths=ticket_paths("ticket__"),
                aggregates=_ratio(Q(from_category=F("to_category"))),
                hit=Q(from_category=F("to_category")),
            ),
        )
    ),
}


def _knowledge_and_repeat() -> None:
    """Register the two metrics whose condition is a correlated subquery (built lazily, as
    ``OuterRef`` conditions must be fresh for each query)."""
    ADDITIVE["knowledge_use_rate"] = Additive(
        (
            Part(
                rows=_tickets,
                time_field="created_at",
                paths=dict(TICKET_PATHS),
                aggregates=lambda: {
                    "sample": Count("pk"),
                    "hits": Count("pk", filter=_knowledge_used()),
                },
                ticket_path="pk",
                hit=None,
            ),
        ),
        extra={"hit": _knowledge_used},
    )
    ADDITIVE["repeat_contact_rate"] = Additive(
        (
            Part(
                rows=_tickets,
                time_field="created_at",
                paths=dict(TICKET_PATHS),
                aggregates=lambda: {"sample": Count("pk"), "hits": Count("pk", filter=_repeat())},
                ticket_path="pk",
                hit=None,
            ),
        ),
        extra={"hit": _repeat},
    )


_knowledge_and_repeat()


# --- the direct (non-additive) metrics --------------------------------------------------------

# key -> (cohort: "opened"|"resolved", start column, end column, share None=median or 90)
WALL: dict[str, tuple[str, str, str, float | None]] = {
    "first_response_median": ("opened", "created_at", "first_responded_at", None),
    "first_response_p90": ("opened", "created_at", "first_responded_at", 90),
    "resolution_median": ("resolved", "created_at", "resolved_at", None),
    "resolution_p90": ("resolved", "created_at", "resolved_at", 90),
}
# key -> (clock metric, share)
BUSINESS: dict[str, tuple[str, float | None]] = {
    "first_response_business_median": (ClockMetric.FIRST_RESPONSE, None),
    "first_response_business_p90": (ClockMetric.FIRST_RESPONSE, 90),
    "resolution_business_median": (ClockMetric.RESOLUTION, None),
    "resolution_business_p90": (ClockMetric.RESOLUTION, 90),
}
ON_TIME: dict[str, str] = {
    "response_on_time_rate": ClockMetric.FIRST_RESPONSE,
    "resolution_on_time_rate": ClockMetric.RESOLUTION,
}
CLOCK_PATHS = ticket_paths("ticket__")


def in_period(time_field: str, start: datetime, end: datetime) -> Q:
    """``time_field`` in [start, end)."""
    return Q(**{f"{time_field}__gte": start, f"{time_field}__lt": end})


def _stopped_clocks(metric: str) -> Callable[[Scope], QuerySet[TicketClock]]:
    return lambda scope: clocks_of(scope, metric).filter(stopped_at__isnull=False)


def _on_time_stopped(metric: str) -> Additive:
    met = Q(stopped_at__lte=F("due_at"))
    return Additive(
        (
            Part(
                rows=_stopped_clocks(metric),
                time_field="ticket__created_at",
                paths=CLOCK_PATHS,
                aggregates=_ratio(met),
                hit=met,
            ),
        )
    )


# An on-time rate's stopped clocks (numerator: met; sample: stopped), rolled up under
# ``stopped_key(key)``.
STOPPED: dict[str, Additive] = {key: _on_time_stopped(metric) for key, metric in ON_TIME.items()}


def stopped_key(key: str) -> str:
    """The rollup name of on-time rate ``key``'s stopped clocks."""
    return f"{key}:stopped"


def rolled_up() -> dict[str, Additive]:
    """Every additive quantity the daily rollups keep, by its rollup name."""
    return {**ADDITIVE, **{stopped_key(key): spec for key, spec in STOPPED.items()}}


def running_overdue(key: str, scope: Scope, start: datetime, end: datetime) -> QuerySet[Any]:
    """On-time rate ``key``'s clocks of the tickets opened in [start, end) still running, not
    paused and due before ``end`` (index ``clock_running_due``)."""
    return clocks_of(scope, ON_TIME[key]).filter(
        stopped_at__isnull=True,
        paused_since__isnull=True,
        due_at__lt=end,
        ticket__created_at__gte=start,
        ticket__created_at__lt=end,
    )
