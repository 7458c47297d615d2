"""How each metric is measured (the definitions are listed in ``metric_catalogue``)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

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

from closeloop.analytics.metrics import (
    REPEAT_CONTACT_DAYS,
    RESOLVED_STATUSES,
    Measure,
    Measurement,
    Scope,
    business_minutes,
    opened,
    rate,
    ratio_of,
    resolved,
    ticket_scope,
)
from closeloop.feedback.models import Response, SurveyType
from closeloop.knowledge.models import ArticleUse, BotConversation, BotOutcome, SelfServiceSuccess
from closeloop.knowledge.models import UseKind as ArticleUseKind
from closeloop.quality.models import Review, ReviewStatus
from closeloop.sla.models import Metric as ClockMetric
from closeloop.sla.models import TicketClock
from closeloop.tickets.models import Kind, Ticket
from closeloop.triage.models import TicketTriage, TriageCorrection

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


def wall_minutes(cohort: str, share: float | None) -> Measure:
    def measure_wall(scope: Scope, start: datetime, end: datetime) -> Measurement:
        """Wall-clock minutes from opening to the first reply or the resolution."""
        if cohort == "first_response":
            return ranked_minutes(
                opened(scope, start, end), "created_at", "first_responded_at", share
            )
        return ranked_minutes(resolved(scope, start, end), "created_at", "resolved_at", share)

    return measure_wall


def clocks_of(scope: Scope, metric: str) -> QuerySet[TicketClock]:
    return TicketClock.objects.filter(ticket_scope(scope, "ticket__"), metric=metric)


def first_response_business(scope: Scope, start: datetime, end: datetime) -> list[float]:
    clocks = clocks_of(scope, ClockMetric.FIRST_RESPONSE).filter(
        ticket__created_at__gte=start, ticket__created_at__lt=end, stopped_at__isnull=False
    )
    return business_minutes(clocks)


def resolution_business(scope: Scope, start: datetime, end: datetime) -> list[float]:
    clocks = clocks_of(scope, ClockMetric.RESOLUTION).filter(
        ticket__status__in=RESOLVED_STATUSES,
        ticket__resolved_at__gte=start,
        ticket__resolved_at__lt=end,
        stopped_at__isnull=False,
    )
    return business_minutes(clocks)


def on_time(metric: str) -> Measure:
    def on_time_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
        """Clocks stopped by their due time ÷ clocks stopped or already overdue at ``end``."""
        clocks = clocks_of(scope, metric).filter(
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


def with_repeat_flag(tickets: QuerySet[Ticket]) -> QuerySet[Any]:
    """``tickets`` annotated with ``category`` (its triage category) and ``is_repeat``: its
    customer opened another ticket of the same category in the 7 days before (index
    ``ticket_customer_created`` for the look-back). The category comes from a correlated
    lookup, not a join, so PostgreSQL does not hash the whole triage table for a period's
    tickets (1.5 s at a million tickets)."""
    category = Subquery(
        TicketTriage.objects.filter(ticket_id=OuterRef("pk")).values("category_id")[:1]
    )
    earlier = Ticket.objects.filter(
        customer_id=OuterRef("customer_id"),
        triage__category_id=OuterRef("category"),
        created_at__lt=OuterRef("created_at"),
        created_at__gte=OuterRef("created_at") - timedelta(days=REPEAT_CONTACT_DAYS),
    )
    return tickets.annotate(category=category).annotate(is_repeat=Exists(earlier))


def repeat_contact_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Tickets opened whose customer opened another ticket of the same category in the 7 days
    before ÷ tickets opened."""
    return ratio_of(with_repeat_flag(opened(scope, start, end)), Q(is_repeat=True))


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


def responses_in_scope(scope: Scope, survey_type: str) -> QuerySet[Response]:
    """Answered responses of one type in ``scope``; channel, team and agent are the response's
    own, the rest are its ticket's (relationship surveys have no ticket)."""
    condition = Q(survey_type=survey_type, answered_at__isnull=False)
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


def _responses(scope: Scope, start: datetime, end: datetime, survey_type: str) -> QuerySet[Any]:
    """Responses of one type answered in the period."""
    return responses_in_scope(scope, survey_type).filter(
        answered_at__gte=start, answered_at__lt=end
    )


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


def reviews_in_scope(scope: Scope) -> QuerySet[Review]:
    """Submitted QA reviews (calibration rounds excluded) in ``scope``: the agent is the
    reviewed one, the rest is the reviewed ticket's."""
    reviews = Review.objects.filter(status=ReviewStatus.SUBMITTED, calibration__isnull=True)
    if scope.agent_id is not None:
        reviews = reviews.filter(agent_id=scope.agent_id)
    rest = Scope(**{**scope.__dict__, "agent_id": None})
    return reviews.filter(ticket_scope(rest, "ticket__"))


def qa_pass_rate(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Submitted QA reviews (calibration rounds excluded) that passed ÷ submitted reviews;
    the agent is the reviewed one, the rest is the reviewed ticket's."""
    reviews = reviews_in_scope(scope).filter(submitted_at__gte=start, submitted_at__lt=end)
    return ratio_of(reviews, Q(passed=True))


def corrections_in_scope(scope: Scope) -> QuerySet[TriageCorrection]:
    """Reviews of a category suggestion: triage corrections of a ticket that had a category."""
    return TriageCorrection.objects.filter(
        ticket_scope(scope, "ticket__"), from_category__isnull=False
    )


def classification_accuracy(scope: Scope, start: datetime, end: datetime) -> Measurement:
    """Category suggestions an agent reviewed in the period and kept unchanged ÷ suggestions
    reviewed (a review is a triage correction of a ticket that had a category)."""
    reviewed = corrections_in_scope(scope).filter(created_at__gte=start, created_at__lt=end)
    return ratio_of(reviewed, Q(from_category=F("to_category")))
