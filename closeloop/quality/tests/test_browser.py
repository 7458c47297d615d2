"""Submitting a review in a real Chromium (Playwright) against uvicorn, at 1280 px: the
reviewer reads the conversation and its checks, a missing score is reported beside its field,
then the review goes in and the result shows. Screenshots go to
docs/screenshots/workspace-quality-*.png when CLOSELOOP_SCREENSHOTS=1."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.channels.tests import test_chat_server as chat_server
from closeloop.core.models import Organization
from closeloop.portal.tests import test_browser as portal_browser
from closeloop.workspace.tests import test_browser as workspace_browser

pytestmark = [pytest.mark.slow, chat_server.LIVE_DB]

server = chat_server.server
live_db = chat_server.live_db
browser = portal_browser.browser
contexts = workspace_browser.contexts


@pytest.fixture(autouse=True)
def _organization() -> None:
    Organization.current()  # a transactional test starts from empty tables


def test_a_reviewer_submits_a_review(contexts: Any, server: str) -> None:
    from closeloop.people.access import requester_for
    from closeloop.people.models import TeamRole
    from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
    from closeloop.quality.engine import checks_run
    from closeloop.quality.models import Review
    from closeloop.quality.services import review_request
    from closeloop.quality.tests.factories import conversation

    team = TeamFactory()
    lead = AgentFactory(user=UserFactory(username="lena"), display_name="Lena")
    member(lead, team, role=TeamRole.LEAD)
    agent = AgentFactory(user=UserFactory(username="ann"), display_name="Ann")
    reviewer = AgentFactory(user=UserFactory(username="rex"), display_name="Rex")
    ticket = conversation(
        agent,
        [
            ("customer", "My blender is broken, this is terrible.", 0),
            ("agent", "Calm down, it is not my problem.", 5),
        ],
        kind="complaint",
    )
    checks_run(ticket_ids=[ticket.pk])
    review = review_request(ticket=ticket, reviewer=reviewer, actor=requester_for(lead.user))

    page = workspace_browser._signed_in(contexts, server, reviewer.user).new_page()
    page.goto(f"http://{server}/agent/quality/")
    page.get_by_role("link", name=f"#{ticket.number}").click()
    page.wait_for_url(f"http://{server}/agent/quality/reviews/{review.pk}/")
    assert page.locator("#review-thread").inner_text().count("Calm down") == 1
    failed = " ".join(page.locator("#review-checks .check-failed").all_inner_texts())
    assert "No forbidden phrases" in failed
    assert "calm down" in failed

    for label, points in (
        ("Greeting", "0"),
        ("Accuracy", "2"),
        ("Empathy", "0"),
        ("Resolution", "2"),
        ("Closing", "0"),
    ):
        page.get_by_label(label, exact=True).select_option(points)
    workspace_browser._screenshot(page, "quality-review")
    page.get_by_role("button", name="Submit review").click()
    error = page.locator("#id_points_compliance-error")
    error.wait_for()
    assert page.get_by_label("Compliance", exact=True).get_attribute("aria-invalid") == "true"
    assert Review.objects.get().status == "pending"

    page.get_by_label("Compliance", exact=True).select_option("0")
    page.get_by_label("Overall notes").fill("Forbidden phrase used.")
    page.get_by_role("button", name="Submit review").click()
    page.locator("#review-result").wait_for()

    workspace_browser._screenshot(page, "quality-result")
    assert "Critical criterion failed" in page.locator("#review-result").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    review.refresh_from_db()
    assert (review.status, review.passed, str(review.score)) == ("submitted", False, "25.00")
