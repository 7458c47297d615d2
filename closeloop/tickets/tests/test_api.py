"""The tickets API: shapes, filters, actions and every error code."""

from datetime import UTC, datetime, timedelta

import pytest

from closeloop.core import clock
from closeloop.customers.models import Customer
from closeloop.people.tests.factories import AgentFactory, TeamFactory
from closeloop.tickets.models import Message, Ticket, TicketEvent
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NEW_TICKET = {
    "subject": "Battery drains overnight",
    "body": "My X2 phone loses 40% overnight.",
    "channel": "email",
    "kind": "complaint",
    "priority": "high",
    "touchpoint": "after_sale",
    "customer": {"email": "Li.Lei@Example.com", "phone": "13812345678", "name": "李雷"},
}


def test_create_returns_201_with_ticket_customer_and_sla(api):
    with clock.frozen_at(T0):
        response = api.post("/api/v1/tickets", NEW_TICKET)
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get()
    assert body["id"] == ticket.pk
    assert body["number"] == ticket.number
    assert body["reference"] == f"CL-{ticket.number}"
    assert (body["status"], body["priority"], body["kind"], body["channel"]) == (
        "new",
        "high",
        "complaint",
        "email",
    )
    assert body["customer"]["id"] == ticket.customer_id
    assert body["sla"]["policy"] == "High priority"
    assert body["sla"]["first_response_due_at"] == "2026-03-02T09:00:00Z"
    assert body["sla"]["resolution_due_at"] == "2026-03-03T08:00:00Z"
    assert body["sla"]["state"] == "ok"
    assert body["created_at"] == "2026-03-02T08:00:00Z"


def test_create_finds_the_same_customer_by_phone(api):
    api.post("/api/v1/tickets", NEW_TICKET)
    second = dict(NEW_TICKET, channel="phone", customer={"phone": "+86 138 1234 5678"})
    response = api.post("/api/v1/tickets", second)
    assert response.status_code == 201
    assert Customer.objects.count() == 1
    assert response.json()["customer"]["id"] == Customer.objects.get().pk


def test_create_with_team_code(api):
    team = TeamFactory(code="after-sales")
    response = api.post("/api/v1/tickets", dict(NEW_TICKET, team="after-sales"))
    assert response.json()["team"] == {"id": team.pk, "code": "after-sales", "name": team.name}


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"channel": "fax"}, 422, "validation_error"),
        ({"priority": "urgent"}, 422, "validation_error"),
        ({"subject": ""}, 422, "validation_error"),
        ({"customer": {}}, 400, "invalid_input"),
        ({"customer": {"phone": "12"}}, 400, "invalid_input"),
        ({"team": "nope"}, 400, "invalid_input"),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(api, change, status, code):
    response = api.post("/api/v1/tickets", dict(NEW_TICKET, **change))
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0


def test_malformed_json_is_400(api):
    response = api.post("/api/v1/tickets", raw=b"{not json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_oversized_body_is_413_and_writes_nothing(api, settings):
    settings.CLOSELOOP = dict(settings.CLOSELOOP, MAX_REQUEST_BYTES=1000)
    response = api.post("/api/v1/tickets", dict(NEW_TICKET, body="x" * 2000))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert Ticket.objects.count() == 0


def test_missing_or_bad_token_is_401(api_as):
    assert api_as(None).get("/api/v1/tickets").status_code == 401
    bad = api_as(None)
    bad.headers = {"Authorization": "Bearer cl_wrong"}
    response = bad.get("/api/v1/tickets")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_list_filters_and_orders_by_due(api, agent):
    with clock.frozen_at(T0):
        low = make_ticket(priority="low")
        high = make_ticket(priority="high")
        mine = make_ticket(priority="medium")
    api.post(f"/api/v1/tickets/{mine.pk}/actions", {"action": "assign", "assignee_id": agent.pk})
    body = api.get("/api/v1/tickets").json()
    assert [item["id"] for item in body["items"]] == [high.pk, mine.pk, low.pk]
    assert body["count"] == 3
    assert [i["id"] for i in api.get("/api/v1/tickets", priority="high").json()["items"]] == [
        high.pk
    ]
    assert [i["id"] for i in api.get("/api/v1/tickets", assignee=agent.pk).json()["items"]] == [
        mine.pk
    ]
    statuses = api.get("/api/v1/tickets", status="new,assigned").json()["count"]
    assert statuses == 3
    assert api.get("/api/v1/tickets", status="resolved").json()["count"] == 0


def test_list_sla_state_filter(api):
    with clock.frozen_at(T0):
        make_ticket(priority="high")
        low = make_ticket(priority="low")
    with clock.frozen_at(T0 + timedelta(minutes=50)):
        warning = api.get("/api/v1/tickets", sla_state="warning").json()["items"]
        ok = api.get("/api/v1/tickets", sla_state="ok").json()["items"]
    with clock.frozen_at(T0 + timedelta(minutes=61)):
        breached = api.get("/api/v1/tickets", sla_state="breached").json()["items"]
    assert [t["priority"] for t in warning] == ["high"]
    assert [t["id"] for t in ok] == [low.pk]
    assert [t["priority"] for t in breached] == ["high"]
    assert breached[0]["sla"]["state"] == "breached"


def test_list_pagination(api):
    for _ in range(5):
        make_ticket()
    first = api.get("/api/v1/tickets", page_size=2).json()
    assert (len(first["items"]), first["count"], first["next_page"]) == (2, 5, 2)
    last = api.get("/api/v1/tickets", page_size=2, page=3).json()
    assert (len(last["items"]), last["next_page"]) == (1, None)
    assert api.get("/api/v1/tickets", page_size=2, page=9).status_code == 404
    assert api.get("/api/v1/tickets", page_size=500).status_code == 422


def test_detail_has_messages_and_events(api):
    ticket = make_ticket()
    body = api.get(f"/api/v1/tickets/{ticket.pk}").json()
    assert [m["author_kind"] for m in body["messages"]] == ["customer"]
    assert [e["type"] for e in body["events"]] == ["created", "message_added"]


def test_unknown_ticket_is_404(api):
    response = api.get("/api/v1/tickets/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_reply_and_note_author_from_token(api, agent):
    ticket = make_ticket()
    reply = api.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "Hello"})
    note = api.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "vip", "is_public": False})
    assert (reply.status_code, note.status_code) == (201, 201)
    assert reply.json()["author_agent_id"] == agent.pk
    assert note.json()["is_public"] is False
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.assignee_id == agent.pk


