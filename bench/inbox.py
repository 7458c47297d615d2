"""The inbox query at 100,000 tickets: first page of 50 open tickets per shape, p50/p95 ms.

Seeds a fresh database with bulk_create (not the services: that would take minutes): teams,
agents, customers and tickets with a realistic spread (~10 % open, recent; the rest resolved or
closed over two years; SLA due times on running tickets; clocks for open tickets). Then runs
``ticket_inbox(tickets_visible_to(agent), status=open, ordering=due)`` for each shape — all
open, one team, one assignee, unassigned, sla_state=warning — as an agent in two teams (not an
administrator), and reports the page query (customer, team and assignee joined, evaluated to a
list) and the whole of what ``GET /api/v1/tickets`` asks the database (count, page, clocks).
Each shape's plan is checked against the indexes in ``Ticket.Meta``.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bench._support import (
    database_label,
    fresh_setup,
    postgres_version,
    run_child,
    timed_runs,
)

TARGET_P95_MS = 50.0
SEED = 20251001
PAGE_SIZE = 50
WARM_UP_RUNS = 5
TEAMS = (
    # (name, code, share of tickets, restricted)
    ("After-sales", "after-sales", 34, False),
    ("Pre-sales", "pre-sales", 20, False),
    ("Technical", "technical", 18, False),
    ("Billing", "billing", 12, False),
    ("VIP care", "vip-care", 8, False),
    ("Security", "security", 8, True),
)
AGENTS_PER_TEAM = 8
UNTEAMED_SHARE = 0.1
STATUS_WEIGHTS = {
    "new": 2.0,
    "assigned": 2.0,
    "in_progress": 4.0,
    "pending_customer": 2.0,
    "resolved": 4.0,
    "closed": 86.0,
}
PRIORITY_POLICY = {
    "high": ("High priority", 60, 24 * 60),
    "medium": ("Medium priority", 120, 48 * 60),
    "low": ("Low priority", 240, 72 * 60),
}
# SQLite: "USING [COVERING] INDEX name"; PostgreSQL: "Index [Only] Scan using name",
# "Bitmap Index Scan on name".
INDEX_IN_PLAN = re.compile(r"(?:USING (?:COVERING )?INDEX|Scan (?:Backward )?using|Scan on) (\w+)")
SHAPES: dict[str, dict[str, Any]] = {
    "open": {},
    "team": {"team_id": "after-sales"},
    "assignee": {"assignee_id": "requester"},
    "unassigned": {"is_unassigned": True},
    "sla_warning": {"sla_state": "warning"},
}

OPTIONS_HELP = {
    "tickets": "tickets to seed",
    "seconds": "measuring time per shape and query",
    "repeat": "stop a shape earlier after this many runs",
    "database_url": "also measure on this PostgreSQL server (postgresql://…)",
    "sqlite_analyze": "run ANALYZE on SQLite after seeding (PostgreSQL is always analysed, "
    "as autovacuum would)",
}


def run(
    *,
    tickets: int = 100_000,
    seconds: float = 2.0,
    repeat: int = 500,
    database_url: str = "",
    sqlite_analyze: bool = False,
) -> dict[str, Any]:
    """Seed ``tickets`` and time each inbox shape, on SQLite and optionally PostgreSQL."""
    results: dict[str, Any] = {}
    for url in ("", database_url) if database_url else ("",):
        label = database_label(url)
        with fresh_setup("inbox", url) as (data_dir, bench_url):
            figures = run_child(
                "bench.inbox:measure",
                data_dir=data_dir,
                database_url=bench_url,
                options={
                    "tickets": tickets,
                    "seconds": seconds,
                    "repeat": repeat,
                    "analyze": bool(url) or sqlite_analyze,
                },
                timeout=1800 + 2 * seconds * len(SHAPES),
            )
        if url:
            figures["server_version"] = postgres_version(url)
        figures["target_p95_ms"] = TARGET_P95_MS
        figures["meets_target"] = all(
            shape["page"]["p95_ms"] <= TARGET_P95_MS for shape in figures["shapes"].values()
        )
        results[label] = figures
    return results


def measure(*, tickets: int, seconds: float, repeat: int, analyze: bool) -> dict[str, Any]:
    """In the child process: seed, then time every shape; return figures and plans."""
    from django.contrib.auth.models import User
    from django.db import connection

    from closeloop.people.access import requester_for
    from closeloop.people.models import Team

    began = time.perf_counter()
    seeded = _seed(tickets)
    seed_seconds = time.perf_counter() - began
    if analyze:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    requester = requester_for(User.objects.get(username="agent0"))
    after_sales = Team.objects.get(code="after-sales")
    shapes: dict[str, Any] = {}
    for name, raw in SHAPES.items():
        filters = dict(raw)
        if "team_id" in filters:
            filters["team_id"] = after_sales.pk
        if "assignee_id" in filters:
            filters["assignee_id"] = requester.agent.pk  # type: ignore[union-attr]
        shapes[name] = _measure_shape(requester, filters, seconds=seconds, repeat=repeat)
    return {
        "tickets": tickets,
        "open_tickets": seeded["open"],
        "seed_seconds": seed_seconds,
        "analyzed": analyze,
        "shapes": shapes,
    }


def _measure_shape(
    requester: Any, filters: dict[str, Any], *, seconds: float, repeat: int
) -> dict[str, Any]:
    """Time the page query and the API's queries for one inbox shape; explain the page."""
    from django.core.paginator import Paginator
    from django.db import connection

    from closeloop.tickets.selectors import ticket_inbox, tickets_visible_to

    def inbox() -> Any:
        return ticket_inbox(
            tickets_visible_to(requester), statuses=["open"], ordering="due", **filters
        )

    def page() -> int:
        return len(list(inbox()[:PAGE_SIZE]))

    def api() -> int:
        # get_page() counts the matching rows, as the API's paginator does.
        listing = Paginator(inbox().prefetch_related("clocks"), PAGE_SIZE).get_page(1)
        return len(list(listing.object_list))

    sql, params = inbox()[:PAGE_SIZE].query.sql_with_params()

    def page_sql() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall())

    rows = page()
    return {
        "rows": rows,
        "matching": inbox().count(),
        "page": _timings(page, seconds=seconds, repeat=repeat),
        # The same SQL through a bare cursor: the database's share of the page query.
        "page_sql_only": _timings(page_sql, seconds=seconds, repeat=repeat),
        "api_queries": _timings(api, seconds=seconds, repeat=repeat),
        **_plan(inbox()[:PAGE_SIZE]),
    }


