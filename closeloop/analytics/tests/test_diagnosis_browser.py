"""The diagnosis page in a real Chromium: a lead reads the scores, follows a high-urgency
problem to its ticket, and lowers the effort of a measure so it becomes a quick win; the page is
no wider than a 1280 px screen or a phone. Screenshots (docs/screenshots/workspace-diagnosis*.png)
when CLOSELOOP_SCREENSHOTS=1."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from closeloop.channels.tests import test_chat_server as chat_server
from closeloop.portal.tests import test_browser as portal_browser
from closeloop.workspace.tests import test_browser as workspace_browser

pytestmark = [pytest.mark.slow, chat_server.LIVE_DB]

server = chat_server.server
live_db = chat_server.live_db
browser = portal_browser.browser
contexts = workspace_browser.contexts
_organization = workspace_browser._organization
PHONE = workspace_browser.PHONE
DESKTOP = workspace_browser.DESKTOP


def _fixture() -> Any:
    """A month of an operation with gaps: late complaints, a CSAT of 60 %, slow chats."""
    from closeloop.analytics.tests.factories import response, survey, ticket
    from closeloop.core import clock

    now = clock.now()
    late = [
        ticket(created=now - timedelta(hours=30 + n), kind="complaint", status="assigned")
        for n in range(3)
    ]
    for n in range(20):
        created = now - timedelta(days=3, hours=n)
        ticket(
            created=created,
            channel="chat",
            first_responded_at=created + timedelta(minutes=4 if n % 2 else 25),
        )
    csat = survey("csat")
    for score in (5, 5, 4, 2, 1):
        response(csat, score, answered=now - timedelta(days=1))
    return late


def test_lead_reads_the_diagnosis_and_makes_a_quick_win(contexts, server):  # noqa: ANN001, ANN201
    from closeloop.analytics.models_diagnosis import ImprovementEffort
    from closeloop.people.tests.factories import TeamFactory

    lead = workspace_browser._agent("lena", "Lena", team=TeamFactory(), role="lead")
    late = _fixture()
    page = workspace_browser._signed_in(contexts, server, lead.user, viewport=DESKTOP).new_page()
    page.goto(f"http://{server}/agent/analytics/alerts/")
    page.get_by_role("link", name="Diagnosis", exact=True).click()
    page.locator("#maturity").wait_for()
    assert page.locator("h1").inner_text() == "Service health diagnosis"
    satisfaction = page.locator("#maturity tr[data-dimension='satisfaction']")
    # CSAT 3 of 5 = 60 % → (60 − 50) ÷ 40 = 25; complaint rate 3 of 23 = 13.0 % →
    # (13.04 − 20) ÷ (5 − 20) = 46.4; (3 × 25 + 2 × 46.4) ÷ 5 = 33.6 → initial.
    assert satisfaction.locator("td").first.inner_text() == "33.6"
    assert "Initial" in satisfaction.inner_text()
    assert not workspace_browser.overflows(page)
    workspace_browser._screenshot(page, "diagnosis")
    first_problem = page.locator("#problems tbody tr").first
    assert first_problem.get_attribute("data-rule") == "complaint_unanswered"
    # Chats: 10 of 20 within 10 minutes → a staffing measure of effort 3, a major project.
    chat_row = page.locator("#improvements tr[data-measure='chat_staffing']")
    assert "Major project" in chat_row.inner_text()
    page.select_option("#id_measure", "chat_staffing")
    page.fill("#id_effort", "2")
    page.get_by_role("button", name="Save effort").click()
    page.locator("#improvements").wait_for()
    assert ImprovementEffort.objects.get(measure="chat_staffing").effort == 2
    assert (
        "Quick win" in page.locator("#improvements tr[data-measure='chat_staffing']").inner_text()
    )
    # Answering the three complaints is the quickest win: impact 5 (3 of 23 tickets, the
    # whole gap), effort 1.
    assert (
        page.locator("#improvements tbody tr").first.get_attribute("data-measure")
        == "complaint_queue"
    )
    workspace_browser._screenshot(page, "diagnosis-priorities")
    page.locator("#problems tbody tr").first.get_by_role("link", name=f"#{late[-1].number}").click()
    page.wait_for_url(f"**/agent/tickets/{late[-1].number}/")
    phone = workspace_browser._signed_in(contexts, server, lead.user, viewport=PHONE).new_page()
    phone.goto(f"http://{server}/agent/analytics/diagnosis/")
    phone.locator("#maturity").wait_for()
    assert not workspace_browser.overflows(phone)