def test_full_lifecycle_through_actions(api, agent):
    ticket = make_ticket()
    url = f"/api/v1/tickets/{ticket.pk}/actions"
    steps = [
        ({"action": "assign", "assignee_id": agent.pk}, "assigned"),
        ({"action": "start"}, "in_progress"),
        ({"action": "pend", "reason": "need photo"}, "pending_customer"),
        ({"action": "resolve"}, "resolved"),
        ({"action": "reopen", "reason": "customer says no"}, "in_progress"),
        ({"action": "resolve"}, "resolved"),
        ({"action": "confirm"}, "closed"),
    ]
    for payload, status in steps:
        response = api.post(url, payload)
        assert response.status_code == 200, (payload, response.content)
        assert response.json()["status"] == status


def test_invalid_transition_is_409_and_changes_nothing(api):
    ticket = make_ticket()
    events = TicketEvent.objects.count()
    response = api.post(f"/api/v1/tickets/{ticket.pk}/actions", {"action": "resolve"})
    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_transition",
        "message": "A ticket cannot go from New to Resolved.",
        "details": {"from": "new", "to": "resolved"},
    }
    assert TicketEvent.objects.count() == events
    assert Ticket.objects.get().status == "new"


def test_escalate_action_with_reason_and_person(api):
    expert = AgentFactory()
    ticket = make_ticket()
    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/actions",
        {"action": "escalate", "assignee_id": expert.pk, "reason": "needs an engineer"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["escalation_level"] == 1
    assert body["escalated_to"]["id"] == expert.pk
    missing_reason = api.post(
        f"/api/v1/tickets/{ticket.pk}/actions", {"action": "escalate", "assignee_id": expert.pk}
    )
    assert missing_reason.status_code == 400
    assert missing_reason.json()["details"] == {"field": "reason"}


def test_action_errors(api):
    ticket = make_ticket()
    url = f"/api/v1/tickets/{ticket.pk}/actions"
    assert api.post(url, {"action": "fly"}).status_code == 422
    no_assignee = api.post(url, {"action": "assign"})
    assert no_assignee.status_code == 400
    assert no_assignee.json()["details"] == {"field": "assignee_id"}
    assert api.post(url, {"action": "assign", "assignee_id": 424242}).status_code == 400
    assert Message.objects.count() == 1


def test_chinese_text_is_sent_as_characters(api):
    response = api.post("/api/v1/tickets", dict(NEW_TICKET, subject="屏幕碎了"))
    assert "屏幕碎了".encode() in response.content
    assert response.json()["subject"] == "屏幕碎了"


def test_unknown_path_and_method_are_json(api):
    ticket = make_ticket()
    missing = api.get("/api/v1/nothing-here")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong = api.client.delete(f"/api/v1/tickets/{ticket.pk}", headers=api.headers)
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize("field", ["customer", "team", "assignee"])
def test_absurd_ids_in_filters_are_422(api, field):
    response = api.get("/api/v1/tickets", **{field: "99999999999999999999"})
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


def test_nul_bytes_are_refused_on_every_database(api):
    for change in ({"subject": "a\x00b"}, {"customer": {"email": "x@y.com", "name": "a\x00"}}):
        response = api.post("/api/v1/tickets", dict(NEW_TICKET, **change))
        assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
    assert Ticket.objects.count() == 0


def test_start_cannot_sidestep_the_reopen_window(api, agent):
    ticket = make_ticket()
    url = f"/api/v1/tickets/{ticket.pk}/actions"
    for payload in (
        {"action": "assign", "assignee_id": agent.pk},
        {"action": "start"},
        {"action": "resolve"},
    ):
        assert api.post(url, payload).status_code == 200
    refused = api.post(url, {"action": "start"})
    assert (refused.status_code, refused.json()["code"]) == (409, "invalid_transition")
    assert Ticket.objects.get().status == "resolved"
