"""A realistic small operation for the dashboards' browser test and screenshots: three teams,
eight agents, 60 days of tickets over every channel and journey stage (first response getting
faster, complaints mostly after the sale), SLA clocks with warnings and breaches and a few at
risk now, CSAT and NPS answers with comments, classifier suggestions and agents' corrections,
and a baseline period (the first two weeks). Rows are written directly (as the metric tests
do); deterministic for a given ``now``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from closeloop.analytics.models_engine import BaselinePeriod
from closeloop.analytics.tests.factories import response, review, survey, ticket
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.models import Agent, Team
from closeloop.people.tests.factories import AgentFactory, TeamFactory, member
from closeloop.sla.models import Calendar, SlaPolicy, TicketClock
from closeloop.triage.models import Category, TicketTriage, TriageCorrection

DAYS = 60
CHANNELS = (("chat", 40), ("email", 20), ("wechat", 15), ("app", 10), ("phone", 10), ("portal", 5))
STAGES = (("pre_sale", 20), ("in_sale", 20), ("after_sale", 45), ("maintenance", 15))
POLICY_MINUTES = {"high": (60, 24 * 60), "medium": (120, 48 * 60), "low": (240, 72 * 60)}
POLICY_NAMES = {"high": "High priority", "medium": "Medium priority", "low": "Low priority"}
COMMENTS = {
    5: ["Quick and friendly, thank you!", "Solved in one message.", "很满意，客服很专业。"],
    4: ["Good, but I had to wait a bit.", "Helpful answer."],
    3: ["It took two days to get a reply.", "OK in the end."],
    2: ["I had to explain the problem twice.", "退货流程太慢了。"],
    1: ["Nobody called me back.", "The replacement is broken again."],
}
SUBJECTS = {
    "pre_sale": ["Does the X2 support fast charging?", "Delivery time to Chengdu?"],
    "in_sale": ["Payment failed twice", "Change my delivery address"],
    "after_sale": ["Battery drains overnight", "Return request for order 4411", "Screen flickers"],
    "maintenance": ["Firmware update stuck", "Warranty repair status"],
}


@dataclass(frozen=True)
class Seeded:
    """What the seed made that a test needs."""

    lead: Agent
    teams: list[Team]
    open_at_risk: int


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _w in weighted], [w for _v, w in weighted])[0]


def _policy(priority: str) -> SlaPolicy:
    first, resolution = POLICY_MINUTES[priority]
    policy, _created = SlaPolicy.objects.get_or_create(
        name=POLICY_NAMES[priority],
        defaults={
            "calendar": Calendar.objects.get(name="24x7"),
            "first_response_minutes": first,
            "resolution_minutes": resolution,
        },
    )
    return policy


def _clock(
    row: Any, *, metric: str, policy: SlaPolicy, minutes: int, stop: datetime | None, now: datetime
) -> None:
    due = row.created_at + timedelta(minutes=minutes)
    warn = row.created_at + timedelta(minutes=minutes * 0.8)
    TicketClock.objects.create(
        ticket=row,
        metric=metric,
        policy=policy,
        started_at=row.created_at,
        due_at=due,
        warn_at=warn,
        stopped_at=stop,
        warned_at=warn if (stop or now) > warn else None,
        breached_at=due if (stop or now) > due else None,
    )


def seed_operation(now: datetime, *, seed: int = 8) -> Seeded:
    """Write the operation's rows (about 600 tickets) ending at ``now``."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    teams = [
        TeamFactory(name="Pre-sales", code="pre-sales"),
        TeamFactory(name="After-sales care", code="after-sales"),
        TeamFactory(name="Technical support", code="tech-support"),
    ]
    names = [
        "Alice Wang",
        "Bo Chen",
        "Chloe Li",
        "Daniel Zhao",
        "Emma Liu",
        "Feng Xu",
        "Grace Sun",
        "Hao Zhou",
    ]
    agents: list[Agent] = []
    for index, name in enumerate(names):
        agent = AgentFactory(display_name=name)
        member(agent, teams[index % 3])
        agents.append(agent)
    lead = AgentFactory(display_name="Lena Ma")
    for team in teams:
        member(lead, team, role="lead")
    leaves = list(
        Category.objects.filter(children__isnull=True, is_active=True).order_by("pk")[:12]
    )
    customers = [CustomerFactory() for _ in range(60)]
    csat, nps = survey("csat"), survey("nps")
    start = now - timedelta(days=DAYS)
    BaselinePeriod.objects.all().delete()
    BaselinePeriod.objects.create(
        start=start.date(), end=(start + timedelta(days=13)).date(), updated_at=now
    )
    at_risk = 0
    for day in range(DAYS):
        progress = day / DAYS  # the team gets faster and better over the period
        for _n in range(rng.randint(6, 14)):
            created = start + timedelta(days=day, minutes=rng.randint(8 * 60, 21 * 60))
            if created >= now:
                continue
            stage = _pick(rng, STAGES)
            complaint_share = 0.16 if stage == "after_sale" else 0.04
            kind = (
                "complaint"
                if rng.random() < complaint_share
                else rng.choice(["inquiry", "inquiry", "request", "incident"])
            )
            priority = rng.choice(["high", "medium", "medium", "low"])
            team = teams[0] if stage in ("pre_sale", "in_sale") else rng.choice(teams[1:])
            assignee = rng.choice([a for a in agents if a.teams.filter(pk=team.pk).exists()])
            policy = _policy(priority)
            first_target, resolution_target = POLICY_MINUTES[priority]
            responded = created + timedelta(minutes=rng.lognormvariate(4.2 - 1.0 * progress, 0.7))
            age = now - created
            resolves = age > timedelta(hours=30) and rng.random() < (
                0.99 if age > timedelta(days=5) else 0.6
            )
            resolved = responded + timedelta(minutes=rng.lognormvariate(6.4, 0.8))
            resolved = resolved if resolves and resolved < now else None
            is_open = resolved is None
            escalated = rng.random() < 0.06
            if responded >= now:
                responded = None  # type: ignore[assignment]
            row = ticket(
                created=created,
                customer=rng.choice(customers),
                subject=rng.choice(SUBJECTS[stage]),
                channel=_pick(rng, CHANNELS),
                touchpoint=stage,
                kind=kind,
                priority=priority,
                team=team,
                assignee=assignee,
                status="in_progress" if is_open else "resolved",
                first_responded_at=responded,
                resolved_at=resolved,
                public_agent_reply_count=rng.choice([1, 1, 1, 2, 3]) if responded else 0,
                reopen_count=1 if resolved and rng.random() < 0.06 else 0,
                escalation_level=1 if escalated else 0,
                escalated_at=created + timedelta(hours=3) if escalated else None,
                sla_policy_name=policy.name,
            )
            _clock(
                row,
                metric="first_response",
                policy=policy,
                minutes=first_target,
                stop=responded,
                now=now,
            )
            _clock(
                row,
                metric="resolution",
                policy=policy,
                minutes=resolution_target,
                stop=resolved,
                now=now,
            )
            if leaves:
                suggested = rng.choice(leaves)
                TicketTriage.objects.create(
                    ticket=row,
                    category=suggested,
                    classifier_version=1,
                    confidence=round(rng.uniform(0.5, 0.99), 2),
                    decided_at=created,
                )
                if rng.random() < 0.35:
                    chosen = rng.choice(leaves) if rng.random() < 0.3 else suggested
                    TriageCorrection.objects.create(
                        ticket=row,
                        from_category=suggested,
                        to_category=chosen,
                        agent=assignee,
                        created_at=created + timedelta(minutes=20),
                    )
            if resolved and rng.random() < 0.45:
                score = rng.choices([5, 4, 3, 2, 1], [55 + 20 * progress, 25, 8, 6, 4])[0]
                comment = rng.choice(COMMENTS[score]) if rng.random() < 0.5 else ""
                answered = resolved + timedelta(hours=rng.randint(1, 20))
                if answered < now:
                    outcome = ""
                    if score <= 2:
                        outcome = rng.choice(
                            ["recovered", "recovered", "not_recovered", "unreachable"]
                        )
                    response(
                        csat,
                        score,
                        answered=answered,
                        ticket_row=row,
                        comment=comment,
                        team=team,
                        agent=assignee,
                        follow_up_outcome=outcome,
                    )
                    if rng.random() < 0.5:
                        promoter = rng.choices(range(11), [2, 1, 1, 2, 2, 4, 5, 9, 14, 25, 35])[0]
                        response(
                            nps,
                            promoter,
                            answered=answered,
                            ticket_row=row,
                            team=team,
                            agent=assignee,
                        )
            if resolved and rng.random() < 0.15:
                review(
                    row,
                    assignee,
                    passed=rng.random() < 0.85,
                    submitted=resolved + timedelta(hours=2),
                )
    # a few open tickets close to their first-response target right now
    for index in range(4):
        created = now - timedelta(minutes=50 + 5 * index)
        row = ticket(
            created=created,
            customer=customers[index],
            subject="Order arrived damaged",
            channel="chat",
            touchpoint="after_sale",
            kind="complaint",
            priority="high",
            team=teams[1],
            assignee=agents[1],
            status="assigned",
        )
        _clock(row, metric="first_response", policy=_policy("high"), minutes=60, stop=None, now=now)
        at_risk += 1
    return Seeded(lead=lead, teams=teams, open_at_risk=at_risk)
