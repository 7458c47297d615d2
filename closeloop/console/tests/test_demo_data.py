"""The demo organisation (closeloop.console.demo_data)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from closeloop.analytics.models import AlertRule, CorrectiveAction
from closeloop.console.demo_alerts import CLEARED_NAME, FIRING_NAME
from closeloop.console.demo_data import DemoRefused, DemoSummary, load_demo
from closeloop.core import clock
from closeloop.core.models import Organization
from closeloop.customers.models import Customer, Segment
from closeloop.feedback.models import Response
from closeloop.knowledge.bot.operations import bot_try
from closeloop.knowledge.models import Article, FaqModel, SynonymGroup
from closeloop.knowledge.search import article_search
from closeloop.people.models import (
    Agent,
    Assessment,
    AssessmentResult,
    Team,
    TeamRole,
    TrainingCourse,
    TrainingRecord,
)
from closeloop.quality.models import CalibrationSession, SamplingPlan
from closeloop.tickets.models import EventType, Ticket, TicketEvent
from closeloop.tickets.services import TICKET_NUMBER_SEQUENCE
from closeloop.workspace.models import Macro

# Fixed, so the data is the same on every run; in the past, so every step has happened.
NOW = datetime(2025, 3, 14, 10, 0, tzinfo=UTC)


def _empty_database() -> None:
    # What the demo added beside the defaults the migrations install.
    CorrectiveAction.objects.all().delete()
    AlertRule.objects.filter(name__in=[FIRING_NAME, CLEARED_NAME]).delete()
    CalibrationSession.objects.all().delete()
    SamplingPlan.objects.all().delete()
    Macro.objects.all().delete()
    Article.objects.all().delete()
    SynonymGroup.objects.all().delete()
    FaqModel.objects.all().delete()
    Ticket.objects.all().delete()
    Customer.objects.all().delete()
    Team.objects.all().delete()
    User.objects.all().delete()
    AssessmentResult.objects.all().delete()
    TrainingRecord.objects.all().delete()
    TrainingCourse.objects.all().delete()
    Assessment.objects.all().delete()
    Organization.objects.update(next_ticket_number=10001, name="Closeloop")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(%s, 10001, false)", [TICKET_NUMBER_SEQUENCE])


def _comparable(summary: DemoSummary) -> DemoSummary:
    return dataclasses.replace(summary, seconds=0.0)


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    first = load_demo(seed=7, days=2, tickets_per_day=12, now=NOW)
    _empty_database()
    again = load_demo(seed=7, days=2, tickets_per_day=12, now=NOW)
    _empty_database()
    other = load_demo(seed=8, days=2, tickets_per_day=12, now=NOW)

    assert _comparable(again) == _comparable(first)
    assert other.digest != first.digest
    assert first.skipped == []


@pytest.mark.django_db
def test_the_demo_logins_work_and_the_organisation_is_complete() -> None:
    summary = load_demo(days=1, tickets_per_day=10, now=NOW)

    assert summary.organization == Organization.current().name == "Closeloop Demo 示例公司"
    assert authenticate(username="admin", password="admin").is_superuser
    assert Agent.objects.filter(user__username="admin").exists()
    for username, password in summary.logins:
        assert authenticate(username=username, password=password) is not None, username
    assert ("li.na", "demo1234") in summary.logins
    assert summary.agents == Agent.objects.count() == 14
    teams = {team.code: team for team in Team.objects.all()}
    assert sorted(teams) == ["after-sales", "pre-sales", "technical"]
    for team in teams.values():
        leads = team.memberships.filter(role=TeamRole.LEAD)
        assert leads.count() == 1
        assert team.department_head.user.username == "he.jun"
        assert team.expert is not None
    vips = Customer.objects.filter(segment=Segment.VIP)
    assert vips.exists()
    assert not vips.filter(dedicated_agent__isnull=True).exists()
    handles = set(Customer.objects.values_list("identities__kind", flat=True))
    assert handles == {"email", "phone", "wechat", "app"}
    # Every channel can be tried at once: a widget for the demo page, known integration keys.
    from closeloop.channels.models import ChatWidget, Integration, Mailbox, WeChatAccount

    assert ChatWidget.objects.filter(key="demo-widget", enabled=True).exists()
    assert set(Integration.objects.values_list("kind", flat=True)) == {"app", "phone"}
    assert Mailbox.objects.get(is_default=True).address == "support@closeloop.example"
    assert WeChatAccount.objects.filter(enabled=True).count() == 1


@pytest.mark.django_db
def test_a_small_demo_has_breaches_escalations_and_reopenings() -> None:
    summary = load_demo(days=5, now=NOW)

    assert summary.skipped == []
    # 180 imported tickets, and the follow-ups the demo's low survey scores opened.
    follow_ups = Response.objects.filter(follow_up_ticket__isnull=False).count()
    assert follow_ups > 0
    assert summary.tickets == Ticket.objects.count() == 180 + follow_ups
    # The history is labelled and a classifier trained on it is active: a new ticket about
    # a swollen battery is recognised as one.
    from closeloop.tickets.tests.factories import make_ticket
    from closeloop.triage.models import ClassifierVersion, TicketTriage
    from closeloop.triage.services import triage_ticket

    assert TicketTriage.objects.filter(source="agent").count() > 100
    assert ClassifierVersion.objects.get(is_active=True).trained_by == "demo"
    with clock.frozen_at(NOW):
        fresh = make_ticket(subject="H7 智能门锁 电池鼓包", body="用了两个月电池鼓包，充不进电")
        assert triage_ticket(fresh.pk).category.code == "battery"
    fresh.refresh_from_db()
    assert fresh.team.code == "technical"
    assert fresh.assignee is not None
    assert summary.breached > 0
    assert summary.escalated > 0
    assert summary.reopened > 0
    assert set(summary.tickets_by_status) >= {
        "new",
        "in_progress",
        "pending_customer",
        "resolved",
        "closed",
    }
    history = Ticket.objects.filter(survey_follow_up_of__isnull=True)
    assert set(history.values_list("channel", flat=True)) == {
        "email",
        "chat",
        "wechat",
        "app",
        "phone",
        "portal",
    }
    assert (
        TicketEvent.objects.filter(type=EventType.ESCALATED, actor_kind="agent")
        .exclude(reason="")
        .exists()
    )
    # The replay's SLA sweeps never write a ticket's history out of order.
    last_seen: dict[int, datetime] = {}
    for ticket_id, created_at in TicketEvent.objects.order_by("id").values_list(
        "ticket_id", "created_at"
    ):
        assert created_at >= last_seen.get(ticket_id, created_at), ticket_id
        last_seen[ticket_id] = created_at


@pytest.mark.django_db
def test_the_worker_fires_the_breaches_the_demo_leaves_open() -> None:
    summary = load_demo(days=1, tickets_per_day=10, now=NOW)
    breaches_before = TicketEvent.objects.filter(type=EventType.SLA_BREACHED).count()

    with clock.frozen_at(NOW):
        call_command("worker", "--once")

    fired = TicketEvent.objects.filter(type=EventType.SLA_BREACHED).count() - breaches_before
    assert summary.breaches_due > 0
    assert fired == summary.breaches_due
    # The file ends with five unanswered tickets: three past due, two at risk.
    *_older, breached_1, breached_2, breached_3, at_risk_1, at_risk_2 = Ticket.objects.order_by(
        "number"
    )
    for ticket in (breached_1, breached_2, breached_3):
        assert ticket.status in ("new", "assigned")
        assert ticket.first_responded_at is None
        assert ticket.sla_breached_at is not None
    for ticket in (at_risk_1, at_risk_2):
        assert (ticket.first_responded_at, ticket.sla_breached_at) == (None, None)
        assert ticket.events.filter(type=EventType.SLA_WARNING).count() == 1


@pytest.mark.django_db
def test_the_demo_refuses_a_database_that_is_in_use() -> None:
    Team.objects.create(name="Sales", code="sales")

    with pytest.raises(DemoRefused, match="already has 1 teams"):
        load_demo(days=1, now=NOW)

    assert User.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert Organization.current().name == "Closeloop"


def test_now_must_be_after_every_step() -> None:
    # Guard for the fixed NOW above: tests rely on it being in the past.
    assert datetime.now(tz=UTC) - NOW > timedelta(days=1)


@pytest.mark.django_db
def test_the_demo_help_centre_answers_in_both_languages() -> None:
    load_demo(days=1, tickets_per_day=5, now=NOW)

    assert Article.objects.filter(language="en", status="published").count() == 15
    assert Article.objects.filter(language="zh-hans", status="published").count() == 15
    found = article_search("退款多久到账", audience="customer", record_miss=False)
    assert found.hits[0].slug == "refund-time-zh"
    # The internal script is found by agents only.
    assert article_search("complaint script", audience="agent").hits[0].slug == (
        "complaint-handling-script"
    )
    assert all(
        hit.slug != "complaint-handling-script"
        for hit in article_search("complaint script", audience="customer").hits
    )
    english = bot_try(text="How long does a refund take?", language="en")
    chinese = bot_try(text="退货以后钱多久能退回来", language="zh-hans")
    assert (english.kind, english.articles[0]["slug"]) == ("answer", "refund-time")
    assert chinese.articles[0]["slug"] == "refund-time-zh"
    assert Macro.objects.filter(body_zh__contains="{customer_name}").count() == 3