def _timings(call: Callable[[], int], *, seconds: float, repeat: int) -> dict[str, Any]:
    """p50 and p95 of ``call`` (see ``timed_runs``)."""
    summary = timed_runs(call, seconds=seconds, repeat=repeat, warm_up=WARM_UP_RUNS)
    return {key: summary[key] for key in ("runs", "p50_ms", "p95_ms")}


def _plan(queryset: Any) -> dict[str, Any]:
    """The page query's plan, which ticket indexes it reads, and whether it sorts or scans."""
    from closeloop.tickets.models import Ticket

    plan = queryset.explain()
    table = Ticket._meta.db_table
    used = [
        name
        for name in dict.fromkeys(INDEX_IN_PLAN.findall(plan))
        if name.startswith(("ticket_", f"{table}_"))
    ]
    declared = {index.name for index in Ticket._meta.indexes}
    return {
        # Meta indexes by name; the rest are Django's automatic foreign-key indexes.
        "indexes_used": [name if name in declared else f"{name} (foreign key)" for name in used]
        or ["none"],
        "sorts_all_matching_rows": "TEMP B-TREE FOR ORDER BY" in plan or "Sort Key" in plan,
        "scans_ticket_table": f"SCAN {table}\n" in f"{plan}\n" or f"Seq Scan on {table}" in plan,
        "plan": plan,
    }


