"""Alert sweeps at 1,000,000 tickets on PostgreSQL: 100 rules over varied metrics, scopes and
windows, seconds per full sweep (target ≤ 10 s).

Seeds a fresh PostgreSQL database (made and dropped by the run) with the shared generator
``bench._generate`` (COPY, not the services): 1,000,000 realistic tickets over two years with
customers, triage, SLA clocks, survey responses, QA reviews, bot conversations, self-service
successes and article uses, so every rule's metric measures real rows. Then creates 100
alert rules (16 metrics × scopes: everything, after-sale touchpoint, chat, one team, one
category family; windows of 24 hours, 7 and 30 days), makes every rule due and times full
sweeps (``alerts_sweep``: measure, record, fire or clear); the first sweep also opens the
alerts and corrective actions. Also reports each rule's own measuring time (the slowest).
"""

from __future__ import annotations

import time
from typing import Any

from bench._support import (
    BenchError,
    fresh_setup,
    is_postgres_url,
    latency_summary,
    machine,
    postgres_version,
    run_child,
)

TARGET_SWEEP_SECONDS = 10.0
RULES = 100
METRICS = (
    "complaint_rate",
    "volume",
    "sla_breach_rate",
    "first_contact_resolution",
    "reopen_rate",
    "repeat_contact_rate",
    "escalated_resolution_rate",
    "knowledge_use_rate",
    "first_response_median",
    "first_response_p90",
    "first_response_business_median",
    "resolution_median",
    "response_on_time_rate",
    "csat",
    "nps",
    "qa_pass_rate",
)
SCOPES = ("everything", "touchpoint", "channel", "team", "category")
WINDOW_HOURS = (24, 7 * 24, 30 * 24)

OPTIONS_HELP = {
    "tickets": "tickets to seed",
    "sweeps": "full sweeps to time",
    "database_url": "PostgreSQL server to run on (postgresql://…); required",
}


def run(*, tickets: int = 1_000_000, sweeps: int = 3, database_url: str = "") -> dict[str, Any]:
    """Seed ``tickets`` on a fresh PostgreSQL database and time full alert sweeps."""
    if not database_url or not is_postgres_url(database_url):
        raise BenchError("bench alerts needs --database-url postgresql://… (it seeds with SQL)")
    with fresh_setup("alerts", database_url) as (data_dir, bench_url):
        figures = run_child(
            "bench.alerts:measure",
            data_dir=data_dir,
            database_url=bench_url,
            options={"tickets": tickets, "sweeps": sweeps},
            timeout=3600,
        )
    figures["server_version"] = postgres_version(database_url)
    figures["target_sweep_seconds"] = TARGET_SWEEP_SECONDS
    figures["meets_target"] = figures["sweep_seconds"]["max"] <= TARGET_SWEEP_SECONDS
    figures["machine"] = machine()
    return {"postgresql": figures}


def measure(*, tickets: int, sweeps: int) -> dict[str, Any]:
    """In the child process: seed, create the rules, time the sweeps."""
    from django.db import connection

    from bench._generate import generate
    from closeloop.analytics.metrics import measuring, metric_get
    from closeloop.analytics.models import Alert, AlertRule
    from closeloop.analytics.services import alerts_sweep, rule_scope
    from closeloop.core import clock

    began = time.perf_counter()
    generate(tickets)
    seed_seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    AlertRule.objects.all().delete()  # the default rules: the bench makes its own 100
    _rules()
    durations: list[float] = []
    counts: list[dict[str, int]] = []
    for _ in range(sweeps):
        AlertRule.objects.update(next_evaluation_at=None)
        now = clock.now()
        start = time.perf_counter()
        counts.append(alerts_sweep(now=now))
        durations.append(time.perf_counter() - start)
    # Each rule's own measurement, to find the expensive shapes.
    per_rule: list[tuple[float, str]] = []
    now = clock.now()
    for rule in AlertRule.objects.all():
        from datetime import timedelta

        start = time.perf_counter()
        with measuring():
            metric_get(rule.metric).measure(
                rule_scope(rule), now - timedelta(hours=rule.window_hours), now
            )
        per_rule.append((time.perf_counter() - start, rule.name))
    per_rule.sort(reverse=True)
    return {
        "tickets": tickets,
        "rules": AlertRule.objects.count(),
        "seed_seconds": round(seed_seconds, 1),
        "sweeps": counts,
        "sweep_seconds": {
            "each": [round(d, 3) for d in durations],
            "max": round(max(durations), 3),
            "min": round(min(durations), 3),
        },
        "per_rule_ms": latency_summary([d for d, _name in per_rule]),
        "slowest_rules_ms": [(name, round(d * 1000, 1)) for d, name in per_rule[:5]],
        "alerts_open": Alert.objects.filter(status="firing").count(),
    }


def _rules() -> None:
    """100 rules cycling through metrics, scopes and windows (created through the service)."""
    from closeloop.analytics.metrics import Direction, metric_get
    from closeloop.analytics.services import alert_rule_create
    from closeloop.people.models import Team
    from closeloop.triage.models import Category

    team = Team.objects.order_by("pk").first()
    family = Category.objects.filter(parent__isnull=True).order_by("pk").first()
    made = 0
    index = 0
    while made < RULES:
        metric = METRICS[index % len(METRICS)]
        scope = SCOPES[(index // len(METRICS)) % len(SCOPES)]
        window = WINDOW_HOURS[index % len(WINDOW_HOURS)]
        index += 1
        scope_values: dict[str, Any] = {
            "everything": {},
            "touchpoint": {"touchpoint": "after_sale"},
            "channel": {"channel": "chat"},
            "team": {"team": team},
            "category": {"category": family},
        }[scope]
        definition = metric_get(metric)
        above = definition.direction == Direction.LOWER_IS_BETTER
        threshold = 10.0
        alert_rule_create(
            actor=None,
            name=f"{metric} {scope} {window}h #{index}",
            metric=metric,
            comparison="above" if above else "below",
            threshold=threshold,
            clear_threshold=threshold * (0.8 if above else 1.2),
            window_hours=window,
            min_sample=30,
            **scope_values,
        )
        made += 1
