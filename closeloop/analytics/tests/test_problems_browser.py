"""Problems and the monthly review in a real Chromium: a lead follows the Problems link, asks
for emerging problems, accepts the proposed cluster, records its root cause, links one more
ticket by number, then reads the month's review and downloads its PDF; the pages fit 1280 px
and a phone. Screenshots (docs/screenshots/workspace-problem*.png, workspace-monthly*.png)
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

CLUSTER = [
    ("Card payment declined at checkout", "My card payment was declined at checkout today"),
    ("Payment declined", "Checkout says my card payment is declined"),
    ("Checkout card declined again", "Card declined at checkout, payment failed"),
    ("Cannot pay: card declined", "The checkout page declined my card payment"),
    ("Declined card payment", "Payment with my card declined during checkout"),
    ("退款一直没有到账", "我申请的退款一直没有到账，已经一周了"),
]


def _seed() -> tuple[Any, str, int]:
    from django.utils import timezone

    from closeloop.analytics.tests.factories import category, ticket
    from closeloop.core import clock
    from closeloop.tickets.models import AuthorKind, Message

    now = clock.now()
    payments, delivery = category("payments"), category("delivery")
    for index, (subject, body) in enumerate(CLUSTER):
        row = ticket(
            created=now - timedelta(hours=1, minutes=index),
            subject=subject,
            category=payments,
        )
        Message.objects.create(
            ticket=row, author_kind=AuthorKind.CUSTOMER, body=body, created_at=row.created_at
        )
    for index in range(3):
        ticket(created=now - timedelta(hours=2, minutes=index), category=delivery, kind="complaint")
    extra = ticket(created=now - timedelta(hours=3), subject="Charged twice", category=payments)
    month = timezone.localdate(now - timedelta(hours=3)).strftime("%Y-%m")
    return payments, month, extra.number


def test_lead_works_a_proposed_problem_and_reads_the_review(contexts, server):  # noqa: ANN001, ANN201
    from closeloop.analytics.models_problems import Problem
    from closeloop.people.tests.factories import TeamFactory

    _payments, month, extra_number = _seed()
    lead = workspace_browser._agent("lena", "Lena", team=TeamFactory(), role="lead")
    page = workspace_browser._signed_in(contexts, server, lead.user, viewport=DESKTOP).new_page()
    page.goto(f"http://{server}/agent/analytics/alerts/")
    page.get_by_role("link", name="Problems", exact=True).click()
    page.locator("#problems").wait_for()
    page.get_by_role("button", name="Look for emerging problems now").click()
    page.locator("#problems tbody tr[data-problem]").first.wait_for()
    assert "new candidate problem" in page.locator(".messages").inner_text()
    workspace_browser._screenshot(page, "problems")
    assert not workspace_browser.overflows(page)
    # Two proposals: the cluster of declined payments and the spike in payments.
    assert page.locator("#problems tbody tr[data-problem]").count() == 2
    page.locator("#problems tbody tr[data-problem]", has_text="similar tickets").locator(
        "a"
    ).click()
    page.locator("#problem-facts").wait_for()
    assert page.locator("#problem-status").inner_text() == "Proposed"
    page.get_by_role("button", name="Accept (open)").click()
    page.locator("#problem-form").wait_for()
    assert page.locator("#problem-status").inner_text() == "Open"
    page.select_option("#id_root_cause", "external")
    page.fill("#id_root_cause_notes", "The card processor rejects cards from one bank.")
    page.get_by_role("button", name="Save").click()
    page.locator("#problem-root-cause").wait_for()
    assert page.locator("#problem-root-cause").inner_text() == "External"
    page.fill("#id_numbers", f"#{extra_number}")
    page.get_by_role("button", name="Link tickets").click()
    page.locator(f"#problem-tickets tr[data-ticket='{extra_number}']").wait_for()
    workspace_browser._screenshot(page, "problem")
    problem = Problem.objects.get(status="open")
    assert problem.root_cause == "external"
    assert problem.links.count() == 6

    page.get_by_role("link", name="Monthly review", exact=True).click()
    page.fill("#id_month", month)
    page.get_by_role("button", name="Show").click()
    page.locator("#pareto").wait_for()
    assert page.locator("#pareto tbody tr").first.locator("td").first.inner_text() == "payments"
    assert "80 %" in page.locator("svg[role='img'] title").first.text_content()
    assert problem.title in page.locator("#problems").inner_text()
    assert not workspace_browser.overflows(page)
    workspace_browser._screenshot(page, "monthly")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename == f"monthly-review-{month}.pdf"

    phone = workspace_browser._signed_in(contexts, server, lead.user, viewport=PHONE).new_page()
    for path in (
        "/agent/analytics/review/problems/",
        f"/agent/analytics/review/problems/{problem.pk}/",
        f"/agent/analytics/review/monthly/?month={month}",
    ):
        phone.goto(f"http://{server}{path}")
        assert not workspace_browser.overflows(phone), path
