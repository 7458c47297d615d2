"""Reading for the inbox and the team lead's pages: views, filters, search, queue figures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.customers.identities import normalize_email
from closeloop.customers.models import Customer, Identity, IdentityKind
from closeloop.people.access import Requester
from closeloop.people.models import Agent, Availability, Team, TeamMembership, TeamRole
from closeloop.tickets.models import OPEN_STATUSES, Status, Ticket
from closeloop.tickets.selectors import ticket_inbox, tickets_visible_to
from closeloop.triage.models import Category, TicketTag
from closeloop.triage.tags import tag_find

VIEWS = (
    "mine",
    "team",
    "unassigned",
    "needs_triage",
    "at_risk",
    "breached",
    "waiting",
    "resolved",
)
RECENTLY_RESOLVED_DAYS = 7
WAITING_LONGEST = 10
NUMBER_QUERY = re.compile(r"^(?:[A-Za-z]{1,10}-|#)?(\d{1,18})$")


@dataclass(frozen=True)
class InboxFilters:
    """What the agent narrowed the list to (all optional)."""

    channel: str = ""
    kind: str = ""
    priority: str = ""
    category: Category | None = None
    tag: str = ""
    segment: str = ""
    touchpoint: str = ""
    q: str = ""
    sort: str = "due"


def _open(view: str) -> list[str]:
    return [str(status) for status in OPEN_STATUSES] if view != "waiting" else []


def inbox_tickets(
    requester: Requester,
    *,
    view: str,
    filters: InboxFilters | None = None,
    now: datetime | None = None,
) -> QuerySet[Ticket]:
    """The tickets of one inbox view the requester may see, filtered, searched and ordered."""
    filters = filters or InboxFilters()
    now = now or clock.now()
    visible = tickets_visible_to(requester)
    ordering = "due" if filters.sort == "due" else "-updated"
    arguments: dict[str, Any] = {
        "statuses": _open(view),
        "ordering": ordering,
        "now": now,
        "channels": [filters.channel] if filters.channel else (),
        "kinds": [filters.kind] if filters.kind else (),
        "priorities": [filters.priority] if filters.priority else (),
    }
    if view == "mine":
        # An administrator without an agent profile owns no tickets: an empty list.
        arguments["assignee_id"] = requester.agent.pk if requester.agent else 0
    elif view == "team":
        visible = visible.filter(team_id__in=sorted(requester.team_ids))
    elif view == "unassigned":
        arguments["is_unassigned"] = True
    elif view == "needs_triage":
        visible = visible.filter(triage__needs_triage=True)
    elif view == "at_risk":
        arguments["sla_state"] = "warning"
    elif view == "breached":
        arguments["sla_state"] = "breached"
    elif view == "waiting":
        arguments["statuses"] = [Status.PENDING_CUSTOMER]
    elif view == "resolved":
        arguments["statuses"] = [Status.RESOLVED, Status.CLOSED]
        visible = visible.filter(resolved_at__gte=now - timedelta(days=RECENTLY_RESOLVED_DAYS))
    else:
        raise ValueError(f"unknown inbox view {view!r}")
    visible = _narrowed(visible, filters)
    tickets = ticket_inbox(visible, **arguments)
    if view == "resolved" and filters.sort == "due":
        # Nothing is due on a resolved ticket: the latest resolution first.
        tickets = tickets.order_by("-resolved_at", "-id")
    return tickets


def inbox_page(
    tickets: QuerySet[Ticket], *, number: str | None, size: int
) -> tuple[Page[Any], list[Ticket]]:
    """One page of an inbox listing: the page's ids first (no joins: a search matching
    thousands of tickets sorts ids, not joined rows), then those tickets with their customer,
    team and assignee. Three queries whatever the page size (count, ids, rows)."""
    ids_page = Paginator(tickets.values_list("pk", flat=True), size).get_page(number)
    ids = list(ids_page.object_list)
    found = Ticket.objects.select_related("customer", "team", "assignee").in_bulk(ids)
    return ids_page, [found[pk] for pk in ids if pk in found]


def _narrowed(tickets: QuerySet[Ticket], filters: InboxFilters) -> QuerySet[Ticket]:
    if filters.segment:
        tickets = tickets.filter(customer__segment=filters.segment)
    if filters.touchpoint:
        tickets = tickets.filter(touchpoint=filters.touchpoint)
    if filters.category is not None:
        tickets = tickets.filter(triage__category_id__in=category_and_descendants(filters.category))
    if filters.tag:
        tag = tag_find(filters.tag)
        tag_id = tag.pk if tag is not None else 0
        tickets = tickets.filter(
            Exists(TicketTag.objects.filter(ticket_id=OuterRef("pk"), tag_id=tag_id))
        )
    if filters.q:
        tickets = tickets.filter(search_condition(filters.q))
    return tickets


def category_and_descendants(category: Category) -> list[int]:
    """The category's id and those of every category below it (the tree is three deep)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = [child for pk in frontier for child in children.get(pk, [])]
        found += frontier
    return found


