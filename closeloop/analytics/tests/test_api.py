"""The analytics API: permissions, rule CRUD with validation errors, alerts, corrective actions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from closeloop.analytics.models import AlertRule, CorrectiveAction
from closeloop.analytics.services import alert_rule_evaluate
from closeloop.analytics.tests.factories import at, rule, ticket
from closeloop.core import clock
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, lead_of

RULE = {
    "name": "Complaints after sale",
    "metric": "complaint_rate",
    "comparison": "above",
    "threshold": 10,
    "clear_threshold": 8,
    "window_hours": 168,
    "min_sample": 30,
    "touchpoint": "after_sale",
}


def send(api: Any, method: str, path: str, data: dict | None = None) -> Any:
    return getattr(api.client, method)(
        path, json.dumps(data or {}), content_type="application/json", headers=api.headers
    )


@pytest.fixture
def lead(db: Any) -> Any:
    return lead_of(TeamFactory())


@pytest.fixture
def as_lead(api_as: Any, lead: Any) -> Any:
    return api_as(lead.user)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("agent", 403), ("lead", 200), ("admin", 200)]
)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/analytics/alert-rules",
        "/api/v1/analytics/alerts",
        "/api/v1/analytics/corrective-actions",
    ],
)
def test_permission_matrix(api_as: Any, who: str, status: int, path: str) -> None:
    users = {
        "anonymous": None,
        "agent": AgentFactory().user,
        "lead": lead_of(TeamFactory()).user,
        "admin": UserFactory(is_superuser=True),
    }
    response = api_as(users[who]).get(path)
    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "forbidden"
    # An agent's valid write is refused as well (alerts have no write: 405).
    payloads = {"alert-rules": RULE, "alerts": {}, "corrective-actions": {"title": "x"}}
    written = api_as(AgentFactory().user).post(path, payloads[path.rsplit("/", 1)[1]])
    assert written.status_code == (405 if path.endswith("/alerts") else 403)
    assert not AlertRule.objects.filter(name=RULE["name"]).exists()
    assert not CorrectiveAction.objects.exists()


@pytest.mark.django_db
def test_metrics_are_listed_to_every_agent(api: Any) -> None:
    metrics = {m["key"]: m for m in api.get("/api/v1/analytics/metrics").json()}
    assert metrics["csat"]["unit"] == "percent"
    assert metrics["bot_share"]["scope_fields"] == ["channel"]


@pytest.mark.django_db
def test_rule_create_read_update_delete(as_lead: Any) -> None:
    created = as_lead.post(
        "/api/v1/analytics/alert-rules",
        {**RULE, "webhook_url": "https://hooks.example/a", "webhook_secret": "s3"},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["touchpoint"] == "after_sale"
    assert body["has_webhook_secret"] is True
    assert "webhook_secret" not in body
    rule_id = body["id"]
    changed = send(as_lead, "patch", f"/api/v1/analytics/alert-rules/{rule_id}", {"threshold": 12})
    assert changed.status_code == 200
    assert changed.json()["threshold"] == 12
    listed = as_lead.get("/api/v1/analytics/alert-rules").json()
    assert rule_id in [item["id"] for item in listed["items"]]
    deleted = send(as_lead, "delete", f"/api/v1/analytics/alert-rules/{rule_id}")
    assert deleted.status_code == 204
    assert not AlertRule.objects.filter(pk=rule_id).exists()
    assert as_lead.get(f"/api/v1/analytics/alert-rules/{rule_id}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"metric": "happiness"}, 400, "invalid_input", "metric"),
        ({"clear_threshold": 11}, 400, "invalid_input", "clear_threshold"),
        ({"category": "no-such"}, 400, "invalid_input", "category"),
        ({"team_id": 999999}, 400, "invalid_input", "team_id"),
        ({"calendar": "mars"}, 400, "invalid_input", "calendar"),
        ({"notify_emails": ["nope"]}, 400, "invalid_input", "notify_emails"),
        ({"metric": "bot_share"}, 400, "invalid_input", "touchpoint"),
    ],
)
def test_invalid_rules_are_4xx_with_a_code_and_nothing_written(
    as_lead: Any, changes: dict, status: int, code: str, field: str
) -> None:
    before = AlertRule.objects.count()
    response = as_lead.post("/api/v1/analytics/alert-rules", {**RULE, **changes})
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["details"]["field"] == field
    assert AlertRule.objects.count() == before


@pytest.mark.django_db
def test_schema_errors_and_duplicates(as_lead: Any) -> None:
    bad = as_lead.post("/api/v1/analytics/alert-rules", {**RULE, "comparison": "sideways"})
    assert bad.status_code in (400, 422)
    assert "code" in bad.json()
    assert as_lead.post("/api/v1/analytics/alert-rules", RULE).status_code == 201
    again = as_lead.post("/api/v1/analytics/alert-rules", RULE)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_name"


@pytest.mark.django_db
def test_alerts_and_corrective_action_flow(as_lead: Any, lead: Any) -> None:
    watched = rule(touchpoint="after_sale")
    for _ in range(10):
        ticket(created=at(1), kind="complaint", touchpoint="after_sale")
    alert = alert_rule_evaluate(rule=watched, now=at(2)).alert
    listed = as_lead.get("/api/v1/analytics/alerts", status="firing").json()
    assert [item["id"] for item in listed["items"]] == [alert.pk]
    detail = as_lead.get(f"/api/v1/analytics/alerts/{alert.pk}").json()
    assert detail["fired_value"] == 100.0
    assert [e["outcome"] for e in detail["evaluations"]] == ["fired"]
    action_id = detail["corrective_action_id"]
    url = f"/api/v1/analytics/corrective-actions/{action_id}"
    early = as_lead.post(f"{url}/transition", {"to": "measures_set"})
    assert early.status_code == 400
    assert early.json()["details"]["field"] == "root_cause"
    wrong = as_lead.post(f"{url}/transition", {"to": "effective"})
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "invalid_transition"
    patched = send(
        as_lead,
        "patch",
        url,
        {"root_cause": "process_gap", "measures": "Daily courier check", "analysis": "Late"},
    )
    assert patched.status_code == 200
    moved = as_lead.post(f"{url}/transition", {"to": "measures_set", "note": "agreed"})
    assert moved.status_code == 200
    assert moved.json()["status"] == "measures_set"
    assert moved.json()["history"][-1]["by"] == lead.pk
    assert CorrectiveAction.objects.get(pk=action_id).measures == "Daily courier check"


@pytest.mark.django_db
def test_actions_listed_overdue_first_and_created_by_hand(as_lead: Any) -> None:
    with clock.frozen_at(at(0)):
        late = as_lead.post("/api/v1/analytics/corrective-actions", {"title": "Old"}).json()
    fresh = as_lead.post(
        "/api/v1/analytics/corrective-actions",
        {"title": "New", "metric": "csat", "channel": "chat"},
    ).json()
    assert fresh["scope"] == {"channel": "chat"}
    listed = as_lead.get("/api/v1/analytics/corrective-actions").json()["items"]
    assert [item["id"] for item in listed] == [late["id"], fresh["id"]]
    assert listed[0]["is_overdue"] is True
    overdue = as_lead.get("/api/v1/analytics/corrective-actions", is_overdue="true").json()
    assert overdue["count"] == 1
    refused = as_lead.post(
        "/api/v1/analytics/corrective-actions", {"title": "X", "metric": "bot_share", "team_id": 1}
    )
    assert refused.status_code == 400


@pytest.mark.django_db
def test_measure_endpoint(as_lead: Any) -> None:
    ticket(created=at(1), kind="complaint")
    ticket(created=at(1))
    response = as_lead.get(
        "/api/v1/analytics/measure",
        metric="complaint_rate",
        start=at(0).isoformat(),
        end=at(24).isoformat(),
    )
    assert response.status_code == 200
    assert (response.json()["value"], response.json()["sample"]) == (50.0, 2)
    backwards = as_lead.get(
        "/api/v1/analytics/measure",
        metric="complaint_rate",
        start=at(24).isoformat(),
        end=at(0).isoformat(),
    )
    assert backwards.status_code == 400