def _seed(count: int) -> dict[str, int]:
    """Bulk-insert teams, agents, customers, tickets and open tickets' clocks."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from closeloop.core import clock
    from closeloop.core.models import Organization
    from closeloop.customers.models import Customer
    from closeloop.people.models import Agent, Team, TeamMembership
    from closeloop.tickets.models import Ticket

    # Not security-sensitive: a seeded generator makes every run hold the same tickets.
    generator = random.Random(SEED)
    now = clock.now()
    with transaction.atomic():
        teams = Team.objects.bulk_create(
            Team(name=name, code=code, is_restricted=restricted)
            for name, code, _share, restricted in TEAMS
        )
        users = User.objects.bulk_create(
            User(username=f"agent{number}") for number in range(len(TEAMS) * AGENTS_PER_TEAM)
        )
        agents = Agent.objects.bulk_create(
            Agent(user=user, display_name=f"Agent {number}") for number, user in enumerate(users)
        )
        members = {
            team.pk: agents[i * AGENTS_PER_TEAM : (i + 1) * AGENTS_PER_TEAM]
            for i, team in enumerate(teams)
        }
        TeamMembership.objects.bulk_create(
            [
                TeamMembership(team_id=team_id, agent=agent)
                for team_id, team_agents in members.items()
                for agent in team_agents
            ]
            # The requester (agent0, after-sales) also works in pre-sales.
            + [TeamMembership(team=teams[1], agent=agents[0])]
        )
        customers = Customer.objects.bulk_create(
            (
                Customer(name=f"Customer {number}", created_at=now - timedelta(days=800))
                for number in range(max(1, count // 5))
            ),
            batch_size=2000,
        )
        customer_ids = [customer.pk for customer in customers]
        team_weights = [share for _name, _code, share, _restricted in TEAMS]
        rows = (
            _ticket(
                generator,
                number,
                now=now,
                customer_ids=customer_ids,
                teams=teams,
                team_weights=team_weights,
                members=members,
                agents=agents,
            )
            for number in range(count)
        )
        Ticket.objects.bulk_create(rows, batch_size=2000)
        Organization.current()
        Organization.objects.update(next_ticket_number=10_001 + count)
        opened = _seed_clocks(now)
    return {"open": opened}


def _ticket(
    generator: random.Random,
    number: int,
    *,
    now: datetime,
    customer_ids: list[int],
    teams: list[Any],
    team_weights: list[int],
    members: dict[int, list[Any]],
    agents: list[Any],
) -> Any:
    from closeloop.tickets.models import Ticket

    status = generator.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    is_open = status in ("new", "assigned", "in_progress", "pending_customer")
    if is_open:
        # Open tickets are recent: most a few hours old, a tail of up to ten days.
        age = timedelta(hours=min(generator.expovariate(1 / 20), 240))
    elif status == "resolved":
        age = timedelta(hours=generator.uniform(1, 14 * 24))
    else:
        age = timedelta(days=generator.uniform(3, 730))
    created_at = now - age
    team = (
        None
        if generator.random() < UNTEAMED_SHARE
        else generator.choices(teams, weights=team_weights)[0]
    )
    assignee = None
    if status != "new":
        assignee = generator.choice(members[team.pk] if team else agents)
    priority = generator.choices(("high", "medium", "low"), weights=(15, 60, 25))[0]
    policy_name, first_minutes, resolution_minutes = PRIORITY_POLICY[priority]
    ticket = Ticket(
        number=10_001 + number,
        subject=f"Order {100_000 + number} question",
        kind=generator.choices(
            ("inquiry", "request", "complaint", "incident", "feedback"), weights=(50, 20, 12, 10, 8)
        )[0],
        priority=priority,
        status=status,
        channel=generator.choice(("email", "chat", "wechat", "app", "phone", "portal")),
        customer_id=generator.choice(customer_ids),
        team=team,
        assignee=assignee,
        created_at=created_at,
        updated_at=created_at,
        last_customer_message_at=created_at,
        sla_policy_name=policy_name,
    )
    if status != "new":
        ticket.assigned_at = created_at + timedelta(minutes=generator.uniform(1, 30))
    if status in ("new", "assigned", "in_progress"):
        # The earliest running clock: first response until answered, then resolution.
        minutes = first_minutes if status != "in_progress" else resolution_minutes
        ticket.sla_due_at = created_at + timedelta(minutes=minutes)
        ticket.sla_warning_at = created_at + timedelta(minutes=minutes * 0.8)
        if ticket.sla_due_at < now:
            ticket.sla_breached_at = ticket.sla_due_at
    elif status == "pending_customer":
        ticket.pending_since = created_at + (now - created_at) / 2
    else:
        resolved_at = created_at + timedelta(minutes=generator.uniform(30, 3 * 24 * 60))
        ticket.resolved_at = min(resolved_at, now)
        if status == "closed":
            ticket.closed_at = ticket.resolved_at + timedelta(days=3)
        if generator.random() < 0.08:
            ticket.sla_breached_at = created_at + timedelta(minutes=resolution_minutes)
    ticket.updated_at = max(
        value
        for value in (ticket.created_at, ticket.assigned_at, ticket.resolved_at, ticket.closed_at)
        if value is not None
    )
    return ticket


def _seed_clocks(now: datetime) -> int:
    """First-response and resolution clocks for open tickets (the API prefetches them)."""
    from closeloop.sla.models import SlaPolicy, TicketClock
    from closeloop.tickets.models import OPEN_STATUSES, Ticket

    policies = {policy.name: policy for policy in SlaPolicy.objects.all()}
    clocks: list[TicketClock] = []
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES).values_list(
        "pk", "created_at", "sla_policy_name", "priority", "status"
    )
    count = 0
    for pk, created_at, policy_name, priority, status in open_tickets.iterator():
        count += 1
        policy = policies[policy_name]
        _name, first_minutes, resolution_minutes = PRIORITY_POLICY[priority]
        answered = status not in ("new", "assigned")
        for metric, minutes in (
            ("first_response", first_minutes),
            ("resolution", resolution_minutes),
        ):
            due_at = created_at + timedelta(minutes=minutes)
            clocks.append(
                TicketClock(
                    ticket_id=pk,
                    metric=metric,
                    policy=policy,
                    started_at=created_at,
                    due_at=due_at,
                    warn_at=created_at + timedelta(minutes=minutes * 0.8),
                    stopped_at=created_at + timedelta(minutes=5)
                    if answered and metric == "first_response"
                    else None,
                    paused_since=now
                    if status == "pending_customer" and metric == "resolution"
                    else None,
                )
            )
    TicketClock.objects.bulk_create(clocks, batch_size=2000)
    return count
