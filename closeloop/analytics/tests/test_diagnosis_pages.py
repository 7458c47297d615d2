"""The diagnosis page and API: who may open them, what they show, the effort form and the
errors (4xx with a stable code, nothing written)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client

from closeloop.analytics.models_diagnosis import ImprovementEffort
from closeloop.analytics.tests.factories import at, ticket
from closeloop.analytics.tests.pages import assert_for_leads_only, signed_in
from closeloop.core import clock
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory

PAGE = "/agent/analytics/diagnosis/"
API = "/api/v1/analytics/diagnosis"
NOW = at(days=10)


@pytest.fixture
def frozen() -> Iterator[None]:
    with clock.frozen_at(NOW):
        yield


@pytest.mark.django_db
def test_leads_and_admins_open_the_page_agents_do_not() -> None:
    assert_for_leads_only(PAGE)


@pytest.mark.django_db
def test_the_page_shows_scores_problems_and_priorities(lead_client: Client, frozen: None) -> None:
    late = ticket(created=NOW - timedelta(hours=30), kind="complaint", status="new")
    page = lead_client.get(PAGE, {"from": "2026-03-10", "to": "2026-03-12"})
    assert page.status_code == 200
    html = page.content.decode()
    for heading in ("Maturity", "Problems by urgency", "Improvement priorities"):
        assert heading in html
    assert 'data-dimension="response"' in html
    assert 'data-indicator="csat"' in html
    assert 'role="img"' in html  # the chart, with the table beside it
    assert 'data-rule="complaint_unanswered"' in html
    assert f'href="/agent/tickets/{late.number}/"' in html
    assert 'data-measure="complaint_queue"' in html
    # The period covers the complaint's opening day: its complaint rate is 100 % (below goal).
    assert "below goal" in html
    assert "/agent/analytics/tickets/?metric=complaint_rate&amp;from=2026-03-10" in html


@pytest.mark.django_db
def test_the_page_in_chinese(lead_client: Client, frozen: None) -> None:
    html = lead_client.get(PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh' in html


@pytest.mark.django_db
def test_a_wrong_period_is_a_400_naming_the_field(lead_client: Client) -> None:
    page = lead_client.get(PAGE, {"from": "2026-03-12", "to": "2026-03-10"})
    assert page.status_code == 400
    assert 'id="period-to"' in page.content.decode()
    assert 'aria-invalid="true" aria-describedby="period-error"' in page.content.decode()


@pytest.mark.django_db
def test_a_lead_changes_an_effort_and_a_bad_one_comes_back_beside_its_field(
    lead_client: Client, frozen: None
) -> None:
    done = lead_client.post(PAGE + "?period=7", {"measure": "staffing", "effort": "1"})
    assert done.status_code == 302
    assert done["Location"] == PAGE + "?period=7#efforts"
    assert ImprovementEffort.objects.get().effort == 1
    refused = lead_client.post(PAGE, {"measure": "staffing", "effort": "9"})
    assert refused.status_code == 400
    assert 'id="id_effort-error"' in refused.content.decode()
    assert ImprovementEffort.objects.get().effort == 1
    assert (
        signed_in(AgentFactory().user)
        .post(PAGE, {"measure": "staffing", "effort": "2"})
        .status_code
        == 403
    )
    assert ImprovementEffort.objects.get().effort == 1


# --- API ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_returns_the_same_diagnosis(lead_client: Client, frozen: None) -> None:
    late = ticket(created=NOW - timedelta(hours=30), kind="complaint", status="new")
    body = lead_client.get(API, {"from": "2026-03-10", "to": "2026-03-12"}).json()
    assert body["start"].startswith("2026-03-10T00:00:00")
    assert body["end"].startswith("2026-03-13T00:00:00")
    assert body["volume"] == 1
    assert [d["dimension"] for d in body["dimensions"]] == [
        "response",
        "resolution",
        "satisfaction",
    ]
    satisfaction = body["dimensions"][2]
    complaint = next(e for e in satisfaction["evidence"] if e["key"] == "complaint_rate")
    # 1 complaint of 1 ticket = 100 %, beyond the floor of 20 % → 0.
    assert (complaint["value"], complaint["sub_score"], complaint["meets_goal"]) == (
        100.0,
        0.0,
        False,
    )
    assert satisfaction["measured"] == 1  # no survey answers, no feedback tickets
    [problem] = body["problems"]
    assert problem["rule"] == "complaint_unanswered"
    assert problem["urgency"] == "high"
    assert problem["tickets"] == [late.number]
    assert {"label": "Tickets", "value": "1"} in problem["evidence"]
    reasons = {row["measure"]: row["reason"] for row in body["improvements"]}
    assert reasons["complaint_prevention"] == "Complaint rate: 100.0 % (goal 5.0 %)"
    measures = [row["measure"] for row in body["improvements"]]
    assert "complaint_queue" in measures
    assert "complaint_prevention" in measures


@pytest.mark.django_db
def test_the_api_defaults_to_the_last_30_days(lead_client: Client, frozen: None) -> None:
    body = lead_client.get(API).json()
    assert body["start"].startswith("2026-02-11T00:00:00")
    assert body["end"].startswith("2026-03-13T00:00:00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"from": "2026-03-12", "to": "2026-03-10"}, 400, "invalid_input", "to"),
        ({"from": "2026-03-12"}, 400, "invalid_input", "to"),
        ({"from": "2024-01-01", "to": "2026-03-10"}, 400, "invalid_input", "from"),
        ({"from": "yesterday", "to": "2026-03-10"}, 422, "validation_error", None),
    ],
)
def test_api_errors_are_4xx_with_a_code(
    lead_client: Client, params: dict[str, str], status: int, code: str, field: str | None
) -> None:
    response = lead_client.get(API, params)
    assert response.status_code == status
    assert response.json()["code"] == code
    if field:
        assert response.json()["details"] == {"field": field}


@pytest.mark.django_db
def test_api_permissions() -> None:
    assert Client().get(API).status_code == 401
    agent = signed_in(AgentFactory().user).get(API)
    assert (agent.status_code, agent.json()["code"]) == (403, "forbidden")
    assert signed_in(UserFactory(is_superuser=True)).get(API).status_code == 200
    refused = signed_in(AgentFactory().user).put(
        f"{API}/efforts/staffing", {"effort": 2}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert not ImprovementEffort.objects.exists()


@pytest.mark.django_db
def test_api_efforts(lead_client: Client) -> None:
    listed = lead_client.get(f"{API}/efforts").json()
    staffing = next(row for row in listed if row["measure"] == "staffing")
    assert (staffing["effort"], staffing["default"], staffing["is_changed"]) == (3, 3, False)
    changed = lead_client.put(
        f"{API}/efforts/staffing", {"effort": 1}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert (changed.json()["effort"], changed.json()["is_changed"]) == (1, True)
    bad = lead_client.put(f"{API}/efforts/staffing", {"effort": 0}, content_type="application/json")
    assert (bad.status_code, bad.json()["code"], bad.json()["details"]) == (
        400,
        "invalid_input",
        {"field": "effort"},
    )
    unknown = lead_client.put(
        f"{API}/efforts/magic", {"effort": 2}, content_type="application/json"
    )
    assert (unknown.status_code, unknown.json()["details"]) == (400, {"field": "measure"})
    assert list(ImprovementEffort.objects.values_list("measure", "effort")) == [("staffing", 1)]


@pytest.mark.django_db
def test_a_late_team_links_to_the_tickets_behind_its_figure(
    lead_client: Client, frozen: None
) -> None:
    from closeloop.analytics.tests.test_diagnosis_rules import _team_clocks

    slow = TeamFactory(name="Slow")
    _team_clocks(slow, met=18, late=2)
    html = lead_client.get(PAGE, {"from": "2026-03-02", "to": "2026-03-05"}).content.decode()
    assert 'data-rule="team_on_time_below_goal"' in html
    assert "Team Slow answers late" in html
    assert (
        f"/agent/analytics/tickets/?metric=response_on_time_rate&amp;team={slow.pk}"
        "&amp;from=2026-03-02&amp;to=2026-03-05"
    ) in html
    assert "Staff team Slow at peak hours" in html
