"""Ticket creation through the service layer (customer_identify + ticket_create): tickets/s.

Each ticket is one transaction, as an intake (or ``POST /api/v1/tickets``) does it: recognise
the customer, open the ticket with its first message, events and SLA clocks. One process, one
connection, on a fresh migrated database: SQLite in WAL mode with the project's settings, and
PostgreSQL when ``--database-url`` names a server (a ``closeloop_bench_…`` database is made).
"""

from __future__ import annotations

import cProfile
import time
from typing import Any

from bench._support import (
    database_label,
    fresh_setup,
    latency_summary,
    postgres_version,
    run_child,
)

TARGET_TICKETS_PER_SECOND = 500.0
SEED = 20251001
# The first tickets build the SLA policy cache and calendar tables; they are not measured.
WARM_UP_TICKETS = 30
QUERY_SAMPLE_TICKETS = 20

OPTIONS_HELP = {
    "seconds": "how long to create tickets on each database",
    "tickets": "stop earlier after this many tickets",
    "database_url": "also measure on this PostgreSQL server (postgresql://…)",
    "returning_share": "share of contacts from customers already known (0-1)",
    "profile": "write cProfile stats of the timed loop to PROFILE.<database>",
}


def run(
    *,
    seconds: float = 10.0,
    tickets: int = 100_000,
    database_url: str = "",
    returning_share: float = 0.3,
    profile: str = "",
) -> dict[str, Any]:
    """Measure tickets/s on SQLite, and on PostgreSQL when ``database_url`` is given."""
    results: dict[str, Any] = {}
    for url in ("", database_url) if database_url else ("",):
        label = database_label(url)
        with fresh_setup("create", url) as (data_dir, bench_url):
            figures = run_child(
                "bench.create:measure",
                data_dir=data_dir,
                database_url=bench_url,
                options={
                    "seconds": seconds,
                    "tickets": tickets,
                    "returning_share": returning_share,
                    "profile": f"{profile}.{label}" if profile else "",
                },
                timeout=seconds + 600,
            )
        if url:
            figures["server_version"] = postgres_version(url)
        figures["target_tickets_per_second"] = TARGET_TICKETS_PER_SECOND
        figures["meets_target"] = figures["tickets_per_second"] >= TARGET_TICKETS_PER_SECOND
        results[label] = figures
    return results


def measure(
    *, seconds: float, tickets: int, returning_share: float, profile: str
) -> dict[str, Any]:
    """In the child process: create tickets for ``seconds``; return rate, latency, queries."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bench._workload import Intake
    from closeloop.customers.services import customer_identify
    from closeloop.tickets.services import Actor, ticket_create

    intake = Intake(seed=SEED, returning_share=returning_share)
    actor = Actor.system()

    def create_one() -> float:
        """Open one ticket in its own transaction; return the seconds its COMMIT took."""
        contact = intake.next()
        with transaction.atomic():
            customer = customer_identify(**contact["customer"])
            ticket_create(
                customer=customer,
                subject=contact["subject"],
                body=contact["body"],
                channel=contact["channel"],
                kind=contact["kind"],
                priority=contact["priority"],
                touchpoint=contact["touchpoint"],
                actor=actor,
            )
            committing = time.perf_counter()
        return time.perf_counter() - committing

    for _ in range(WARM_UP_TICKETS):
        create_one()

    profiler = cProfile.Profile() if profile else None
    durations: list[float] = []
    commit_seconds = 0.0
    began = time.perf_counter()
    cpu_began = time.process_time()
    deadline = began + seconds
    if profiler:
        profiler.enable()
    # Nothing watches the connection while timing: a wrapper or query log would send the
    # hot-path statements through Django's slower cursor (closeloop.core.sql).
    while len(durations) < tickets:
        start = time.perf_counter()
        commit_seconds += create_one()
        end = time.perf_counter()
        durations.append(end - start)
        if end >= deadline:
            break
    elapsed = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)

    with CaptureQueriesContext(connection) as captured:
        for _ in range(QUERY_SAMPLE_TICKETS):
            create_one()
    return {
        "tickets": len(durations),
        "seconds": elapsed,
        "tickets_per_second": len(durations) / elapsed,
        # This process's CPU only: less swayed by other load on the machine; for PostgreSQL
        # it leaves out the server's work.
        "tickets_per_cpu_second": len(durations) / cpu_seconds,
        **latency_summary(durations),
        "queries_per_ticket": len(captured) / QUERY_SAMPLE_TICKETS,
        "commit_share_of_time": commit_seconds / elapsed,
        "profiled": bool(profiler),
    }
