"""The problem and monthly review pages: who may open them, recording a problem, the root
cause form, linking tickets (a refusal beside its field, nothing written), transitions, the
detection button, the monthly page and its downloads."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.analytics.models import CorrectiveAction
from closeloop.analytics.models_problems import Problem, ProblemStatus, ProblemTicket
from closeloop.analytics.problems import problem_create
from closeloop.analytics.tests.factories import at, ticket
from closeloop.analytics.tests.pages import assert_for_leads_only, signed_in
from closeloop.core import clock
from closeloop.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def pages() -> list[str]:
    problem = problem_create(actor=None, title="Login loops")
    return [
        "/agent/analytics/review/problems/",
        f"/agent/analytics/review/problems/{problem.pk}/",
        "/agent/analytics/review/monthly/?month=2026-03",
        "/agent/analytics/review/monthly/pdf/?month=2026-03",
        "/agent/analytics/review/monthly/csv/?month=2026-03",
    ]


def test_leads_and_admins_open_the_pages_agents_do_not() -> None:
    for path in pages():
        assert_for_leads_only(path)
    # Writes too.
    agent = signed_in(AgentFactory().user)
    assert agent.post("/agent/analytics/review/problems/new/", {"title": "x"}).status_code == 403
    assert agent.post("/agent/analytics/review/problems/detect/").status_code == 403
    assert Problem.objects.count() == 1


def test_record_a_problem_and_work_it(lead_client: Client) -> None:
    refused = lead_client.post("/agent/analytics/review/problems/new/", {"title": ""})
    assert refused.status_code == 400
    assert not Problem.objects.exists()
    created = lead_client.post(
        "/agent/analytics/review/problems/new/", {"title": "Refunds late", "root_cause": ""}
    )
    problem = Problem.objects.get()
    assert created["Location"] == f"/agent/analytics/review/problems/{problem.pk}/"
    base = created["Location"]
    a, b = ticket(created=at(1), subject="Where is my refund"), ticket(created=at(2))
    # An unknown number: the error beside the field, nothing linked.
    bad = lead_client.post(base + "link/", {"numbers": f"{a.number}, 999999"})
    assert bad.status_code == 400
    assert "999999" in bad.content.decode()
    assert 'id="id_numbers-error"' in bad.content.decode()
    assert not ProblemTicket.objects.exists()
    assert (
        lead_client.post(base + "link/", {"numbers": f"#{a.number} {b.number}"}).status_code == 302
    )
    page = lead_client.get(base).content.decode()
    assert "Where is my refund" in page
    assert f"/agent/tickets/{a.number}/" in page
    # Resolving without a root cause is refused on the page.
    refused = lead_client.post(base + "transition/", {"to": "resolved"})
    assert refused.status_code == 400
    assert "root cause" in refused.content.decode()
    saved = lead_client.post(
        base,
        {"title": "Refunds late", "root_cause": "process_gap", "root_cause_notes": "No owner"},
    )
    assert saved.status_code == 302
    assert lead_client.post(base + "actions/", {"action_title": "Name an owner"}).status_code == 302
    assert CorrectiveAction.objects.get().subject_id == problem.pk
    assert lead_client.post(base + "transition/", {"to": "resolved"}).status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.root_cause) == (ProblemStatus.RESOLVED, "process_gap")
    assert lead_client.post(base + f"unlink/{b.number}/").status_code == 302
    assert list(problem.tickets.values_list("number", flat=True)) == [a.number]


def test_list_filters(lead_client: Client) -> None:
    problem_create(actor=None, title="Proposed one", status="proposed")
    problem_create(actor=None, title="Open one")
    page = lead_client.get("/agent/analytics/review/problems/?status=proposed").content.decode()
    assert "Proposed one" in page
    assert "Open one" not in page
    assert lead_client.get("/agent/analytics/review/problems/?status=nonsense").status_code == 400


def test_the_detect_button(lead_client: Client) -> None:
    response = lead_client.post("/agent/analytics/review/problems/detect/")
    assert response.status_code == 302
    assert response["Location"].endswith("?status=proposed")
    follow = lead_client.get(response["Location"]).content.decode()
    assert "No new candidate problems." in follow


def test_the_monthly_page(lead_client: Client) -> None:
    page = lead_client.get("/agent/analytics/review/monthly/?month=2026-03")
    text = page.content.decode()
    for title in ("Pareto of categories", "Repeat rate by category", "Monthly review 2026-03"):
        assert title in text
    bad = lead_client.get("/agent/analytics/review/monthly/?month=2026-13")
    assert bad.status_code == 400
    assert "YYYY-MM" in bad.content.decode()
    csv = lead_client.get("/agent/analytics/review/monthly/csv/?month=2026-03")
    assert csv["Content-Disposition"] == 'attachment; filename="monthly-review-2026-03.csv"'
    assert lead_client.get("/agent/analytics/review/monthly/xls/?month=2026-03").status_code == 404


def test_the_monthly_page_defaults_to_last_month(lead_client: Client) -> None:
    from datetime import UTC, datetime

    with clock.frozen_at(datetime(2026, 1, 15, 12, tzinfo=UTC)):
        text = lead_client.get("/agent/analytics/review/monthly/").content.decode()
    assert "Monthly review 2025-12" in text


def test_the_monthly_page_in_chinese(lead_client: Client) -> None:
    from django.utils import translation

    with translation.override("en"):  # the request activates Chinese; not for later tests
        response = lead_client.get(
            "/agent/analytics/review/monthly/?month=2026-03",
            headers={"accept-language": "zh-hans"},
        )
    assert response.status_code == 200
    assert 'lang="zh' in response.content.decode()
