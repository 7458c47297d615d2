"""The dashboards beyond the overview: the customer journey and channels, teams and agents,
SLA, surveys, classification quality, and the tickets behind a figure (drill-down).

Read-only; rates and times come from the metric registry through ``dashboards.grouped``, the
rest (breaches by policy, score distributions, confusion pairs) are grouped counts of one
query each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from closeloop.analytics.dashboards import GroupRow, Period, grouped
from closeloop.analytics.engine import ALL, metric_value, tickets_behind
from closeloop.analytics.metrics import (
    Measurement,
    Scope,
)
from closeloop.core.errors import InvalidInput
from closeloop.feedback.models import SCALES, FollowUpOutcome, Response, SurveyType
from closeloop.people.models import Agent, Team
from closeloop.quality.selectors import QualityScore, quality_scores
from closeloop.sla.models import TicketClock
from closeloop.tickets.models import OPEN_STATUSES, Channel, Ticket, Touchpoint
from closeloop.triage.models import Category, TriageCorrection

JOURNEY_METRICS = ("volume", "complaint_rate", "csat", "response_on_time_rate")
TEAM_METRICS = (
    "volume",
    "first_response_median",
    "resolution_median",
    "response_on_time_rate",
    "csat",
)
AT_RISK_LIMIT = 20
COMMENTS_LIMIT = 20
CONFUSION_LIMIT = 10
SCOPE_PARAMS = ("touchpoint", "channel", "team", "agent", "category", "kind", "priority")


def drill_query(key: str, period: Period, scope: Scope) -> str:
    """The query string of the drill-down page for metric ``key`` in ``scope``."""
    params = {"metric": key, **period.query()}
    for name, param in (
        ("touchpoint", "touchpoint"),
        ("channel", "channel"),
        ("team_id", "team"),
        ("agent_id", "agent"),
        ("category_id", "category"),
        ("kind", "kind"),
        ("priority", "priority"),
    ):
        value = getattr(scope, name)
        if value not in ("", None):
            params[param] = str(value)
    return urlencode(params)


def scope_parse(params: dict[str, str]) -> Scope:
    """The scope named by query parameters; InvalidInput names a wrong one."""
    values: dict[str, object] = {}
    for param, name in (("team", "team_id"), ("agent", "agent_id"), ("category", "category_id")):
        raw = params.get(param, "").strip()
        if raw:
            if not raw.isdigit():
                raise InvalidInput(_("Not a number."), details={"field": param})
            values[name] = int(raw)
    for param in ("touchpoint", "channel", "kind", "priority"):
        raw = params.get(param, "").strip()
        if raw:
            values[param] = raw
    return Scope(**values)  # type: ignore[arg-type]


# --- journey and channels ---------------------------------------------------------------------


def journey_data(period: Period) -> tuple[list[GroupRow], list[GroupRow]]:
    """Volume, complaint rate, CSAT and response on-time per touchpoint (in journey order)
    and per inbound channel."""
    channels = [(value, label) for value, label in Channel.choices if value != Channel.SMS]
    return (
        grouped(JOURNEY_METRICS, "touchpoint", Touchpoint.choices, period),
        grouped(JOURNEY_METRICS, "channel", channels, period),
    )


# --- teams and agents -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRow:
    """An agent's workload, speed and quality over the period."""

    agent: Agent
    row: GroupRow
    open_now: int
    quality: QualityScore | None


def team_data(period: Period, team_ids: list[int] | None) -> tuple[list[GroupRow], list[AgentRow]]:
    """Each team's and each agent's figures (``team_ids`` None: every team)."""
    teams = Team.objects.order_by("name")
    agents = Agent.objects.filter(user__is_active=True).order_by("display_name")
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids)
        agents = agents.filter(memberships__team_id__in=team_ids).distinct()
    team_rows = grouped(TEAM_METRICS, "team", [(t.pk, t.name) for t in teams], period)
    agent_list = list(agents)
    agent_rows = grouped(
        TEAM_METRICS, "agent", [(a.pk, a.display_name) for a in agent_list], period
    )
    open_counts = dict(
        Ticket.objects.filter(assignee__in=agent_list, status__in=OPEN_STATUSES)
        .values("assignee")
        .annotate(count=Count("pk"))
        .values_list("assignee", "count")
    )
    scores = quality_scores(
        agent_ids=[a.pk for a in agent_list], start=period.start, end=period.end
    )
    return team_rows, [
        AgentRow(agent, row, open_counts.get(agent.pk, 0), scores.get(agent.pk))
        for agent, row in zip(agent_list, agent_rows, strict=True)
    ]


# --- SLA --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaData:
    """Clocks at risk and overdue now; warnings and breaches in the period by policy and team
    (``breaches`` and ``warned_only`` — warned but not breached — split each row's clocks)."""

    at_risk: list[TicketClock]
    at_risk_count: int
    overdue: list[TicketClock]
    overdue_count: int
    by_policy: list[dict[str, Any]]
    by_team: list[dict[str, Any]]
    warnings: int
    breaches: int


