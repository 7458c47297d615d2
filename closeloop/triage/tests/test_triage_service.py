"""A new ticket is classified, prioritised and routed by the worker, with the reasons on it."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from closeloop.customers.services import customer_identify, customer_set_segment
from closeloop.people.models import AgentSkill, Skill
from closeloop.people.tests.factories import AgentFactory, TeamFactory, member
from closeloop.tickets.models import EventType, Ticket
from closeloop.tickets.services import Actor
from closeloop.tickets.tests.factories import make_ticket
from closeloop.triage.models import AgentRouting, Category, RoutingRule, TicketTriage
from closeloop.triage.services import triage_ticket
from closeloop.triage.training import classifier_train

pytestmark = pytest.mark.django_db

BATTERY = [
    "手机电池一晚上就没电了",
    "电池鼓包了，很危险",
    "battery drains overnight",
    "the battery is swollen",
    "充满电两小时就没电",
    "battery won't hold a charge",
]
REFUND = [
    "我要退款，订单已取消",
    "退款还没到账",
    "please refund my order",
    "where is my refund",
    "申请退款，商品不想要了",
    "refund has not arrived in my bank account",
]


def _labelled(texts, code, agent):
    from closeloop.triage.decisions import triage_correct

    category = Category.objects.get(code=code)
    for number, text in enumerate(texts * 2):
        ticket = make_ticket(subject=text, body=f"{text} ({number})")
        triage_correct(ticket=ticket, category=category, agent=agent)


def _reasons(ticket: Ticket, event_type: EventType) -> list[str]:
    return [e.reason for e in ticket.events.filter(type=event_type).order_by("id")]


def test_without_a_classifier_cues_and_rules_still_triage_and_explain():
    team = TeamFactory(code="after-sales")
    calm, busy = AgentFactory(), AgentFactory()
    member(calm, team)
    member(busy, team)
    for _ in range(3):
        existing = make_ticket()
        Ticket.objects.filter(pk=existing.pk).update(assignee=busy, status="assigned")
    RoutingRule.objects.create(
        name="refunds to after-sales", keywords="退款, refund", set_team=team, add_tags="refund"
    )
    ticket = make_ticket(subject="退款！！", body="马上给我退款，太过分了！！", priority="medium")
    record = triage_ticket(ticket.pk)
    ticket.refresh_from_db()
    assert record.needs_triage
    assert record.category is None
    assert (ticket.kind, ticket.priority) == ("request", "high")
    assert ticket.team == team
    assert ticket.assignee_id == calm.pk  # the less loaded of two online members
    reasons = " ".join(_reasons(ticket, EventType.FIELD_CHANGED))
    assert "request wording" in reasons
    assert "urgency cue" in reasons
    assert "rule refunds to after-sales" in reasons
    assert _reasons(ticket, EventType.ASSIGNED) == ["routing: best_match"]
    assert record.reason["routing"]["rules"][0]["because"] == ["keyword=退款"]
    assert [s["agent_id"] for s in record.reason["routing"]["scores"]] == [calm.pk, busy.pk]
    assert AgentRouting.objects.get(agent=calm).last_assigned_at is not None
    assert triage_ticket(ticket.pk) is None  # once only


def test_a_trained_classifier_sets_the_category_and_skills_pick_the_agent(settings):
    lead = AgentFactory()
    _labelled(BATTERY, "battery", lead)
    _labelled(REFUND, "refund", lead)
    version = classifier_train(activate=True, trained_by="test")
    assert version.is_active
    assert set(version.labels) == {"battery", "refund"}
    assert "accuracy" in version.evaluation

    team = TeamFactory(code="technical")
    from closeloop.sla.models import SlaPolicy

    Category.objects.filter(code="battery").update(
        team=team, sla_policy=SlaPolicy.objects.get(name="Low priority")
    )
    novice, expert = AgentFactory(), AgentFactory()
    member(novice, team)
    member(expert, team)
    AgentSkill.objects.create(agent=novice, skill=Skill.objects.get(code="battery"), level=1)
    AgentSkill.objects.create(agent=expert, skill=Skill.objects.get(code="battery"), level=4)
    ticket = make_ticket(subject="电池鼓包", body="我的手机电池鼓包了 battery swollen")
    record = triage_ticket(ticket.pk)
    ticket.refresh_from_db()
    assert record.category.code == "battery"
    assert not record.needs_triage
    assert record.confidence >= 0.5
    assert (ticket.kind, ticket.priority, ticket.team) == ("complaint", "high", team)
    assert ticket.assignee_id == expert.pk  # meets the battery ≥ 2 requirement
    assert "category battery" in _reasons(ticket, EventType.FIELD_CHANGED)[0]
    # The problem type's own SLA policy governs it, not the one its priority would match.
    assert (ticket.sla_policy_pin, ticket.sla_policy_name) == ("Low priority", "Low priority")


def test_vip_customers_go_to_their_dedicated_agent():
    team = TeamFactory()
    other, account = AgentFactory(), AgentFactory()
    member(other, team)
    member(account, team)
    customer = customer_identify(email="vip@example.com")
    customer_set_segment(customer=customer, segment="vip")
    customer.dedicated_agent = account
    customer.save(update_fields=["dedicated_agent"])
    ticket = make_ticket(customer=customer, team=team)
    record = triage_ticket(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.assignee_id == account.pk
    assert record.reason["routing"]["assignment"] == "dedicated_agent"
    assert ticket.priority == "high"  # customer segment vip


def test_every_new_ticket_is_triaged_by_the_worker(api, django_capture_on_commit_callbacks):
    response = api.post(
        "/api/v1/tickets",
        {
            "subject": "Where is my refund?",
            "body": "I returned it two weeks ago",
            "channel": "email",
            "customer": {"email": "r@example.com"},
        },
    )
    assert response.status_code == 201
    call_command("worker", "--once")
    assert TicketTriage.objects.filter(ticket_id=response.json()["id"]).exists()


def test_the_train_list_activate_and_rollback_commands():
    with pytest.raises(CommandError, match="Not enough labelled tickets"):
        call_command("triage", "train")
    lead = AgentFactory()
    _labelled(BATTERY, "battery", lead)
    _labelled(REFUND, "refund", lead)
    out = io.StringIO()
    call_command("triage", "train", "--activate", stdout=out)
    assert "Version 1 (default, active)" in out.getvalue()
    call_command("triage", "train", stdout=out)
    listing = io.StringIO()
    call_command("triage", "list", stdout=listing)
    lines = listing.getvalue().splitlines()
    assert lines[0].startswith("     2")
    assert lines[1].startswith("*    1")
    call_command("triage", "activate", "2", stdout=out)
    call_command("triage", "rollback", stdout=out)
    assert "Version 1 is active again." in out.getvalue()
    with pytest.raises(CommandError, match="no classifier version 9"):
        call_command("triage", "activate", "9")
    assert Actor.system().kind == "system"


def test_an_agent_going_offline_hands_open_chats_to_a_teammate():
    team = TeamFactory()
    leaving, staying = AgentFactory(), AgentFactory()
    member(leaving, team)
    member(staying, team)
    chat = make_ticket(channel="chat", team=team)
    mail = make_ticket(channel="email", team=team)
    for ticket in (chat, mail):
        from closeloop.tickets.services import ticket_assign

        ticket_assign(ticket=ticket, assignee=leaving, actor=Actor.system())
    leaving.availability = "offline"
    leaving.save()
    call_command("worker", "--once")
    chat.refresh_from_db()
    mail.refresh_from_db()
    assert chat.assignee_id == staying.pk
    assert mail.assignee_id == leaving.pk
    assert "went offline" in chat.events.filter(type=EventType.ASSIGNED).last().reason


def test_a_team_chosen_at_creation_stands_against_the_category_team():
    lead = AgentFactory()
    _labelled(BATTERY, "battery", lead)
    _labelled(REFUND, "refund", lead)
    classifier_train(activate=True)
    chosen, category_team = TeamFactory(), TeamFactory()
    Category.objects.filter(code="battery").update(team=category_team)
    ticket = make_ticket(subject="电池鼓包", body="battery swollen 电池鼓包", team=chosen)
    triage_ticket(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.team == chosen
