"""The overview dashboard's data at scale: seconds to compute it (target ≤ 1 s on PostgreSQL
at 1,000,000 tickets and on SQLite at 100,000).

Generates ``--tickets`` realistic tickets over two years with everything around them
(``bench._generate``), rolls every past day up (``rollups_compute``, timed), then times:
``engine``: every overview metric for the last 30 days, each one's daily series over 90
days, and goal progress against a baseline (the engine alone); ``overview_data``: the
dashboard module's data function; ``page``: the whole overview page rendered through the
Django test client as an administrator; ``diagnosis``: the same 30 days' diagnosis (no
target). Each is run ``--repeats`` times after one warm-up; the median and the slowest are
reported.
"""

from __future__ import annotations

from typing import Any

from bench._support import (
    BenchError,
    database_label,
    machine,
    run_on_generated_history,
    timed_slow,
)

TARGET_SECONDS = 1.0

OPTIONS_HELP = {
    "tickets": "tickets to generate (default 100,000 on SQLite, 1,000,000 on PostgreSQL)",
    "repeats": "timed runs of each measurement",
    "database_url": "PostgreSQL server to run on (postgresql://…); SQLite without",
}


def run(*, tickets: int = 0, repeats: int = 5, database_url: str = "") -> dict[str, Any]:
    """Generate ``tickets`` on a fresh database and time the overview's data and page."""
    figures = run_on_generated_history(
        "analytics_overview",
        "bench.analytics_overview:measure",
        tickets=tickets,
        repeats=repeats,
        database_url=database_url,
    )
    figures["target_seconds"] = TARGET_SECONDS
    timed = [figures[name]["max_s"] for name in ("engine", "overview_data")]
    figures["meets_target"] = max(timed) <= TARGET_SECONDS
    figures["machine"] = machine()
    return {database_label(database_url): figures}


def measure(*, tickets: int, repeats: int) -> dict[str, Any]:
    """In the child process: generate, roll up, time."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    from bench._generate import generate_and_roll_up
    from closeloop.analytics.dashboards import OVERVIEW_METRICS, overview_data
    from closeloop.analytics.diagnosis import diagnosis_compute
    from closeloop.analytics.engine import metric_series, metrics_table, org_date
    from closeloop.analytics.goals import baseline_set, day_start, goal_progress, goals_by_metric
    from closeloop.core import clock

    figures: dict[str, Any] = generate_and_roll_up(tickets)
    today = org_date(clock.now())
    # The baseline: the same month a year before.
    baseline_set(
        actor=None,
        start=today - timedelta(days=365 + 30),
        end=today - timedelta(days=366),
    )
    end = day_start(today + timedelta(days=1))
    start = end - timedelta(days=30)
    baseline_start = day_start(today - timedelta(days=365 + 30))
    baseline_end = day_start(today - timedelta(days=365))

    def engine_overview() -> None:
        (row,) = metrics_table(keys=OVERVIEW_METRICS, start=start, end=end)
        (before,) = metrics_table(keys=OVERVIEW_METRICS, start=baseline_start, end=baseline_end)
        goals = goals_by_metric()
        for key in OVERVIEW_METRICS:
            goal_progress(
                key=key, value=row.values[key].value, baseline=before.values[key].value, goals=goals
            )
            metric_series(key=key, start=end - timedelta(days=90), end=end)

    figures["engine"] = timed_slow(engine_overview, repeats)
    figures["overview_data"] = timed_slow(lambda: overview_data(start, end), repeats)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user = User.objects.create_superuser("bench-admin", "admin@example.com", "x")
    client = Client()
    client.force_login(user)
    url = reverse("analytics:dash-overview")

    def page() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise BenchError(f"{url} answered {response.status_code}")

    figures["page"] = timed_slow(page, repeats)
    figures["page_url"] = url
    # The diagnosis of the same 30 days reads the same engine (no target of its own).
    figures["diagnosis"] = timed_slow(lambda: diagnosis_compute(start=start, end=end), repeats)
    return figures