def search_condition(text: str) -> Q:
    """Search by ticket number (``10001``, ``CL-10001``, ``#10001``), exact customer email
    (the identity's unique index), customer name prefix, or words of the subject."""
    text = text.strip()
    if match := NUMBER_QUERY.match(text):
        return Q(number=int(match.group(1)))
    if "@" in text:
        try:
            email = normalize_email(text)
        except InvalidInput:  # a malformed address simply finds nothing
            return Q(pk__in=[])
        owners = Identity.objects.filter(kind=IdentityKind.EMAIL, value=email).values("customer_id")
        return Q(customer_id__in=owners)
    # A subquery, not a join: the customers whose name starts so, then the tickets.
    named = Customer.objects.filter(name__istartswith=text).values("pk")
    return Q(subject__icontains=text) | Q(customer_id__in=named)


def lead_team_ids(requester: Requester) -> list[int]:
    """The teams the requester leads (every team for an administrator)."""
    if requester.is_admin:
        return list(Team.objects.values_list("pk", flat=True))
    if requester.agent is None:
        return []
    return list(
        TeamMembership.objects.filter(agent=requester.agent, role=TeamRole.LEAD).values_list(
            "team_id", flat=True
        )
    )


@dataclass
class TeamQueue:
    """One team's queue: open tickets by status, SLA trouble, the tickets themselves."""

    team: Team
    by_status: dict[str, int] = field(default_factory=dict)
    at_risk: int = 0
    breached: int = 0

    @property
    def open_total(self) -> int:
        """Open tickets in the queue."""
        return sum(self.by_status.values())


def team_queues(team_ids: list[int], *, now: datetime | None = None) -> list[TeamQueue]:
    """Counts by status and SLA state of the open tickets of each team (one grouped query)."""
    now = now or clock.now()
    queues = {team.pk: TeamQueue(team=team) for team in Team.objects.filter(pk__in=team_ids)}
    rows = (
        Ticket.objects.filter(team_id__in=team_ids, status__in=OPEN_STATUSES)
        .values("team_id", "status")
        .annotate(
            total=Count("id"),
            breached=Count("id", filter=Q(sla_breached_at__isnull=False) | Q(sla_due_at__lte=now)),
            warning=Count(
                "id",
                filter=Q(sla_breached_at__isnull=True)
                & (Q(sla_due_at__gt=now) | Q(sla_due_at__isnull=True))
                & Q(sla_warning_at__lte=now),
            ),
        )
    )
    for row in rows:
        queue = queues[row["team_id"]]
        queue.by_status[row["status"]] = row["total"]
        queue.breached += row["breached"]
        queue.at_risk += row["warning"]
    return sorted(queues.values(), key=lambda queue: queue.team.name)


def team_open_tickets(team_ids: list[int], *, limit: int = 100) -> QuerySet[Ticket]:
    """Open tickets of the given teams, the most urgent first (for reassignment)."""
    return ticket_inbox(
        Ticket.objects.filter(team_id__in=team_ids), statuses=["open"], ordering="due"
    )[:limit]


def team_at_risk(team_ids: list[int], *, now: datetime | None = None) -> QuerySet[Ticket]:
    """Open tickets of the teams that are in warning or breached, the most urgent first."""
    now = now or clock.now()
    at_risk = Q(sla_warning_at__lte=now) | Q(sla_breached_at__isnull=False) | Q(sla_due_at__lte=now)
    return ticket_inbox(
        Ticket.objects.filter(team_id__in=team_ids).filter(at_risk),
        statuses=["open"],
        ordering="due",
    )


def team_agents(team_ids: list[int]) -> QuerySet[Agent]:
    """Agents of the teams with their open load (one query, ordered by name)."""
    return (
        Agent.objects.filter(memberships__team_id__in=team_ids, user__is_active=True)
        .distinct()
        .annotate(
            open_load=Count(
                "assigned_tickets",
                filter=Q(assigned_tickets__status__in=OPEN_STATUSES),
                distinct=True,
            )
        )
        .order_by("display_name")
    )


@dataclass
class Wall:
    """What the live wall shows: open tickets by status, the longest waiting, agents."""

    by_status: dict[str, int]
    waiting_longest: list[Ticket]
    agents: list[Agent]
    by_availability: dict[str, int]


def wall(team_ids: list[int]) -> Wall:
    """The wall's figures for the teams (a few grouped queries, none per row)."""
    tickets = Ticket.objects.filter(team_id__in=team_ids, status__in=OPEN_STATUSES)
    by_status = {str(status): 0 for status in OPEN_STATUSES}
    for row in tickets.values("status").annotate(total=Count("id")):
        by_status[row["status"]] = row["total"]
    waiting = list(
        tickets.exclude(status=Status.PENDING_CUSTOMER)
        .select_related("customer", "assignee", "team")
        .order_by("created_at", "id")[:WAITING_LONGEST]
    )
    agents = list(team_agents(team_ids))
    by_availability = {str(value): 0 for value in Availability.values}
    for agent in agents:
        by_availability[agent.availability] = by_availability.get(agent.availability, 0) + 1
    return Wall(
        by_status=by_status,
        waiting_longest=waiting,
        agents=agents,
        by_availability=by_availability,
    )


def assignable_agents() -> QuerySet[Agent]:
    """Agents a ticket can be given to (active logins), by name."""
    return Agent.objects.filter(user__is_active=True).order_by("display_name")


__all__ = [
    "VIEWS",
    "InboxFilters",
    "TeamQueue",
    "Wall",
    "assignable_agents",
    "category_and_descendants",
    "inbox_page",
    "inbox_tickets",
    "lead_team_ids",
    "search_condition",
    "team_agents",
    "team_at_risk",
    "team_open_tickets",
    "team_queues",
    "tickets_visible_to",
    "wall",
]
