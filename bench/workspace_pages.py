"""Workspace pages at 100,000 tickets: inbox and ticket page server time p50/p95 and queries.

Seeds a fresh database with ``bench.inbox``'s generator (teams, agents, customers, 100,000
tickets with ~10 % open and their SLA clocks), then, as ``agent0`` (an agent in two teams, not
an administrator), GETs pages through Django's test client — the whole server side: session,
middleware, the requester, the queries, the template — and times each: the inbox ("mine"), the
team view, a filtered view (priority high, email, sorted by due), a search by subject, the
unassigned view, and the ticket page ``/agent/tickets/<number>/`` of an open after-sales
ticket given a conversation of 30 messages first. Each page's
query count is recorded at 10 and 50 rows a page: it must not grow with the page size.
"""

from __future__ import annotations

import time
from typing import Any

from bench._support import (
    database_label,
    fresh_setup,
    postgres_version,
    run_child,
    timed_runs,
)

INBOX_TARGET_P95_MS = 100.0
TICKET_TARGET_P95_MS = 150.0
WARM_UP_RUNS = 5
TICKET_TURNS = 15  # the measured ticket's conversation: 30 messages
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "inbox_mine": ("/agent/", {}),
    "inbox_team": ("/agent/inbox/team/", {}),
    "inbox_filtered": ("/agent/inbox/team/", {"priority": "high", "channel": "email"}),
    "inbox_unassigned": ("/agent/inbox/unassigned/", {}),
    # Every seeded subject holds "order": the worst case, a search matching the whole view.
    "inbox_search_subject": ("/agent/inbox/team/", {"q": "order"}),
    "inbox_search_customer": ("/agent/inbox/team/", {"q": "Customer 1234"}),
    "chats": ("/agent/chats/", {}),
}

OPTIONS_HELP = {
    "tickets": "tickets to seed",
    "seconds": "measuring time per page",
    "repeat": "stop a page earlier after this many requests",
    "database_url": "also measure on this PostgreSQL server (postgresql://…)",
}


def run(
    *,
    tickets: int = 100_000,
    seconds: float = 3.0,
    repeat: int = 300,
    database_url: str = "",
) -> dict[str, Any]:
    """Seed ``tickets`` and time the workspace pages, on SQLite and optionally PostgreSQL."""
    results: dict[str, Any] = {}
    for url in ("", database_url) if database_url else ("",):
        label = database_label(url)
        with fresh_setup("workspace", url) as (data_dir, bench_url):
            figures = run_child(
                "bench.workspace_pages:measure",
                data_dir=data_dir,
                database_url=bench_url,
                options={"tickets": tickets, "seconds": seconds, "repeat": repeat},
                timeout=1800 + 2 * seconds * (len(PAGES) + 1),
            )
        if url:
            figures["server_version"] = postgres_version(url)
        figures["inbox_target_p95_ms"] = INBOX_TARGET_P95_MS
        figures["ticket_target_p95_ms"] = TICKET_TARGET_P95_MS
        inbox_ok = all(
            page["p95_ms"] <= INBOX_TARGET_P95_MS
            for name, page in figures["pages"].items()
            if name.startswith("inbox")
        )
        ticket = figures["pages"].get("ticket")
        figures["meets_target"] = inbox_ok and (
            ticket is None or ticket["p95_ms"] <= TICKET_TARGET_P95_MS
        )
        results[label] = figures
    return results


def measure(*, tickets: int, seconds: float, repeat: int) -> dict[str, Any]:
    """In the child process: seed, sign in as agent0, time every page; return the figures."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from bench.inbox import _seed
    from closeloop.tickets.models import Ticket

    began = time.perf_counter()
    seeded = _seed(tickets)
    seed_seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(User.objects.get(username="agent0"))

    pages: dict[str, Any] = {}
    for name, (path, params) in PAGES.items():
        pages[name] = _measure_page(client, path, params, seconds=seconds, repeat=repeat)
    note = ""
    try:
        number = (
            Ticket.objects.filter(team__code="after-sales", status="in_progress")
            .order_by("sla_due_at")
            .values_list("number", flat=True)
            .first()
        )
        ticket_path = reverse("workspace:ticket", kwargs={"number": number})
    except NoReverseMatch:
        note = "the ticket page (workspace:ticket) does not exist yet: not measured"
    else:
        _converse(Ticket.objects.get(number=number), turns=TICKET_TURNS)
        pages["ticket"] = _measure_page(client, ticket_path, {}, seconds=seconds, repeat=repeat)
        pages["ticket"]["messages"] = TICKET_TURNS * 2
    return {
        "tickets": tickets,
        "open_tickets": seeded["open"],
        "seed_seconds": round(seed_seconds, 1),
        "pages": pages,
        **({"note": note} if note else {}),
    }


def _converse(ticket: Any, *, turns: int) -> None:
    """Give the measured ticket a real conversation (the seeded tickets have none): the
    customer writes and an agent answers, ``turns`` times, through the services."""
    from closeloop.people.models import Agent
    from closeloop.tickets.services import Actor, message_add

    agent = Agent.objects.get(user__username="agent0")
    for turn in range(turns):
        message_add(
            ticket=ticket,
            body=f"Customer message {turn}: the order still has not arrived, please check.",
            actor=Actor.customer(),
            channel="email",
        )
        message_add(
            ticket=ticket,
            body=f"Agent answer {turn}: we asked the courier and will write again today.",
            actor=Actor.of_agent(agent),
            channel="email",
        )


def _measure_page(
    client: Any, path: str, params: dict[str, str], *, seconds: float, repeat: int
) -> dict[str, Any]:
    """Time GET path (p50/p95 ms) and count its queries at 10 and 50 rows a page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> int:
        response = client.get(path, params)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        return len(response.content)

    get()  # warm the per-process caches (organisation, settings) before counting
    sizes: dict[str, int] = {}
    for size in (10, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, {**params, "size": str(size)})
        sizes[f"queries_at_{size}_rows"] = len(queries)
        sizes[f"rows_at_{size}"] = response.content.count(b'class="ticket-row')
    timings = timed_runs(get, seconds=seconds, repeat=repeat, warm_up=WARM_UP_RUNS)
    return {"path": path, "params": params, **sizes, **timings}
