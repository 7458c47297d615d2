"""Import and export of tickets as JSON Lines (closeloop.tickets.importer, docs/import.md)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from closeloop.core import clock
from closeloop.core.models import Organization
from closeloop.customers.models import Customer, Identity
from closeloop.people.models import Agent, Team, TeamMembership, TeamRole
from closeloop.sla.models import TicketClock
from closeloop.sla.services import sla_sweep
from closeloop.tickets.exporter import export_lines
from closeloop.tickets.importer import import_lines
from closeloop.tickets.models import EventType, Message, Status, Ticket, TicketEvent

MILESTONES = (
    "status",
    "subject",
    "kind",
    "priority",
    "touchpoint",
    "channel",
    "created_at",
    "assigned_at",
    "first_responded_at",
    "last_customer_message_at",
    "last_agent_reply_at",
    "pending_since",
    "resolved_at",
    "confirmed_at",
    "closed_at",
    "escalated_at",
    "reopened_at",
    "reopen_count",
    "public_agent_reply_count",
    "escalation_level",
    "sla_policy_name",
    "sla_due_at",
    "sla_warning_at",
    "sla_breached_at",
)


def _agent(username: str, team: Team | None = None, role: str = TeamRole.MEMBER) -> Agent:
    user = User.objects.create_user(username=username, password="x")
    agent = Agent.objects.create(user=user, display_name=username)
    if team is not None:
        TeamMembership.objects.create(team=team, agent=agent, role=role)
    return agent


@pytest.fixture
def team() -> Team:
    """After-sales with a lead (li.na), a member (chen.jing) and a department head (he.jun)."""
    after_sales = Team.objects.create(name="After-sales", code="after-sales")
    _agent("li.na", after_sales, TeamRole.LEAD)
    _agent("chen.jing", after_sales)
    after_sales.department_head = _agent("he.jun")
    after_sales.save()
    return after_sales


@pytest.fixture
def base() -> datetime:
    """A whole hour ten days ago: old enough for every step, recent enough to reopen."""
    return (timezone.now() - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)


def _at(base: datetime, minutes: float) -> str:
    return (base + timedelta(minutes=minutes)).isoformat()


def _line(ref: str, base: datetime, history: list[dict[str, Any]], **fields: Any) -> str:
    record = {
        "external_ref": ref,
        "subject": "订单未收到 Order not arrived",
        "channel": "email",
        "kind": "complaint",
        "priority": "medium",
        "touchpoint": "after_sale",
        "team": "after-sales",
        "customer": {"email": f"{ref}@example.com", "name": "王小明", "segment": "standard"},
        "created_at": base.isoformat(),
        "body": "我的订单 SO1001 一周了还没到。",
        "history": history,
    }
    record.update(fields)
    return json.dumps(record, ensure_ascii=False)


def _full_history(base: datetime) -> list[dict[str, Any]]:
    return [
        {"at": _at(base, 5), "type": "assign", "to": "li.na"},
        {
            "at": _at(base, 30),
            "type": "message",
            "author": "agent",
            "agent": "li.na",
            "body": "您好，请提供收货地址。",
            "is_public": True,
        },
        {"at": _at(base, 31), "type": "pend", "agent": "li.na", "reason": "waiting for address"},
        {"at": _at(base, 300), "type": "message", "author": "customer", "body": "上海市…"},
        {
            "at": _at(base, 310),
            "type": "message",
            "author": "agent",
            "agent": "li.na",
            "body": "已联系快递。",
            "is_public": False,
        },
        {"at": _at(base, 320), "type": "resolve", "agent": "li.na", "reason": "re-shipped"},
        {"at": _at(base, 600), "type": "confirm"},
    ]


def _events(ticket: Ticket) -> list[tuple[str, str]]:
    return [
        (event.type, event.after.get("status", ""))
        for event in TicketEvent.objects.filter(ticket=ticket).order_by("created_at", "id")
    ]


def _snapshot() -> dict[str, dict[str, Any]]:
    """Everything the round trip must keep, per external ref."""
    snapshot = {}
    for ticket in Ticket.objects.select_related("assignee__user", "team", "escalated_to__user"):
        ref = ticket.import_ref or f"closeloop-{ticket.number}"
        values = {name: getattr(ticket, name) for name in MILESTONES}
        values["assignee"] = ticket.assignee.user.username if ticket.assignee else None
        values["escalated_to"] = ticket.escalated_to.user.username if ticket.escalated_to else None
        values["team"] = ticket.team.code if ticket.team else None
        values["messages"] = list(
            ticket.messages.order_by("created_at", "id").values_list(
                "author_kind", "is_public", "body", "created_at"
            )
        )
        values["events"] = [
            (
                event.type,
                event.actor_kind,
                event.before,
                event.after.get("status"),
                event.reason,
                event.created_at,
            )
            for event in ticket.events.order_by("created_at", "id")
        ]
        values["clocks"] = sorted(
            TicketClock.objects.filter(ticket=ticket).values_list(
                "metric", "cycle", "started_at", "due_at", "stopped_at", "breached_at"
            )
        )
        snapshot[ref] = values
    return snapshot


@pytest.mark.django_db
def test_a_line_is_replayed_through_the_services_at_its_original_times(
    team: Team, base: datetime
) -> None:
    report = import_lines([_line("zendesk-1", base, _full_history(base))], sweep=sla_sweep)

    assert (report.imported, report.skipped, report.already_imported) == (1, 0, 0)
    ticket = Ticket.objects.get(import_ref="zendesk-1")
    assert ticket.status == Status.CLOSED
    assert ticket.assignee.user.username == "li.na"
    assert ticket.team == team
    assert ticket.created_at == base
    assert ticket.assigned_at == base + timedelta(minutes=5)
    assert ticket.first_responded_at == base + timedelta(minutes=30)
    assert ticket.last_customer_message_at == base + timedelta(minutes=300)
    assert ticket.pending_since is None
    assert ticket.resolved_at == base + timedelta(minutes=320)
    assert ticket.confirmed_at == ticket.closed_at == base + timedelta(minutes=600)
    assert ticket.public_agent_reply_count == 1
    assert _events(ticket) == [
        (EventType.CREATED, ""),
        (EventType.MESSAGE_ADDED, ""),
        (EventType.STATUS_CHANGED, Status.ASSIGNED),
        (EventType.ASSIGNED, ""),
        (EventType.STATUS_CHANGED, Status.IN_PROGRESS),
        (EventType.MESSAGE_ADDED, ""),
        (EventType.STATUS_CHANGED, Status.PENDING_CUSTOMER),
        (EventType.STATUS_CHANGED, Status.IN_PROGRESS),
        (EventType.MESSAGE_ADDED, ""),
        (EventType.MESSAGE_ADDED, ""),
        (EventType.STATUS_CHANGED, Status.RESOLVED),
        (EventType.STATUS_CHANGED, Status.CLOSED),
    ]
    confirm = ticket.events.order_by("-id").first()
    assert (confirm.actor_kind, confirm.reason) == ("customer", "customer confirmed")
    assert list(ticket.messages.values_list("author_kind", "is_public")) == [
        ("customer", True),
        ("agent", True),
        ("customer", True),
        ("agent", False),
    ]
    first_response = TicketClock.objects.get(ticket=ticket, metric="first_response")
    assert (first_response.due_at, first_response.stopped_at, first_response.breached_at) == (
        base + timedelta(hours=2),
        base + timedelta(minutes=30),
        None,
    )
    # Resolution: 48 h, pushed later by the 269 minutes the ticket waited on the customer.
    resolution = TicketClock.objects.get(ticket=ticket, metric="resolution")
    assert resolution.due_at == base + timedelta(hours=48, minutes=269)
    assert resolution.stopped_at == base + timedelta(minutes=320)
    customer = Customer.objects.get()
    assert (customer.name, customer.created_at) == ("王小明", base)


@pytest.mark.django_db
def test_imported_replies_are_history_not_sent_again(
    team: Team, base: datetime, django_capture_on_commit_callbacks
) -> None:
    from closeloop.channels.models import Delivery

    with django_capture_on_commit_callbacks(execute=True):
        import_lines([_line("zendesk-2", base, _full_history(base)[:2])], sweep=sla_sweep)
    ticket = Ticket.objects.get(import_ref="zendesk-2")
    assert ticket.messages.filter(author_kind="agent", is_public=True).count() == 1
    assert not Delivery.objects.exists()
    # A reply made now, on the imported ticket, does go out to the customer.
    agent = Agent.objects.get(user__username="li.na")
    from closeloop.tickets.services import Actor, message_add

    message_add(ticket=ticket, body="Sorry, again:", actor=Actor.of_agent(agent))
    assert Delivery.objects.get().recipient == "zendesk-2@example.com"


# The worker closes connections between tasks (as a long-running worker must), which a test
# wrapped in one transaction cannot survive on PostgreSQL: this test commits for real.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_imported_high_priority_ticket_without_reply_is_breached_by_the_next_worker_run(
    team: Team,
) -> None:
    opened_at = timezone.now() - timedelta(hours=2)
    line = _line("zendesk-2", opened_at, [], priority="high")
    report = import_lines([line], sweep=sla_sweep)
    ticket = Ticket.objects.get(import_ref="zendesk-2")
    assert report.imported == 1
    assert ticket.sla_breached_at is None
    assert not ticket.events.filter(type=EventType.SLA_BREACHED).exists()

    call_command("worker", "--once")

    ticket.refresh_from_db()
    breach = ticket.events.get(type=EventType.SLA_BREACHED)
    assert breach.after["metric"] == "first_response"
    assert breach.after["due_at"] == (opened_at + timedelta(hours=1)).isoformat()
    assert ticket.sla_breached_at is not None
    assert ticket.escalation_level == 1
    assert ticket.escalated_to.user.username == "li.na"


@pytest.mark.django_db
def test_warnings_and_breaches_between_steps_are_fired_at_their_due_time(
    team: Team, base: datetime
) -> None:
    history = [
        {
            "at": _at(base, 90),
            "type": "message",
            "author": "agent",
            "agent": "chen.jing",
            "body": "Sorry for the wait.",
            "is_public": True,
        },
        {"at": _at(base, 120), "type": "resolve", "agent": "chen.jing"},
        {"at": _at(base, 120 + 72 * 60), "type": "close", "reason": "confirmation window elapsed"},
    ]
    import_lines([_line("zendesk-3", base, history, priority="high")], sweep=sla_sweep)

    ticket = Ticket.objects.get(import_ref="zendesk-3")
    sla_events = list(
        ticket.events.filter(
            type__in=[EventType.SLA_WARNING, EventType.SLA_BREACHED, EventType.ESCALATED]
        ).values_list("type", "created_at", "after")
    )
    due = base + timedelta(hours=1)
    assert [(kind, at) for kind, at, _after in sla_events] == [
        (EventType.SLA_WARNING, base + timedelta(minutes=48)),
        (EventType.SLA_BREACHED, due),
        (EventType.ESCALATED, due),
    ]
    assert sla_events[2][2] == {"escalation_level": 1, "escalated_to_id": ticket.escalated_to_id}
    assert (ticket.sla_breached_at, ticket.escalated_at, ticket.status) == (due, due, "closed")
    # The worker finds nothing left to fire for this history.
    assert sla_sweep() == {"warnings": 0, "breaches": 0}


@pytest.mark.django_db
def test_bad_lines_are_reported_by_number_and_leave_nothing_behind(
    team: Team, base: datetime, tmp_path: Path
) -> None:
    good = _line("ok-1", base, _full_history(base))
    lines = [
        good,
        _line("bad-agent", base, [{"at": _at(base, 5), "type": "assign", "to": "nobody"}]),
        _line("bad-transition", base, [{"at": _at(base, 5), "type": "resolve"}]),
        "{not json",
        _line(
            "bad-order",
            base,
            [
                {"at": _at(base, 50), "type": "assign", "to": "li.na"},
                {"at": _at(base, 10), "type": "start"},
            ],
        ),
        json.dumps({"external_ref": "bad-missing", "subject": "x", "channel": "email"}),
        "",
        _line("bad-future", base, [], created_at=(timezone.now() + timedelta(days=1)).isoformat()),
        _line("bad-typo", base, [], priorty="high"),
        _line(
            "bad-type",
            base,
            [{"at": _at(base, 5), "type": "message", "author": "customer", "body": 42}],
        ),
    ]
    path = tmp_path / "tickets.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match=r"8 line\(s\) skipped"):
        call_command("import", str(path), stdout=out, stderr=err)

    assert out.getvalue() == "imported 1, skipped 8\n"
    assert err.getvalue().splitlines() == [
        "line 2 (bad-agent): step 1 (assign at " + _at(base, 5) + "): unknown agent 'nobody'",
        "line 3 (bad-transition): step 1 (resolve at "
        + _at(base, 5)
        + "): A ticket cannot go from New to Resolved.",
        "line 4: not valid JSON: Expecting property name enclosed in double quotes at column 2",
        "line 5 (bad-order): step 2 (start): at "
        + _at(base, 10)
        + " is earlier than the step before it",
        "line 6 (bad-missing): missing field customer, created_at, body",
        "line 8 (bad-future): created_at "
        + json.loads(lines[7])["created_at"]
        + " is in the future",
        "line 9 (bad-typo): unknown field priorty in ticket",
        "line 10 (bad-type): body in step 1 must be a string, not 42",
    ]
    assert list(Ticket.objects.values_list("import_ref", flat=True)) == ["ok-1"]
    assert list(Customer.objects.values_list("identities__value", flat=True)) == [
        "ok-1@example.com"
    ]
    assert Message.objects.count() == 4


@pytest.mark.django_db
def test_importing_the_same_file_twice_does_not_duplicate_tickets(
    team: Team, base: datetime
) -> None:
    lines = [_line("zendesk-5", base, _full_history(base)), _line("zendesk-6", base, [])]
    first = import_lines(lines, sweep=sla_sweep)
    counts = (Ticket.objects.count(), Message.objects.count(), TicketEvent.objects.count())

    second = import_lines(lines, sweep=sla_sweep)

    assert (first.imported, first.already_imported) == (2, 0)
    assert (second.imported, second.already_imported, second.skipped) == (0, 2, 0)
    assert second.summary() == "imported 0, skipped 0, already imported 2"
    assert (Ticket.objects.count(), Message.objects.count(), TicketEvent.objects.count()) == counts
    assert Customer.objects.count() == 2


def _varied_lines(base: datetime) -> list[str]:
    """Histories that use every step type and every implied transition of message_add."""
    return [
        _line("rt-closed", base, _full_history(base)),
        _line(
            "rt-reopened",
            base + timedelta(minutes=1),
            [
                {
                    "at": _at(base, 20),
                    "type": "message",
                    "author": "agent",
                    "agent": "chen.jing",
                    "body": "Please restart it.",
                },
                {
                    "at": _at(base, 40),
                    "type": "update",
                    "agent": "chen.jing",
                    "priority": "high",
                    "kind": "incident",
                    "reason": "customer is losing sales",
                },
                {"at": _at(base, 60), "type": "resolve", "agent": "chen.jing"},
                {
                    "at": _at(base, 200),
                    "type": "message",
                    "author": "customer",
                    "body": "Still broken.",
                    "external_id": "mail-77",
                },
                {
                    "at": _at(base, 210),
                    "type": "escalate",
                    "agent": "chen.jing",
                    "reason": "second failure",
                    "to": "li.na",
                },
                {
                    "at": _at(base, 220),
                    "type": "escalate",
                    "agent": "li.na",
                    "reason": "needs the department",
                    "level": 2,
                },
                {"at": _at(base, 230), "type": "assign", "agent": "li.na", "to": "he.jun"},
                {
                    "at": _at(base, 300),
                    "type": "message",
                    "author": "agent",
                    "agent": "he.jun",
                    "body": "Replaced the unit.",
                    "is_public": True,
                },
                {"at": _at(base, 310), "type": "resolve", "agent": "he.jun"},
                {"at": _at(base, 400), "type": "reopen", "reason": "not fixed"},
                {"at": _at(base, 500), "type": "resolve", "agent": "he.jun"},
                {
                    "at": _at(base, 500 + 72 * 60),
                    "type": "close",
                    "reason": "confirmation window elapsed",
                },
            ],
            channel="wechat",
            customer={"wechat_openid": "oAbc123", "phone": "13812345678"},
        ),
        _line(
            "rt-open",
            base + timedelta(minutes=2),
            [
                {"at": _at(base, 3), "type": "assign", "agent": "chen.jing"},
                {"at": _at(base, 4), "type": "start", "agent": "chen.jing"},
                {
                    "at": _at(base, 5),
                    "type": "message",
                    "author": "bot",
                    "body": "FAQ: …",
                    "is_public": True,
                },
                {"at": _at(base, 300), "type": "pend", "agent": "chen.jing"},
            ],
            priority="high",
            body_external_id="mail-1",
        ),
        _line(
            "rt-new",
            base + timedelta(minutes=3),
            [],
            priority="low",
            related_to="rt-closed",
            team=None,
        ),
    ]


@pytest.mark.django_db
def test_export_then_import_into_an_empty_database_gives_the_same_tickets(
    team: Team, base: datetime, tmp_path: Path
) -> None:
    report = import_lines(_varied_lines(base), sweep=sla_sweep)
    assert (report.imported, report.errors) == (4, [])
    before = _snapshot()
    path = tmp_path / "export.jsonl"
    call_command("export", str(path), stderr=io.StringIO())
    exported = path.read_text(encoding="utf-8")

    # Empty the database of everything the import creates, then import the export.
    Ticket.objects.all().delete()
    Customer.objects.all().delete()
    Organization.objects.update(next_ticket_number=10001)
    call_command("import", str(path), stdout=io.StringIO())

    assert _snapshot() == before
    assert {status for ref, values in before.items() for status in [values["status"]]} == {
        "closed",
        "pending_customer",
        "new",
    }
    assert before["rt-reopened"]["reopen_count"] == 2
    assert before["rt-reopened"]["escalation_level"] == 2
    assert before["rt-open"]["sla_breached_at"] is not None
    # And the export of the re-imported data is the same file, byte for byte.
    assert "\n".join(export_lines()) + "\n" == exported
    assert Identity.objects.count() == 5


@pytest.mark.django_db
def test_export_writes_the_import_format_and_since_filters_by_creation(
    team: Team, base: datetime
) -> None:
    import_lines(_varied_lines(base)[:2], sweep=sla_sweep)
    out = io.StringIO()

    call_command("export", "--since", (base + timedelta(seconds=30)).isoformat(), stdout=out)

    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [record["external_ref"] for record in records] == ["rt-reopened"]
    steps = [
        (step["type"], step.get("agent"), step.get("to"), step.get("by"))
        for step in records[0]["history"]
    ]
    assert steps == [
        ("message", "chen.jing", None, None),
        ("update", "chen.jing", None, None),
        ("resolve", "chen.jing", None, None),
        ("message", None, None, None),
        ("escalate", "chen.jing", "li.na", None),
        ("escalate", "li.na", "he.jun", None),
        ("assign", "li.na", "he.jun", None),
        ("message", "he.jun", None, None),
        ("resolve", "he.jun", None, None),
        ("reopen", None, None, None),
        ("resolve", "he.jun", None, None),
        ("close", None, None, None),
    ]
    assert records[0]["customer"] == {
        "phone": "+8613812345678",
        "wechat_openid": "oAbc123",
        "segment": "standard",
    }


@pytest.mark.django_db
def test_the_importer_refuses_a_message_id_that_belongs_to_another_ticket(
    team: Team, base: datetime
) -> None:
    history = [
        {
            "at": _at(base, 5),
            "type": "message",
            "author": "customer",
            "body": "again",
            "external_id": "mail-9",
        }
    ]
    import_lines([_line("first", base, [], body_external_id="mail-9")])

    report = import_lines([_line("second", base, history)])

    assert [str(error) for error in report.errors] == [
        f"line 1 (second): step 1 (message at {_at(base, 5)}): message id 'mail-9' on email "
        "already belongs to ticket 10001"
    ]
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_the_example_in_the_documentation_imports(team: Team) -> None:
    document = (Path(__file__).parents[3] / "docs" / "import.md").read_text(encoding="utf-8")
    example = document.split("```json\n", 1)[1].split("```", 1)[0]
    line = " ".join(example.splitlines())

    with clock.frozen_at(datetime.fromisoformat("2026-09-03T00:00:00+08:00")):
        report = import_lines([line], sweep=sla_sweep)

    assert (report.imported, report.errors) == (1, [])
    ticket = Ticket.objects.get(import_ref="zendesk-4711")
    assert (ticket.status, ticket.priority, ticket.escalation_level) == ("closed", "medium", 2)
    assert ticket.escalated_to.user.username == "he.jun"
    assert ticket.customer.segment == "vip"
    assert ticket.messages.count() == 5
