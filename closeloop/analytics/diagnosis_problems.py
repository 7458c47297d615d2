"""The diagnosis' problem list: the plans' urgency rules run over the data, ranked.

HIGH (open now, whatever the period): complaints without a first reply after 24 h; high-priority
tickets open with a breached SLA; feedback without a first reply after 24 h.
MEDIUM (over the period): categories whose repeat-contact rate exceeds 30 % (at least
``MIN_CATEGORY_SAMPLE`` tickets); teams whose response on-time rate is below the goal (at least
``MIN_TEAM_SAMPLE`` decided clocks).
LOW (over the period): inconsistent scripts — an agent failing the greeting, closing or
forbidden-phrase check on more than 20 % of their checked tickets (at least
``MIN_QA_SAMPLE``); knowledge gaps — searches without result seen at least
``MIN_SEARCH_MISSES`` times and not dealt with.

Ranking: high before medium before low; within an urgency, more tickets affected first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.analytics.metric_measures import with_repeat_flag
from closeloop.analytics.metrics import RESOLVED_STATUSES
from closeloop.knowledge.models import SearchMiss
from closeloop.people.models import Agent, Team
from closeloop.quality.models import CheckOutcome, CheckResult
from closeloop.sla.models import Metric as ClockMetric
from closeloop.sla.models import TicketClock
from closeloop.tickets.models import Kind, Priority, Status, Ticket
from closeloop.triage.models import Category

UNANSWERED_HOURS = 24
REPEAT_RATE_LIMIT = 30.0
MIN_CATEGORY_SAMPLE = 20
MIN_TEAM_SAMPLE = 20
SCRIPT_CHECKS = ("greeting", "closing", "forbidden")
SCRIPT_FAILURE_LIMIT = 20.0
MIN_QA_SAMPLE = 10
MIN_SEARCH_MISSES = 3
TICKETS_LISTED = 20
OPEN_STATUSES = [status for status in Status if status not in RESOLVED_STATUSES]
QUERIES_LISTED = 10


class Urgency(StrEnum):
    """How soon a problem needs attention."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


URGENCY_ORDER = {Urgency.HIGH: 0, Urgency.MEDIUM: 1, Urgency.LOW: 2}
URGENCY_LABELS = {
    Urgency.HIGH: gettext_lazy("High"),
    Urgency.MEDIUM: gettext_lazy("Medium"),
    Urgency.LOW: gettext_lazy("Low"),
}


class Rule(StrEnum):
    """The urgency rules, in the order they are listed within an urgency."""

    COMPLAINT_UNANSWERED = "complaint_unanswered"
    HIGH_PRIORITY_BREACHED = "high_priority_breached"
    FEEDBACK_UNANSWERED = "feedback_unanswered"
    CATEGORY_REPEAT_RATE = "category_repeat_rate"
    TEAM_ON_TIME_BELOW_GOAL = "team_on_time_below_goal"
    INCONSISTENT_SCRIPT = "inconsistent_script"
    KNOWLEDGE_GAP = "knowledge_gap"


RULE_ORDER = {rule: position for position, rule in enumerate(Rule)}


@dataclass(frozen=True)
class Problem:
    """One problem: its urgency, the rule that found it, what it is and the evidence.

    ``affected`` counts the tickets (or searches) it touches, ``gap`` (0–1) how far past the
    rule's line it is; the improvement table reads both. ``tickets`` are ticket numbers to
    open (the first ``TICKETS_LISTED``); ``subject`` names the category, team or agent."""

    urgency: str
    rule: str
    title: str
    evidence: list[tuple[str, str]]
    affected: int
    gap: float
    tickets: list[int] = field(default_factory=list)
    subject: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    drill: str = ""  # the dashboards' drill-down query (metric and scope) behind the figure

    @property
    def urgency_label(self) -> str:
        """The urgency in the reader's language."""
        return str(URGENCY_LABELS[Urgency(self.urgency)])


