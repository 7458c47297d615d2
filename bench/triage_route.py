"""Triage of one new ticket, classify + route, with 50 categories and 500 agents: p50/p95 ms.

A fresh database gets the default taxonomy (44 problem types, plus 6 more made for the run:
50), 500 online agents in 5 teams with skill levels, 20 routing rules, and a classifier
trained on 2,000 generated bilingual tickets. Then, for each new ticket, two timings:
*decision* — classify the text, apply the rules, load the team's agents and choose one (what
the p95 ≤ 5 ms target is about) — and *triage* — the whole task with its writes (the triage
record, the ticket's new kind, priority and team, the assignment and their events).
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench._support import database_label, fresh_setup, latency_summary, postgres_version, run_child

TARGET_P95_MS = 5.0
SEED = 20261123
AGENTS = 500
TEAMS = 5
EXTRA_CATEGORIES = 6
TRAINING_TICKETS = 2000

OPTIONS_HELP = {
    "tickets": "new tickets to triage (after a warm-up of 20)",
    "database_url": "also measure on this PostgreSQL server (postgresql://…)",
}


def run(*, tickets: int = 300, database_url: str = "") -> dict[str, Any]:
    """Measure on SQLite, and on PostgreSQL when ``database_url`` is given."""
    results: dict[str, Any] = {}
    for url in ("", database_url) if database_url else ("",):
        label = database_label(url)
        with fresh_setup("triage-route", url) as (data_dir, bench_url):
            figures = run_child(
                "bench.triage_route:measure",
                data_dir=data_dir,
                database_url=bench_url,
                options={"tickets": tickets},
                timeout=1200,
            )
        if url:
            figures["server_version"] = postgres_version(url)
        figures["target_p95_ms"] = TARGET_P95_MS
        figures["meets_target"] = figures["decision"]["p95_ms"] <= TARGET_P95_MS
        results[label] = figures
    return results


def _phrases(category: Any) -> list[str]:
    return [category.name_en, category.name_zh, category.code.replace("-", " ")]


def _text(rng: random.Random, category: Any) -> str:
    filler = rng.choice(
        ["请帮忙看一下", "please help", "谢谢", "订单号 SO2611", "it started yesterday", "急"]
    )
    return f"{rng.choice(_phrases(category))} {filler} {rng.randrange(1000)}"


def _setup(rng: random.Random) -> list[Any]:
    from django.contrib.auth.models import User

    from closeloop.people.models import Agent, AgentSkill, Availability, Skill, Team, TeamMembership
    from closeloop.tickets.services import Actor
    from closeloop.tickets.tests.factories import make_ticket
    from closeloop.triage.decisions import triage_correct
    from closeloop.triage.models import Category, RoutingRule
    from closeloop.triage.training import classifier_train

    teams = [Team.objects.create(name=f"Team {n}", code=f"team-{n}") for n in range(TEAMS)]
    skills = list(Skill.objects.all())
    group = Category.objects.filter(children__isnull=False, parent__isnull=False).first()
    for n in range(EXTRA_CATEGORIES):
        Category.objects.create(
            parent=group,
            code=f"bench-extra-{n}",
            name_en=f"Extra problem {n}",
            name_zh=f"其他问题 {n}",
            family=group.family,
        )
    leaves = list(Category.objects.filter(children__isnull=True, is_active=True))
    for index, category in enumerate(leaves):
        category.team = teams[index % TEAMS]
        category.save(update_fields=["team"])
    users = User.objects.bulk_create([User(username=f"agent{n}") for n in range(AGENTS)])
    agents = Agent.objects.bulk_create(
        [
            Agent(user=user, display_name=user.username, availability=Availability.ONLINE)
            for user in users
        ]
    )
    TeamMembership.objects.bulk_create(
        [TeamMembership(agent=agent, team=teams[n % TEAMS]) for n, agent in enumerate(agents)]
    )
    AgentSkill.objects.bulk_create(
        [
            AgentSkill(agent=agent, skill=skill, level=rng.randint(1, 5))
            for agent in agents
            for skill in rng.sample(skills, 3)
        ]
    )
    for n in range(20):
        RoutingRule.objects.create(
            name=f"rule {n}",
            order=n,
            keywords=f"keyword{n}, 关键词{n}",
            set_team=teams[n % TEAMS],
            add_tags=f"tag-{n}" if n % 4 == 0 else "",
        )
    lead = agents[0]
    for _ in range(TRAINING_TICKETS):
        category = rng.choice(leaves)
        text = _text(rng, category)
        ticket = make_ticket(subject=text[:60], body=text, actor=Actor.customer())
        triage_correct(ticket=ticket, category=category, agent=lead)
    classifier_train(trained_by="bench", activate=True)
    return leaves


def measure(*, tickets: int) -> dict[str, Any]:
    """In the child process: build the organisation, then time decisions and whole triages."""
    from django.db import transaction

    from closeloop.tickets.services import Actor
    from closeloop.tickets.tests.factories import make_ticket
    from closeloop.triage import services
    from closeloop.triage.classifier import classifier_from_bytes
    from closeloop.triage.routing import TicketFacts, apply_rules, choose_agent
    from closeloop.triage.versions import version_active

    rng = random.Random(SEED)  # noqa: S311 - reproducible workload
    started = time.perf_counter()
    with transaction.atomic():
        leaves = _setup(rng)
    setup_seconds = time.perf_counter() - started
    classifier = classifier_from_bytes(bytes(version_active().model))
    taxonomy = services._load_categories()
    rules = services._load_rules()
    by_code = taxonomy["by_code"]

    decisions: list[float] = []
    triages: list[float] = []
    for number in range(tickets + 20):
        category = rng.choice(leaves)
        text = _text(rng, category)
        if number % 5 == 0:
            text += f" keyword{rng.randrange(20)}"
        ticket = make_ticket(subject=text[:60], body=text, actor=Actor.customer())
        start = time.perf_counter()
        prediction = classifier.predict([text])[0]
        predicted = by_code[prediction.label]
        facts = TicketFacts(
            category=predicted.code,
            category_path=taxonomy["paths"][predicted.code],
            kind=ticket.kind,
            channel=ticket.channel,
            priority=ticket.priority,
            segment="standard",
            language="zh",
            text=text,
        )
        outcome = apply_rules(facts, rules)
        team = predicted.team
        choose_agent(
            services.team_agent_states(team),
            required_skills=taxonomy["skills"].get(predicted.pk, {}),
        )
        decided = time.perf_counter()
        services.triage_ticket(ticket.pk)
        finished = time.perf_counter()
        if number >= 20:
            decisions.append(decided - start)
            triages.append(finished - decided)
        assert outcome is not None
    return {
        "agents": AGENTS,
        "categories": len(leaves),
        "rules": len(rules),
        "tickets": len(decisions),
        "setup_seconds": round(setup_seconds, 1),
        "decision": latency_summary(decisions),
        "triage_with_writes": latency_summary(triages),
    }
