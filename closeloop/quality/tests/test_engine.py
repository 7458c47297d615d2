"""The engine on real tickets: SLA facts from the clocks, results stored and replaced, the
checks queued when a ticket is resolved, and back-fill."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closeloop.core.clock import frozen_at
from closeloop.people.tests.factories import AgentFactory
from closeloop.quality.engine import checks_backfill, checks_run, conversations_load
from closeloop.quality.models import CheckResult, Phrase
from closeloop.quality.tests.factories import T0, conversation

pytestmark = pytest.mark.django_db

GOOD_EN = [
    ("customer", "My order has not arrived, this is terrible.", 0),
    ("agent", "Hello, I'm sorry for the delay. It ships today.", 5),
    ("customer", "Thanks, great!", 10),
    ("agent", "Happy to help. Have a nice day.", 12),
]
SLOW_ZH = [
    ("customer", "我的订单还没到，太差了。", 0),
    ("agent", "订单在路上，不关我的事。", 300),  # 5 h: the 2 h first-response target missed
    ("customer", "还是不行，非常失望。", 301),
]


def outcomes(ticket):
    return dict(CheckResult.objects.filter(ticket=ticket).values_list("code", "outcome"))


def test_checks_on_an_english_conversation_are_stored_per_ticket():
    agent = AgentFactory()
    ticket = conversation(agent, GOOD_EN, kind="complaint", channel="chat")

    report = checks_run(ticket_ids=[ticket.pk])

    assert report.tickets == 1
    assert report.results == 8
    assert outcomes(ticket) == {
        "first_response": "passed",
        "next_response": "passed",
        "greeting": "passed",
        "closing": "passed",
        "forbidden": "passed",
        "apology": "passed",
        "silence": "passed",
        "sentiment": "passed",
    }
    assert set(CheckResult.objects.filter(ticket=ticket).values_list("agent_id", flat=True)) == {
        agent.pk
    }


def test_checks_on_a_chinese_conversation_read_the_sla_clock():
    agent = AgentFactory()
    ticket = conversation(agent, SLOW_ZH, kind="complaint", channel="chat", resolve=False)

    checks_run(ticket_ids=[ticket.pk])

    assert outcomes(ticket) == {
        "first_response": "failed",
        "next_response": "not_applicable",  # the customer's last message is not answered yet
        "greeting": "failed",
        "closing": "failed",
        "forbidden": "failed",
        "apology": "failed",
        "silence": "failed",
        "sentiment": "failed",
    }
    assert CheckResult.objects.get(ticket=ticket, code="forbidden").detail == "不关我的事"


def test_an_email_conversation_has_no_chat_checks():
    ticket = conversation(AgentFactory(), GOOD_EN)

    checks_run(ticket_ids=[ticket.pk])

    assert outcomes(ticket)["silence"] == "not_applicable"
    assert outcomes(ticket)["next_response"] == "not_applicable"  # no such target for email
    assert outcomes(ticket)["first_response"] == "passed"


def test_running_again_replaces_the_results():
    agent = AgentFactory()
    ticket = conversation(agent, GOOD_EN)
    with frozen_at(T0 + timedelta(days=1)):
        checks_run(ticket_ids=[ticket.pk])
    Phrase.objects.filter(kind="greeting", text="hello").update(is_active=False)

    with frozen_at(T0 + timedelta(days=2)):
        checks_run(ticket_ids=[ticket.pk])

    assert CheckResult.objects.filter(ticket=ticket).count() == 8
    greeting = CheckResult.objects.get(ticket=ticket, code="greeting")
    assert greeting.outcome == "failed"
    assert greeting.checked_at == T0 + timedelta(days=2)


def test_resolving_a_ticket_queues_its_checks():
    from django_tasks_db.models import DBTaskResult

    agent = AgentFactory()
    ticket = conversation(agent, GOOD_EN, resolve=False)
    queued = DBTaskResult.objects.filter(task_path__endswith="quality.tasks.checks_run_task")
    assert not queued.exists()

    ticket = conversation(agent, GOOD_EN)

    assert [row.args_kwargs["args"] for row in queued] == [[ticket.pk]]


def test_backfill_checks_only_resolved_tickets_without_results():
    agent = AgentFactory()
    done = conversation(agent, GOOD_EN)
    already = conversation(agent, GOOD_EN, start=T0 + timedelta(hours=1))
    still_open = conversation(agent, GOOD_EN, start=T0 + timedelta(hours=2), resolve=False)
    checks_run(ticket_ids=[already.pk])
    CheckResult.objects.filter(ticket=already).update(detail="kept")

    report = checks_backfill()

    assert report.tickets == 1
    assert CheckResult.objects.filter(ticket=done).count() == 8
    assert not CheckResult.objects.filter(ticket=still_open).exists()
    assert set(CheckResult.objects.filter(ticket=already).values_list("detail", flat=True)) == {
        "kept"
    }


def test_a_breached_earlier_next_response_cycle_fails_the_check():
    agent = AgentFactory()
    ticket = conversation(
        agent,
        [
            ("customer", "Hello, where is my order?", 0),
            ("agent", "Hello, checking.", 5),
            ("customer", "Any news?", 10),
        ],
        resolve=False,
    )
    from closeloop.tickets.models import EventType, TicketEvent

    TicketEvent.objects.create(
        ticket=ticket,
        type=EventType.SLA_BREACHED,
        actor_kind="system",
        after={"metric": "next_response", "cycle": 1},
        created_at=T0 + timedelta(hours=5),
    )

    (loaded,) = conversations_load([ticket.pk])

    assert loaded.next_response_met is False


def test_the_sweep_back_fills_and_the_task_checks_one_ticket():
    from closeloop.core import schedule
    from closeloop.quality.tasks import checks_run_task, quality_sweep_task

    agent = AgentFactory()
    first = conversation(agent, GOOD_EN)
    CheckResult.objects.all().delete()

    assert "quality.sweep" in schedule._registry
    assert quality_sweep_task.call() == 1
    assert quality_sweep_task.call() == 0
    assert checks_run_task.call(first.pk) == 8
    assert CheckResult.objects.filter(ticket=first).count() == 8


def test_the_qa_command_back_fills_and_draws():
    from io import StringIO

    from django.core.management import CommandError, call_command

    from closeloop.quality.models import SamplingPlan

    agent = AgentFactory()
    conversation(agent, GOOD_EN)
    CheckResult.objects.all().delete()
    out = StringIO()

    call_command("qa", "check", stdout=out)
    call_command("qa", "check", stdout=out)

    assert out.getvalue().splitlines() == [
        "Checked 1 tickets (8 results).",
        "Checked 0 tickets (0 results).",
    ]
    SamplingPlan.objects.create(name="weekly", created_at=T0)
    with pytest.raises(CommandError):
        call_command("qa", "draw", "nope", "--week", "2026-03-02")
    with pytest.raises(CommandError):
        call_command("qa", "draw", "weekly", "--week", "soon")
    call_command("qa", "draw", "weekly", "--week", "2026-03-04", stdout=out)
    assert out.getvalue().splitlines()[-1] == "0 reviews queued for the week of 2026-03-02."