def problems_ranked(problems: list[Problem]) -> list[Problem]:
    """High before medium before low; then more affected first; then rule order, title."""
    return sorted(
        problems,
        key=lambda problem: (
            URGENCY_ORDER[Urgency(problem.urgency)],
            -problem.affected,
            RULE_ORDER[Rule(problem.rule)],
            problem.title,
        ),
    )


def _listed(rows: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    """The first ``TICKETS_LISTED`` ticket numbers per key from (key, number) rows in order:
    one query for every flagged subject instead of one each."""
    listed: dict[int, list[int]] = {}
    for key, number in rows:
        numbers = listed.setdefault(key, [])
        if len(numbers) < TICKETS_LISTED:
            numbers.append(number)
    return listed


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f}"


def _percent(value: float) -> str:
    return f"{value:.1f} %"


# --- high: open now -----------------------------------------------------------------------------


def _open() -> QuerySet[Ticket]:
    """Tickets not resolved or closed, named by status so the status indexes serve it."""
    return Ticket.objects.filter(status__in=OPEN_STATUSES)


def high_problems(now: datetime) -> list[Problem]:
    """The open-now rules: unanswered complaints and feedback, breached high priority. One
    pass over the open tickets counts all three; a firing rule then reads its oldest tickets."""
    cutoff = now - timedelta(hours=UNANSWERED_HOURS)
    rules = (
        (
            Rule.COMPLAINT_UNANSWERED,
            Q(kind=Kind.COMPLAINT, first_responded_at__isnull=True, created_at__lte=cutoff),
            _("Complaints unanswered for more than 24 h"),
        ),
        (
            Rule.HIGH_PRIORITY_BREACHED,
            Q(priority=Priority.HIGH, sla_breached_at__isnull=False),
            _("High-priority tickets open past their SLA"),
        ),
        (
            Rule.FEEDBACK_UNANSWERED,
            Q(kind=Kind.FEEDBACK, first_responded_at__isnull=True, created_at__lte=cutoff),
            _("Feedback unanswered for more than 24 h"),
        ),
    )
    counts = _open().aggregate(
        **{rule.value: Count("pk", filter=condition) for rule, condition, _title in rules}
    )
    found = []
    for rule, condition, title in rules:
        count = counts[rule.value]
        if not count:
            continue
        oldest = list(
            _open()
            .filter(condition)
            .order_by("created_at", "pk")
            .values_list("number", "created_at")[:TICKETS_LISTED]
        )
        evidence = [(_("Tickets"), str(count))]
        if oldest:
            evidence.append((_("Oldest waiting (hours)"), _hours(now - oldest[0][1])))
        found.append(
            Problem(
                urgency=Urgency.HIGH,
                rule=rule,
                title=title,
                evidence=evidence,
                affected=count,
                gap=1.0,
                tickets=[number for number, _at in oldest],
            )
        )
    return found


# --- medium: over the period ----------------------------------------------------------------------


