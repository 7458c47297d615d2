"""The monthly review at scale: seconds to gather last month's review and write its HTML, PDF
and CSV (target ≤ 10 s on PostgreSQL at 1,000,000 tickets).

Generates ``--tickets`` realistic tickets over two years (``bench._generate``), rolls every
past day up, records 40 problems of last month (each linking 50–400 of its tickets of one
category, with root causes and corrective actions), then times ``review`` (the data:
``monthly_review``) and ``files`` (the data plus HTML, PDF and CSV, as ``closeloop report
monthly`` writes them) ``--repeats`` times after one warm-up; the median and the slowest are
reported.
"""

from __future__ import annotations

from typing import Any

from bench._support import (
    database_label,
    machine,
    run_on_generated_history,
    timed_slow,
)

TARGET_SECONDS = 10.0
PROBLEMS = 40

OPTIONS_HELP = {
    "tickets": "tickets to generate (default 100,000 on SQLite, 1,000,000 on PostgreSQL)",
    "repeats": "timed runs of each measurement",
    "database_url": "PostgreSQL server to run on (postgresql://…); SQLite without",
}


def run(*, tickets: int = 0, repeats: int = 3, database_url: str = "") -> dict[str, Any]:
    """Generate ``tickets`` on a fresh database and time last month's review."""
    figures = run_on_generated_history(
        "monthly_report",
        "bench.monthly_report:measure",
        tickets=tickets,
        repeats=repeats,
        database_url=database_url,
    )
    figures["target_seconds"] = TARGET_SECONDS
    figures["meets_target"] = figures["files"]["max_s"] <= TARGET_SECONDS
    figures["machine"] = machine()
    return {database_label(database_url): figures}


def _problems(start: Any, end: Any) -> int:
    """Problems of the month over its biggest categories, with actions; returns links made."""
    import random

    from django.db.models import Count

    from closeloop.analytics.models import CorrectiveAction, RootCause
    from closeloop.analytics.models_problems import ProblemTicket
    from closeloop.analytics.problems import problem_action_add, problem_create
    from closeloop.tickets.models import Ticket
    from closeloop.triage.models import Category

    rng = random.Random(8)
    month = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    categories = [
        row["triage__category"]
        for row in month.values("triage__category")
        .annotate(n=Count("pk"))
        .order_by("-n")[:PROBLEMS]
        if row["triage__category"]
    ]
    causes = list(RootCause.values)
    links = 0
    for index, category_id in enumerate(categories):
        ids = list(
            month.filter(triage__category_id=category_id).values_list("pk", flat=True)[
                : rng.randint(50, 400)
            ]
        )
        problem = problem_create(
            actor=None,
            title=f"Recurring issue {index + 1}",
            category=Category.objects.get(pk=category_id),
            root_cause=rng.choice(causes),
        )
        ProblemTicket.objects.bulk_create(
            [ProblemTicket(problem=problem, ticket_id=i, linked_at=start) for i in ids]
        )
        links += len(ids)
        action = problem_action_add(problem=problem, actor=None, title=f"Fix {index + 1}")
        CorrectiveAction.objects.filter(pk=action.pk).update(
            is_improved=rng.random() < 0.6, effect_checked_at=start
        )
    return links


def measure(*, tickets: int, repeats: int) -> dict[str, Any]:
    """In the child process: generate, roll up, record problems, time."""
    from datetime import timedelta

    from bench._generate import generate_and_roll_up
    from closeloop.analytics.engine import org_date
    from closeloop.analytics.monthly import month_bounds, monthly_file, monthly_review
    from closeloop.core import clock

    figures: dict[str, Any] = generate_and_roll_up(tickets)
    today = org_date(clock.now())
    first = today.replace(day=1) - timedelta(days=1)
    month = first.strftime("%Y-%m")
    start, end = month_bounds(first.replace(day=1))
    links = _problems(start, end)
    sizes: dict[str, int] = {}

    def files() -> None:
        review = monthly_review(month)
        for fmt in ("html", "pdf", "csv"):
            sizes[fmt] = len(monthly_file(review, fmt))

    review = monthly_review(month)
    return {
        **figures,
        "month": month,
        "month_tickets": sum(row.count for row in review.pareto),
        "categories": len(review.pareto),
        "problem_links": links,
        "review": timed_slow(lambda: monthly_review(month), repeats),
        "files": timed_slow(files, repeats),
        "file_bytes": sizes,
    }
