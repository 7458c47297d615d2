"""The demo's problems: three recorded problems on the demo's busiest categories of the last 30
days (one resolved with an effective corrective action, one being fixed, one just opened),
each linking up to 25 of its tickets, and then one run of emerging-problem detection, which
proposes whatever spikes and clusters the demo's recent tickets hold.

Run after the demo's tickets, people and alerts exist (``demo_data.load_demo``); everything
goes through the problem services. Takes a second or two (detection fits one TF-IDF model
over the last 48 hours' tickets).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count

from closeloop.analytics.detection import problems_detect
from closeloop.analytics.models import CorrectiveAction
from closeloop.analytics.models_problems import Problem, ProblemStatus
from closeloop.analytics.problems import (
    problem_action_add,
    problem_create,
    problem_link_tickets,
    problem_transition,
    problem_update,
)
from closeloop.core import clock
from closeloop.people.models import Agent
from closeloop.tickets.models import Ticket
from closeloop.triage.models import Category

LINKS = 25
DEMO = (
    # title, root cause, analysis, action, final status
    (
        "Refunds late after returns (demo) / 退货后退款慢（演示）",
        "process_gap",
        "Refunds wait for the warehouse check. / 退款要等仓库验货。",
        "Refund on the courier's pick-up scan / 凭揽收扫描退款",
        ProblemStatus.RESOLVED,
    ),
    (
        "App crashes at checkout on old Android versions (demo) / 旧版安卓结账闪退（演示）",
        "product_design",
        "The payment SDK needs Android 9. / 支付 SDK 需要安卓 9。",
        "Fallback web checkout for old devices / 旧设备改用网页结账",
        ProblemStatus.FIXING,
    ),
    (
        "Agents give different answers on delivery times (demo) / 配送时效口径不一（演示）",
        "",
        "",
        "",
        ProblemStatus.OPEN,
    ),
)


def _lead() -> Agent | None:
    # The after-sales lead in the demo; any agent in a test database without her.
    return Agent.objects.filter(user__username="li.na").first() or Agent.objects.first()


def install_demo_problems() -> dict[str, Any]:
    """Add the demo's problems; returns how many were recorded and proposed."""
    lead = _lead()
    now = clock.now()
    busiest = list(
        Ticket.objects.filter(created_at__gte=now - timedelta(days=30))
        .exclude(triage__category__isnull=True)
        .values("triage__category")
        .annotate(n=Count("pk"))
        .order_by("-n")[: len(DEMO)]
    )
    recorded = 0
    for (title, cause, analysis, action_title, final), row in zip(DEMO, busiest, strict=False):
        if Problem.objects.filter(title=title).exists():
            continue
        category = Category.objects.get(pk=row["triage__category"])
        problem = problem_create(actor=lead, title=title, category=category, owner=lead)
        numbers = list(
            Ticket.objects.filter(
                triage__category=category, created_at__gte=now - timedelta(days=30)
            )
            .order_by("-created_at")
            .values_list("number", flat=True)[:LINKS]
        )
        if numbers:
            problem_link_tickets(problem=problem, actor=lead, numbers=numbers)
        if cause:
            problem = problem_update(
                problem=problem, actor=lead, root_cause=cause, root_cause_notes=analysis
            )
        if action_title:
            action = problem_action_add(problem=problem, actor=lead, title=action_title)
            if final == ProblemStatus.RESOLVED:
                CorrectiveAction.objects.filter(pk=action.pk).update(
                    is_improved=True, effect_checked_at=now
                )
        if final == ProblemStatus.FIXING:
            problem = problem_transition(problem=problem, actor=lead, to=ProblemStatus.FIXING)
        if final == ProblemStatus.RESOLVED:
            problem = problem_transition(problem=problem, actor=lead, to=ProblemStatus.RESOLVED)
        recorded += 1
    detected = problems_detect(now=now)
    return {"recorded": recorded, **detected.as_dict()}