def category_repeat_problems(start: datetime, end: datetime) -> list[Problem]:
    """Categories whose repeat-contact rate over the period exceeds 30 % (repeat-contact rate
    as the metric defines it: the same customer opened a ticket of the same category in the
    7 days before)."""
    tickets = with_repeat_flag(
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    ).filter(category__isnull=False)
    rows = tickets.values("category").annotate(
        sample=Count("pk"), hits=Count("pk", filter=Q(is_repeat=True))
    )
    flagged = [
        (row["category"], row["hits"], row["sample"])
        for row in rows
        if row["sample"] >= MIN_CATEGORY_SAMPLE
        and 100.0 * row["hits"] / row["sample"] > REPEAT_RATE_LIMIT
    ]
    flagged_ids = [pk for pk, *_rest in flagged]
    names = {c.pk: c for c in Category.objects.filter(pk__in=flagged_ids)}
    listed = _listed(
        tickets.filter(category__in=flagged_ids, is_repeat=True)
        .order_by("-created_at", "-pk")
        .values_list("category", "number")
    )
    found = []
    for category_id, hits, sample in flagged:
        repeat_rate = 100.0 * hits / sample
        name = str(names[category_id].name_en) if category_id in names else str(category_id)
        numbers = listed.get(category_id, [])
        found.append(
            Problem(
                urgency=Urgency.MEDIUM,
                rule=Rule.CATEGORY_REPEAT_RATE,
                title=_("Repeat contacts in %(category)s") % {"category": name},
                evidence=[
                    (_("Repeat-contact rate"), _percent(repeat_rate)),
                    (_("Repeat contacts"), str(hits)),
                    (_("Tickets"), str(sample)),
                    (_("Limit"), _percent(REPEAT_RATE_LIMIT)),
                ],
                affected=hits,
                gap=repeat_rate / 100.0,
                tickets=numbers,
                subject=name,
                drill=urlencode({"metric": "repeat_contact_rate", "category": category_id}),
                details={"category_id": category_id, "category_code": names[category_id].code}
                if category_id in names
                else {"category_id": category_id},
            )
        )
    return found


def team_on_time_problems(start: datetime, end: datetime, goal: float) -> list[Problem]:
    """Teams whose first-response on-time rate (as the metric defines it) is below the goal."""
    # From the period's tickets, each looking up its own clock (the unique (ticket, metric)
    # index): a join from the clocks made PostgreSQL scan every clock (0.9 s at a million).
    clock = TicketClock.objects.filter(ticket_id=OuterRef("pk"), metric=ClockMetric.FIRST_RESPONSE)
    decided = Q(stopped_at__isnull=False) | Q(paused_since__isnull=True, due_at__lt=end)
    met = Q(stopped_at__isnull=False, stopped_at__lte=F("due_at"))
    tickets = Ticket.objects.filter(
        created_at__gte=start, created_at__lt=end, team__isnull=False
    ).annotate(is_decided=Exists(clock.filter(decided)), is_met=Exists(clock.filter(met)))
    rows = tickets.values("team_id").annotate(
        sample=Count("pk", filter=Q(is_decided=True)),
        on_time=Count("pk", filter=Q(is_met=True)),
    )
    flagged = [
        (row["team_id"], row["on_time"], row["sample"])
        for row in rows
        if row["sample"] >= MIN_TEAM_SAMPLE and 100.0 * row["on_time"] / row["sample"] < goal
    ]
    flagged_ids = [pk for pk, *_r in flagged]
    names = dict(Team.objects.filter(pk__in=flagged_ids).values_list("pk", "name"))
    # Per team, the latest 20 walking back the creation index (a team's late tickets are
    # many; reading them all to keep 20 cost seconds at a million tickets).
    late_tickets = tickets.filter(is_decided=True, is_met=False).order_by("-created_at", "-pk")
    listed = {
        team_id: list(
            late_tickets.filter(team_id=team_id).values_list("number", flat=True)[:TICKETS_LISTED]
        )
        for team_id in flagged_ids
    }
    found = []
    for team_id, met_count, sample in flagged:
        on_time = 100.0 * met_count / sample
        late = sample - met_count
        numbers = listed.get(team_id, [])
        name = names.get(team_id, str(team_id))
        found.append(
            Problem(
                urgency=Urgency.MEDIUM,
                rule=Rule.TEAM_ON_TIME_BELOW_GOAL,
                title=_("Team %(team)s answers late") % {"team": name},
                evidence=[
                    (_("Response on-time rate"), _percent(on_time)),
                    (_("Goal"), _percent(goal)),
                    (_("Late first responses"), str(late)),
                    (_("Clocks decided"), str(sample)),
                ],
                affected=late,
                gap=(goal - on_time) / goal if goal else 0.0,
                tickets=numbers,
                subject=name,
                drill=urlencode({"metric": "response_on_time_rate", "team": team_id}),
                details={"team_id": team_id},
            )
        )
    return found