def sla_data(period: Period, now: datetime) -> SlaData:
    """Running clocks of open tickets past their warning time (soonest due first) and past
    their due time (longest overdue first), and the period's warnings and breaches grouped by
    policy and by the ticket's team."""
    running = TicketClock.objects.filter(
        stopped_at__isnull=True, paused_since__isnull=True, ticket__status__in=OPEN_STATUSES
    ).select_related("ticket", "ticket__assignee", "policy")
    at_risk = running.filter(warn_at__lte=now, due_at__gt=now).order_by("due_at")
    overdue = running.filter(due_at__lte=now).order_by("due_at")
    warned = Q(warned_at__gte=period.start, warned_at__lt=period.end)
    breached = Q(breached_at__gte=period.start, breached_at__lt=period.end)
    in_period = TicketClock.objects.filter(warned | breached)
    counts = {
        "warnings": Count("pk", filter=warned),
        "breaches": Count("pk", filter=breached),
        "warned_only": Count("pk", filter=warned & ~breached),
    }
    by_policy: list[dict[str, Any]] = [
        dict(row)
        for row in in_period.values("policy__name")
        .annotate(**counts)
        .order_by("-breaches", "policy__name")  # type: ignore[misc]
    ]
    by_team: list[dict[str, Any]] = [
        dict(row)
        for row in in_period.values("ticket__team__name", "ticket__team")
        .annotate(**counts)
        .order_by("-breaches", "ticket__team__name")  # type: ignore[misc]
    ]
    totals = in_period.aggregate(**counts)
    return SlaData(
        at_risk=list(at_risk[:AT_RISK_LIMIT]),
        at_risk_count=at_risk.count(),
        overdue=list(overdue[:AT_RISK_LIMIT]),
        overdue_count=overdue.count(),
        by_policy=by_policy,
        by_team=by_team,
        warnings=totals["warnings"] or 0,
        breaches=totals["breaches"] or 0,
    )


# --- surveys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyDistribution:
    """One survey type's responses in the period, score by score."""

    survey_type: str
    label: str | Promise
    buckets: list[tuple[str, int]]
    total: int


def survey_data(
    period: Period,
) -> tuple[list[SurveyDistribution], list[Response], list[tuple[str | Promise, int]]]:
    """The score distribution per survey type, the latest comments, follow-up outcomes."""
    answered = Response.objects.filter(answered_at__gte=period.start, answered_at__lt=period.end)
    counts = Counter(
        {
            (row["survey_type"], row["score"]): row["count"]
            for row in answered.values("survey_type", "score").annotate(count=Count("pk"))
        }
    )
    distributions = []
    for value, label in SurveyType.choices:
        low, high = SCALES[value]
        buckets = [(str(score), counts[(value, score)]) for score in range(low, high + 1)]
        distributions.append(
            SurveyDistribution(value, label, buckets, sum(count for _, count in buckets))
        )
    comments = list(
        answered.exclude(comment="")
        .select_related("ticket")
        .order_by("-answered_at", "-pk")[:COMMENTS_LIMIT]
    )
    outcome_counts = dict(
        answered.exclude(follow_up_outcome="")
        .values("follow_up_outcome")
        .annotate(count=Count("pk"))
        .values_list("follow_up_outcome", "count")
    )
    outcomes: list[tuple[str | Promise, int]] = [
        (label, outcome_counts.get(value, 0)) for value, label in FollowUpOutcome.choices
    ]
    return distributions, comments, outcomes


# --- classification quality -------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryAccuracy:
    """How often agents kept one category when they reviewed it."""

    category: Category | None
    reviewed: int
    changed: int

    @property
    def accuracy(self) -> float | None:
        return 100.0 * (self.reviewed - self.changed) / self.reviewed if self.reviewed else None


@dataclass(frozen=True)
class ClassificationData:
    """The ``classification_accuracy`` metric over the period, per suggested category, and
    the top confusions (suggested → what the agent chose)."""

    accuracy: Measurement
    by_category: list[CategoryAccuracy]
    confusions: list[tuple[Category | None, Category | None, int]]


def classification_data(period: Period) -> ClassificationData:
    """The metric's reviews (triage corrections in the period of a ticket that had a
    category) grouped by the category suggested and by the pair (suggested, chosen)."""
    reviewed = TriageCorrection.objects.filter(
        created_at__gte=period.start, created_at__lt=period.end, from_category__isnull=False
    )
    pairs = list(
        reviewed.values_list("from_category_id", "to_category_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    names = Category.objects.in_bulk({pk for pair in pairs for pk in pair[:2]})
    per_category: Counter[int] = Counter()
    changed: Counter[int] = Counter()
    confusions: Counter[tuple[int, int]] = Counter()
    for source, target, count in pairs:
        per_category[source] += count
        if source != target:
            changed[source] += count
            confusions[(source, target)] += count
    by_category = sorted(
        (CategoryAccuracy(names.get(pk), n, changed[pk]) for pk, n in per_category.items()),
        key=lambda row: (row.accuracy if row.accuracy is not None else 101.0, -row.reviewed),
    )
    return ClassificationData(
        accuracy=metric_value("classification_accuracy", ALL, period.start, period.end),
        by_category=by_category,
        confusions=[
            (names.get(source), names.get(target), count)
            for (source, target), count in confusions.most_common(CONFUSION_LIMIT)
        ],
    )


# --- drill-down -------------------------------------------------------------------------------


def tickets_for(key: str, period: Period, scope: Scope, part: str) -> QuerySet[Ticket]:
    """The tickets behind a figure (``engine.tickets_behind``), with what the list shows."""
    return tickets_behind(
        key=key, start=period.start, end=period.end, scope=scope, part=part
    ).select_related("assignee", "team")
