"""Alert sweeps at 1,000,000 tickets on PostgreSQL: 100 rules over varied metrics, scopes and
windows, seconds per full sweep (target ≤ 10 s).

Seeds a fresh PostgreSQL database (made and dropped by the run) with INSERT … SELECT over
generate_series, not the services: 200,000 customers, 1,000,000 tickets spread over two
years (kind, touchpoint, channel, priority, team, status, first response, resolution,
reopen, escalation and breach drawn from the row number by fixed arithmetic, so every run
holds the same rows), a problem type per ticket (TicketTriage) and a first-response clock per
ticket. Survey responses, QA reviews and article uses are not seeded: the rules on CSAT, NPS,
QA pass rate and knowledge use still run their queries, over empty tables. Then creates 100
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

    from closeloop.analytics.metrics import measuring, metric_get
    from closeloop.analytics.models import Alert, AlertRule
    from closeloop.analytics.services import alerts_sweep, rule_scope
    from closeloop.core import clock

    began = time.perf_counter()
    _seed(tickets)
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


def _seed(count: int) -> None:
    """Customers, tickets, triage and first-response clocks by INSERT … SELECT."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from closeloop.core import clock
    from closeloop.core.models import Organization
    from closeloop.people.models import Agent, Team, TeamMembership
    from closeloop.sla.models import SlaPolicy
    from closeloop.triage.models import Category

    now = clock.now()
    with transaction.atomic():
        teams = Team.objects.bulk_create(Team(name=f"Team {n}", code=f"team-{n}") for n in range(6))
        users = User.objects.bulk_create(User(username=f"agent{n}") for n in range(24))
        agents = Agent.objects.bulk_create(
            Agent(user=user, display_name=f"Agent {n}") for n, user in enumerate(users)
        )
        TeamMembership.objects.bulk_create(
            TeamMembership(team=teams[n % 6], agent=agent, role="lead" if n < 6 else "member")
            for n, agent in enumerate(agents)
        )
        team_ids = [team.pk for team in teams]
        agent_ids = [agent.pk for agent in agents]
        leaves = list(
            Category.objects.filter(children__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        policy_id = SlaPolicy.objects.order_by("order", "pk").values_list("pk", flat=True)[0]
        customers = max(1, count // 5)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_customer (name, segment, created_at, updated_at, "
                "language, notes) "
                "SELECT 'Customer ' || i, 'standard', %s, %s, 'zh-hans', '' "
                "FROM generate_series(1, %s) AS g(i)",
                [now, now, customers],
            )
            cursor.execute("SELECT min(id) FROM customers_customer")
            first_customer = cursor.fetchone()[0]
            # r(k): a fixed pseudo-random 0..999 of row i for draw k.
            r = "(((i::bigint * {p}) + {k}) %% 1000)"
            draws = {
                k: r.format(p=p, k=k * 37)
                for k, p in enumerate(
                    (
                        7919,
                        104729,
                        1299709,
                        15485863,
                        179424673,
                        2038074743,
                        48611,
                        86969,
                        7727,
                        6151,
                    )
                )
            }
            span = 730 * 24 * 3600
            # Only our own constants are formatted into the statement; values are parameters.
            cursor.execute(
                f"""
                INSERT INTO tickets_ticket (
                    number, subject, kind, priority, status, channel, touchpoint, customer_id,
                    team_id, assignee_id, escalation_level, is_with_bot, created_at, updated_at,
                    first_responded_at, resolved_at, closed_at, escalated_at, reopen_count,
                    public_agent_reply_count, sla_policy_name, sla_policy_pin, sla_breached_at)
                SELECT
                    10001 + i, 'Order question', t.kind, t.priority, t.status, t.channel,
                    t.touchpoint, %(first_customer)s + ({draws[0]} * 997 + i) %% %(customers)s,
                    CASE WHEN {draws[5]} < 100 THEN NULL
                         ELSE (%(team_ids)s::bigint[])[1 + {draws[5]} %% 6] END,
                    (%(agent_ids)s::bigint[])[1 + {draws[6]} %% 24],
                    CASE WHEN {draws[7]} < 30 THEN 1 ELSE 0 END, false,
                    t.created_at, t.created_at,
                    CASE WHEN {draws[8]} < 950 THEN t.created_at
                         + make_interval(mins => (1 + {draws[8]} %% 240)::int) END,
                    CASE WHEN t.status IN ('resolved', 'closed')
                         THEN t.created_at + make_interval(mins => (30 + {draws[9]} * 4)::int) END,
                    CASE WHEN t.status = 'closed'
                         THEN t.created_at + make_interval(days => 4) END,
                    CASE WHEN {draws[7]} < 30 THEN t.created_at + interval '2 hours' END,
                    CASE WHEN {draws[1]} < 50 THEN 1 ELSE 0 END,
                    1 + {draws[2]} %% 3, 'Medium priority', '',
                    CASE WHEN {draws[3]} < 25 THEN t.created_at + interval '48 hours' END
                FROM generate_series(1, %(count)s) AS g(i)
                CROSS JOIN LATERAL (SELECT
                    CASE WHEN {draws[1]} < 120 THEN 'complaint' WHEN {draws[1]} < 620
                         THEN 'inquiry' WHEN {draws[1]} < 820 THEN 'request'
                         WHEN {draws[1]} < 920 THEN 'incident' ELSE 'feedback' END AS kind,
                    (ARRAY['high','medium','low'])[1 + {draws[4]} %% 3] AS priority,
                    CASE WHEN i::float8 / %(count)s < 0.005 THEN 'in_progress'
                         WHEN i::float8 / %(count)s < 0.02 THEN 'resolved'
                         ELSE 'closed' END AS status,
                    (ARRAY['email','chat','wechat','app','phone','portal'])[1 + {draws[2]} %% 6]
                        AS channel,
                    (ARRAY['pre_sale','in_sale','after_sale','maintenance'])[1 + {draws[3]} %% 4]
                        AS touchpoint,
                    %(now)s - make_interval(secs => i::float8 * %(span)s / %(count)s)
                        AS created_at
                ) AS t
                """,  # noqa: S608
                {
                    "first_customer": first_customer,
                    "customers": customers,
                    "team_ids": team_ids,
                    "agent_ids": agent_ids,
                    "count": count,
                    "now": now,
                    "span": span,
                },
            )
            cursor.execute(
                "INSERT INTO triage_tickettriage (ticket_id, category_id, source, needs_triage, "
                "decided_at, reason) SELECT id, (%s::bigint[])[1 + (id * 7919) %% %s], "
                "'classifier', false, created_at, '{}'::jsonb FROM tickets_ticket",
                [leaves, len(leaves)],
            )
            cursor.execute(
                "INSERT INTO sla_ticketclock (ticket_id, metric, policy_id, cycle, started_at, "
                "due_at, warn_at, stopped_at, paused_minutes) "
                "SELECT id, 'first_response', %s, 1, created_at, "
                "created_at + interval '2 hours', created_at + interval '96 minutes', "
                "first_responded_at, 0 FROM tickets_ticket",
                [policy_id],
            )
        Organization.current()
        Organization.objects.update(next_ticket_number=10_001 + count)
