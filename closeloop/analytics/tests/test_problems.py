"""Problem records: the guarded status flow, linking tickets by number (all or nothing), the
corrective actions attached to a problem, and the API with its permissions and 4xx codes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from closeloop.analytics.models import CorrectiveAction
from closeloop.analytics.models_problems import Problem, ProblemStatus, ProblemTicket
from closeloop.analytics.problems import (
    ALLOWED,
    parse_ticket_numbers,
    problem_action_add,
    problem_actions,
    problem_create,
    problem_link_tickets,
    problem_transition,
    problem_unlink_ticket,
    problem_update,
)
from closeloop.analytics.tests.factories import at, category, ticket
from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotFound
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, lead_of

pytestmark = pytest.mark.django_db

S = ProblemStatus


def test_the_flow_from_proposed_to_closed() -> None:
    lead = AgentFactory()
    problem = problem_create(actor=None, title="Login loops", status=S.PROPOSED)
    problem = problem_transition(problem=problem, actor=lead, to=S.OPEN)
    problem = problem_transition(problem=problem, actor=lead, to=S.KNOWN_ERROR)
    problem = problem_transition(problem=problem, actor=lead, to=S.FIXING)
    # Resolving needs the root cause.
    with pytest.raises(InvalidInput) as refused:
        problem_transition(problem=problem, actor=lead, to=S.RESOLVED)
    assert refused.value.details == {"field": "root_cause"}
    problem = problem_update(problem=problem, actor=lead, root_cause="product_design")
    problem = problem_transition(problem=problem, actor=lead, to=S.RESOLVED)
    assert problem.resolved_at is not None
    problem = problem_transition(problem=problem, actor=lead, to=S.CLOSED)
    assert problem.closed_at is not None
    assert [entry["to"] for entry in problem.history] == [
        "proposed",
        "open",
        "known_error",
        "fixing",
        "resolved",
        "closed",
    ]
    assert problem.history[1]["by"] == lead.pk
    # Closed is the end: no change, no transition, no new links.
    with pytest.raises(InvalidTransition):
        problem_transition(problem=problem, actor=lead, to=S.OPEN)
    with pytest.raises(InvalidTransition):
        problem_update(problem=problem, actor=lead, title="New")
    with pytest.raises(InvalidTransition):
        problem_link_tickets(problem=problem, actor=lead, numbers=[1])


@pytest.mark.parametrize(("start", "to"), [(S.PROPOSED, S.FIXING), (S.OPEN, S.PROPOSED)])
def test_transitions_outside_the_table_are_refused(start: str, to: str) -> None:
    assert to not in ALLOWED[start]
    problem = problem_create(actor=None, title="x", status=start)
    with pytest.raises(InvalidTransition):
        problem_transition(problem=problem, actor=None, to=to)
    problem.refresh_from_db()
    assert problem.status == start


def test_a_stale_transition_is_a_conflict() -> None:
    problem = problem_create(actor=None, title="x", status=S.PROPOSED)
    stale = Problem.objects.get(pk=problem.pk)
    problem_transition(problem=problem, actor=None, to=S.REJECTED)
    with pytest.raises(ConcurrentChange):
        problem_transition(problem=stale, actor=None, to=S.OPEN)
    assert Problem.objects.get(pk=problem.pk).status == S.REJECTED


def test_bad_input_is_refused_and_nothing_written() -> None:
    with pytest.raises(InvalidInput):
        problem_create(actor=None, title="  ")
    with pytest.raises(InvalidInput):
        problem_create(actor=None, title="x", root_cause="bad luck")
    with pytest.raises(InvalidInput):
        problem_create(actor=None, title="x", status=S.RESOLVED)
    assert not Problem.objects.exists()


def test_linking_tickets_by_number_is_all_or_nothing() -> None:
    a, b = ticket(created=at(1)), ticket(created=at(2))
    problem = problem_create(actor=None, title="x")
    with pytest.raises(NotFound) as missing:
        problem_link_tickets(problem=problem, actor=None, numbers=[a.number, 1])
    assert missing.value.details["missing"] == [1]
    assert not ProblemTicket.objects.exists()
    assert problem_link_tickets(problem=problem, actor=None, numbers=[a.number, b.number]) == 2
    assert problem_link_tickets(problem=problem, actor=None, numbers=[a.number]) == 0
    # A ticket may belong to several problems.
    other = problem_create(actor=None, title="y")
    assert problem_link_tickets(problem=other, actor=None, numbers=[a.number]) == 1
    assert set(a.problems.values_list("title", flat=True)) == {"x", "y"}
    problem_unlink_ticket(problem=problem, actor=None, number=b.number)
    assert list(problem.tickets.values_list("number", flat=True)) == [a.number]
    with pytest.raises(NotFound):
        problem_unlink_ticket(problem=problem, actor=None, number=b.number)


def test_parse_ticket_numbers() -> None:
    assert parse_ticket_numbers("#12, 13\n14，15") == [12, 13, 14, 15]
    with pytest.raises(InvalidInput):
        parse_ticket_numbers("12, abc")


def test_corrective_actions_attach_to_the_problem() -> None:
    owner = AgentFactory()
    problem = problem_create(actor=None, title="x", owner=owner)
    action = problem_action_add(problem=problem, actor=None, title="Retrain the team")
    assert action.owner == owner  # the problem's owner by default
    assert list(problem_actions(problem)) == [action]
    other = problem_create(actor=None, title="y")
    assert list(problem_actions(other)) == []


# --- API -----------------------------------------------------------------------------------


def send(api: Any, method: str, path: str, data: dict | None = None) -> Any:
    return getattr(api.client, method)(
        path, json.dumps(data or {}), content_type="application/json", headers=api.headers
    )


@pytest.fixture
def as_lead(api_as: Any) -> Any:
    return api_as(lead_of(TeamFactory()).user)


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("agent", 403), ("lead", 200), ("admin", 200)]
)
def test_api_permissions(api_as: Any, who: str, status: int) -> None:
    users = {
        "anonymous": None,
        "agent": AgentFactory().user,
        "lead": lead_of(TeamFactory()).user,
        "admin": UserFactory(is_superuser=True),
    }
    client = api_as(users[who])
    assert client.get("/api/v1/analytics/problems").status_code == status
    assert client.get("/api/v1/analytics/review/monthly", month="2026-03").status_code == status
    created = client.post("/api/v1/analytics/problems", {"title": "x"})
    assert created.status_code == (201 if status == 200 else status)
    assert Problem.objects.exists() == (status == 200)


def test_api_flow(as_lead: Any) -> None:
    billing = category("billing")
    a, b = ticket(created=at(1)), ticket(created=at(2))
    created = as_lead.post(
        "/api/v1/analytics/problems",
        {"title": "Double charge", "category": "billing", "ticket_numbers": [a.number]},
    )
    assert created.status_code == 201, created.content
    # An unknown ticket number records nothing (not a problem without its tickets).
    refused = as_lead.post(
        "/api/v1/analytics/problems", {"title": "Lost parcels", "ticket_numbers": [a.number, 999]}
    )
    assert refused.status_code == 404
    assert refused.json()["details"]["field"] == "ticket_numbers"
    assert Problem.objects.count() == 1
    body = created.json()
    assert (body["status"], body["category"], body["ticket_numbers"]) == (
        "open",
        "billing",
        [a.number],
    )
    pid = body["id"]
    linked = as_lead.post(f"/api/v1/analytics/problems/{pid}/tickets", {"numbers": [b.number]})
    assert linked.json()["linked"] == 1
    patched = send(
        as_lead,
        "patch",
        f"/api/v1/analytics/problems/{pid}",
        {"root_cause": "process_gap", "root_cause_notes": "No check at renewal"},
    )
    assert patched.json()["root_cause"] == "process_gap"
    moved = as_lead.post(f"/api/v1/analytics/problems/{pid}/transition", {"to": "resolved"})
    assert moved.json()["status"] == "resolved"
    action = as_lead.post(f"/api/v1/analytics/problems/{pid}/actions", {"title": "Add a check"})
    assert action.status_code == 201
    assert as_lead.get(f"/api/v1/analytics/problems/{pid}").json()["action_ids"] == [
        action.json()["id"]
    ]
    assert CorrectiveAction.objects.get().subject_id == pid
    listed = as_lead.get("/api/v1/analytics/problems", status="resolved", category="billing")
    assert [p["id"] for p in listed.json()["items"]] == [pid]
    assert billing.pk == Problem.objects.get().category_id
    unlinked = send(as_lead, "delete", f"/api/v1/analytics/problems/{pid}/tickets/{b.number}")
    assert unlinked.status_code == 204


def test_api_errors_are_4xx_with_codes(as_lead: Any) -> None:
    assert as_lead.post("/api/v1/analytics/problems", {"title": " "}).json()["code"] == (
        "invalid_input"
    )
    assert (
        as_lead.post("/api/v1/analytics/problems", {"title": "x", "category": "nope"}).json()[
            "code"
        ]
        == "invalid_input"
    )
    assert as_lead.get("/api/v1/analytics/problems/999").status_code == 404
    pid = as_lead.post("/api/v1/analytics/problems", {"title": "x"}).json()["id"]
    wrong = as_lead.post(f"/api/v1/analytics/problems/{pid}/transition", {"to": "closed"})
    assert (wrong.status_code, wrong.json()["code"]) == (409, "invalid_transition")
    missing = as_lead.post(f"/api/v1/analytics/problems/{pid}/tickets", {"numbers": [424242]})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    bad_month = as_lead.get("/api/v1/analytics/review/monthly", month="2026-13")
    assert (bad_month.status_code, bad_month.json()["code"]) == (400, "invalid_input")
    assert Problem.objects.count() == 1


def test_api_monthly_review_json_and_files(as_lead: Any) -> None:
    body = as_lead.get("/api/v1/analytics/review/monthly", month="2026-03").json()
    assert body["month"] == "2026-03"
    assert set(body["sections"]) == {"headline", "pareto", "repeat", "problems", "actions", "goals"}
    pdf = as_lead.get("/api/v1/analytics/review/monthly", month="2026-03", format="pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_api_detect(as_lead: Any) -> None:
    assert as_lead.post("/api/v1/analytics/problems/detect").json() == {
        "spikes": [],
        "clusters": [],
    }


def test_demo_problems() -> None:
    from closeloop.console.demo_problems import install_demo_problems
    from closeloop.core import clock

    AgentFactory()
    now = clock.now()
    for code, count in (("refunds", 5), ("app", 4), ("delivery", 3)):
        kind = category(code)
        for index in range(count):
            ticket(created=now - timedelta(days=1, hours=index), category=kind)
    first = install_demo_problems()
    assert first["recorded"] == 3
    manual = Problem.objects.filter(source="manual")
    statuses = dict(manual.values_list("category__code", "status"))
    assert statuses == {"refunds": "resolved", "app": "fixing", "delivery": "open"}
    assert manual.get(category__code="refunds").links.count() == 5
    # Detection ran too: the twelve identical "Test" tickets are one proposed cluster.
    assert first["clusters"] == 1
    assert install_demo_problems()["recorded"] == 0  # a second run adds nothing