# --- low: over the period -----------------------------------------------------------------------

SCRIPT_LABELS = {
    "greeting": gettext_lazy("greeting"),
    "closing": gettext_lazy("closing"),
    "forbidden": gettext_lazy("forbidden phrases"),
}


def script_problems(start: datetime, end: datetime) -> list[Problem]:
    """Agents failing a script check (greeting, closing, forbidden phrase) too often."""
    results = CheckResult.objects.filter(
        code__in=SCRIPT_CHECKS, checked_at__gte=start, checked_at__lt=end, agent__isnull=False
    )
    failed = Q(outcome=CheckOutcome.FAILED)
    rows = results.values("agent_id", "code").annotate(
        decided=Count("pk", filter=Q(outcome__in=[CheckOutcome.PASSED, CheckOutcome.FAILED])),
        failures=Count("pk", filter=failed),
    )
    flagged = [
        (row["agent_id"], row["code"], row["failures"], row["decided"])
        for row in rows
        if row["decided"] >= MIN_QA_SAMPLE
        and 100.0 * row["failures"] / row["decided"] > SCRIPT_FAILURE_LIMIT
    ]
    names = dict(
        Agent.objects.filter(pk__in=[row[0] for row in flagged]).values_list("pk", "display_name")
    )
    found = []
    for agent_id, code, failures, decided in flagged:
        share = 100.0 * failures / decided
        name = names.get(agent_id, str(agent_id))
        script = str(SCRIPT_LABELS[code])
        numbers = list(
            results.filter(failed, agent_id=agent_id, code=code)
            .order_by("-checked_at")
            .values_list("ticket__number", flat=True)[:TICKETS_LISTED]
        )
        found.append(
            Problem(
                urgency=Urgency.LOW,
                rule=Rule.INCONSISTENT_SCRIPT,
                title=_("%(agent)s misses the %(script)s script")
                % {"agent": name, "script": script},
                evidence=[
                    (_("Failed checks"), str(failures)),
                    (_("Checked tickets"), str(decided)),
                    (_("Failure share"), _percent(share)),
                    (_("Limit"), _percent(SCRIPT_FAILURE_LIMIT)),
                ],
                affected=failures,
                gap=share / 100.0,
                tickets=numbers,
                subject=f"{name}: {script}",
                details={"agent_id": agent_id, "agent": name, "check": code, "script": script},
            )
        )
    return found


def knowledge_gap_problems(start: datetime, end: datetime) -> list[Problem]:
    """Searches without result seen in the period, asked often enough, not yet dealt with."""
    misses = SearchMiss.objects.filter(
        is_resolved=False, last_at__gte=start, last_at__lt=end, count__gte=MIN_SEARCH_MISSES
    ).order_by("-count", "normalized_query")
    listed = list(misses.values_list("query", "count")[:QUERIES_LISTED])
    if not listed:
        return []
    total = sum(misses.values_list("count", flat=True))
    terms = ", ".join(query for query, _count in listed[:3])
    return [
        Problem(
            urgency=Urgency.LOW,
            rule=Rule.KNOWLEDGE_GAP,
            title=_("Searches without an answer: %(terms)s") % {"terms": terms},
            evidence=[(query, str(count)) for query, count in listed],
            affected=total,
            gap=1.0,
            subject=terms,
            details={"queries": [query for query, _count in listed]},
        )
    ]


def problems_find(
    *, start: datetime, end: datetime, now: datetime, goals: dict[str, float]
) -> list[Problem]:
    """Every rule's problems (unranked)."""
    return [
        *high_problems(now),
        *category_repeat_problems(start, end),
        *team_on_time_problems(start, end, goals["response_on_time_rate"]),
        *script_problems(start, end),
        *knowledge_gap_problems(start, end),
    ]
