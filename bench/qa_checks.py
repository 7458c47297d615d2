"""Automatic QA over 100,000 conversations: conversations/s of the check engine (target ≥ 1,000).

Seeds a fresh database with bulk_create: agents, customers, resolved tickets across channels
and kinds (a third in Chinese, the rest in English; 3–9 messages each, some internal notes, a
few forbidden phrases, slow chat replies and unhappy last messages), their first-response
clocks (and next-response clocks on chats) and some next-response breach events. Then times
``closeloop.quality.engine.checks_run`` over every ticket, as the back-fill sweep runs it:
reading tickets, messages, clocks and breach events in batches, running the eight checks, and
upserting the results. The first run inserts the results; the second replaces them (a re-run).
The pure checks alone (no database) are timed too, for the split.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

from bench._support import database_label, fresh_setup, postgres_version, run_child

TARGET_PER_SECOND = 1000.0
SEED = 20260302
AGENTS = 40
CHANNELS = ("email", "chat", "wechat", "app", "phone", "portal")
KINDS = (("inquiry", 50), ("request", 20), ("complaint", 15), ("incident", 8), ("feedback", 7))

EN_OPENERS = [
    "My order {n} has not arrived yet, where is it?",
    "The blender I bought last week is broken, I want a refund.",
    "How do I change the delivery address of order {n}?",
    "I was charged twice for order {n}. This is ridiculous.",
]
EN_REPLIES = [
    "Hello, thank you for contacting us. Let me check order {n} for you.",
    "I'm sorry for the trouble. The parcel left our warehouse yesterday.",
    "I have issued the refund; it reaches your card in 3-5 working days.",
    "Calm down please, that's not my problem, ask the courier.",
    "The address is updated. Is there anything else I can help with? Have a nice day.",
]
EN_CUSTOMER = [
    "Thanks, that works.",
    "Still not good, I'm very disappointed.",
    "OK, when will it arrive?",
    "Great, thank you for the quick help!",
]
ZH_OPENERS = [
    "我的订单{n}还没有收到，请问到哪里了？",
    "上周买的搅拌机坏了，我要退款。",
    "订单{n}怎么修改收货地址？",
    "订单{n}被重复扣款了，太差了。",
]
ZH_REPLIES = [
    "您好，很高兴为您服务，我帮您查一下订单{n}。",
    "非常抱歉给您带来不便，包裹昨天已经从仓库发出。",
    "退款已经办理，3到5个工作日到账。",
    "这不关我的事，你自己问快递。",
    "地址已经修改好了，请问还有其他问题吗？祝您生活愉快。",
]
ZH_CUSTOMER = [
    "好的，谢谢。",
    "还是不行，非常失望。",
    "什么时候能到？",
    "太好了，问题解决了，谢谢！",
]


def run(*, conversations: int = 100_000, database_url: str = "") -> dict[str, Any]:
    """Seed ``conversations`` and time the check engine on SQLite and optionally PostgreSQL."""
    results: dict[str, Any] = {}
    for url in ("", database_url) if database_url else ("",):
        label = database_label(url)
        with fresh_setup("qa_checks", url) as (data_dir, bench_url):
            figures = run_child(
                "bench.qa_checks:measure",
                data_dir=data_dir,
                database_url=bench_url,
                options={"conversations": conversations},
                timeout=3600,
            )
        if url:
            figures["server_version"] = postgres_version(url)
        figures["target_per_second"] = TARGET_PER_SECOND
        figures["meets_target"] = figures["first_run"]["per_second"] >= TARGET_PER_SECOND
        results[label] = figures
    return results


def measure(*, conversations: int) -> dict[str, Any]:
    """In the child process: seed, then time the engine twice and the pure checks once."""
    from django.db import connection
    from django.db.models import Count

    from closeloop.quality.checks import run_checks
    from closeloop.quality.engine import checks_run, conversations_load, lexicon_load
    from closeloop.quality.models import CheckResult
    from closeloop.tickets.models import Ticket

    began = time.perf_counter()
    seeded = _seed(conversations)
    seed_seconds = time.perf_counter() - began
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    runs: dict[str, Any] = {}
    for name in ("first_run", "second_run"):
        start = time.perf_counter()
        report = checks_run(ticket_ids=ids)
        seconds = time.perf_counter() - start
        runs[name] = {
            "tickets": report.tickets,
            "results": report.results,
            "seconds": round(seconds, 2),
            "per_second": round(report.tickets / seconds, 1),
        }
    lexicon = lexicon_load()
    loaded = conversations_load(ids[:5000])
    start = time.perf_counter()
    for item in loaded:
        run_checks(item, lexicon)
    pure = time.perf_counter() - start
    failed = dict(
        CheckResult.objects.filter(outcome="failed")
        .values("code")
        .annotate(n=Count("pk"))
        .values_list("code", "n")
    )
    return {
        "conversations": conversations,
        "messages": seeded["messages"],
        "seed_seconds": round(seed_seconds, 1),
        **runs,
        "pure_checks_per_second": round(len(loaded) / pure, 1),
        "failed_by_check": failed,
    }


def _seed(count: int) -> dict[str, int]:
    """Bulk-insert agents, customers, resolved tickets, messages, clocks and breach events."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from closeloop.core import clock
    from closeloop.core.models import Organization
    from closeloop.customers.models import Customer
    from closeloop.people.models import Agent
    from closeloop.sla.models import SlaPolicy, TicketClock
    from closeloop.tickets.models import Message, Ticket, TicketEvent

    # Not security-sensitive: a seeded generator makes every run hold the same conversations.
    generator = random.Random(SEED)
    now = clock.now()
    policy = SlaPolicy.objects.order_by("order").first()
    assert policy is not None  # noqa: S101 - installed by the migrations
    messages = 0
    with transaction.atomic():
        users = User.objects.bulk_create(User(username=f"qa{n}") for n in range(AGENTS))
        agents = Agent.objects.bulk_create(
            Agent(user=user, display_name=f"Agent {n}") for n, user in enumerate(users)
        )
        customers = Customer.objects.bulk_create(
            (Customer(name=f"Customer {n}", created_at=now) for n in range(max(1, count // 5))),
            batch_size=2000,
        )
        customer_ids = [c.pk for c in customers]
        kinds, weights = zip(*KINDS, strict=True)
        chunk = 5000
        for offset in range(0, count, chunk):
            tickets: list[Ticket] = []
            plans: list[tuple[list[tuple[str, str, int, bool]], datetime, bool]] = []
            for number in range(offset, min(offset + chunk, count)):
                created_at = now - timedelta(minutes=generator.uniform(60, 60 * 24 * 60))
                channel = generator.choice(CHANNELS)
                lines, breached = _lines(generator, number, channel)
                last = lines[-1][2]
                tickets.append(
                    Ticket(
                        number=10_001 + number,
                        subject=f"Order {100_000 + number}",
                        kind=generator.choices(kinds, weights=weights)[0],
                        status="resolved",
                        channel=channel,
                        customer_id=generator.choice(customer_ids),
                        assignee=generator.choice(agents),
                        created_at=created_at,
                        updated_at=created_at + timedelta(minutes=last + 1),
                        resolved_at=created_at + timedelta(minutes=last + 1),
                        sla_policy_name=policy.name,
                    )
                )
                plans.append((lines, created_at, breached))
            Ticket.objects.bulk_create(tickets, batch_size=2000)
            rows: list[Message] = []
            clocks: list[TicketClock] = []
            events: list[TicketEvent] = []
            for ticket, (lines, created_at, breached) in zip(tickets, plans, strict=True):
                first_reply = None
                for author, body, minute, public in lines:
                    at = created_at + timedelta(minutes=minute)
                    if author == "agent" and public and first_reply is None:
                        first_reply = at
                    rows.append(
                        Message(
                            ticket_id=ticket.pk,
                            author_kind=author,
                            author_agent_id=ticket.assignee_id if author == "agent" else None,
                            body=body,
                            is_public=public,
                            channel=ticket.channel,
                            created_at=at,
                        )
                    )
                due = created_at + timedelta(minutes=30)
                clocks.append(
                    TicketClock(
                        ticket_id=ticket.pk,
                        metric="first_response",
                        policy=policy,
                        started_at=created_at,
                        due_at=due,
                        warn_at=created_at + timedelta(minutes=24),
                        stopped_at=first_reply,
                    )
                )
                if ticket.channel == "chat":
                    clocks.append(
                        TicketClock(
                            ticket_id=ticket.pk,
                            metric="next_response",
                            policy=policy,
                            cycle=2,
                            started_at=created_at,
                            due_at=due,
                            warn_at=due,
                            stopped_at=created_at + timedelta(minutes=5),
                        )
                    )
                if breached:
                    events.append(
                        TicketEvent(
                            ticket_id=ticket.pk,
                            type="sla_breached",
                            actor_kind="system",
                            after={"metric": "next_response", "cycle": 1},
                            created_at=due,
                        )
                    )
            Message.objects.bulk_create(rows, batch_size=2000)
            TicketClock.objects.bulk_create(clocks, batch_size=2000)
            TicketEvent.objects.bulk_create(events, batch_size=2000)
            messages += len(rows)
        Organization.current()
        Organization.objects.update(next_ticket_number=10_001 + count)
    return {"messages": messages}


def _lines(
    generator: random.Random, number: int, channel: str
) -> tuple[list[tuple[str, str, int, bool]], bool]:
    """(author, body, minute, public) lines of one conversation, and whether a next-response
    cycle breached."""
    chinese = generator.random() < 0.33
    openers, replies, answers = (
        (ZH_OPENERS, ZH_REPLIES, ZH_CUSTOMER) if chinese else (EN_OPENERS, EN_REPLIES, EN_CUSTOMER)
    )
    minute = 0
    lines = [("customer", generator.choice(openers).format(n=number), 0, True)]
    for _turn in range(generator.randint(1, 4)):
        minute += generator.choice((2, 4, 6, 25)) if channel in ("chat", "wechat", "app") else 30
        lines.append(("agent", generator.choice(replies).format(n=number), minute, True))
        if generator.random() < 0.15:
            lines.append(
                (
                    "agent",
                    "内部备注：已联系仓库" if chinese else "Note: asked the warehouse",
                    minute,
                    False,
                )
            )
        minute += generator.randint(1, 20)
        lines.append(("customer", generator.choice(answers), minute, True))
    return lines, channel == "chat" and generator.random() < 0.05
