"""The alert pages in a real Chromium: a lead goes from the header's Alerts link to the firing
alert's corrective action, records the cause and the measures and sets them; on a phone the
pages are no wider than the screen. Screenshots (docs/screenshots/workspace-alerts*.png) when
CLOSELOOP_SCREENSHOTS=1."""

from __future__ import annotations

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


def test_lead_sets_the_measures_of_a_firing_alert(contexts, server):  # noqa: ANN001, ANN201
    from closeloop.analytics.models import CorrectiveAction
    from closeloop.analytics.services import alert_rule_evaluate
    from closeloop.analytics.tests.factories import at, rule, ticket
    from closeloop.people.tests.factories import TeamFactory

    lead = workspace_browser._agent("lena", "Lena", team=TeamFactory(), role="lead")
    watched = rule(name="After-sale complaints", touchpoint="after_sale")
    for _ in range(10):
        ticket(created=at(1), kind="complaint", touchpoint="after_sale")
    alert = alert_rule_evaluate(rule=watched, now=at(2)).alert
    page = workspace_browser._signed_in(contexts, server, lead.user).new_page()
    page.goto(f"http://{server}/agent/")
    page.get_by_role("link", name="Alerts", exact=True).first.click()
    page.locator("#firing").wait_for()
    workspace_browser._screenshot(page, "alerts")
    page.locator(f"#firing tr[data-alert='{alert.pk}'] td:last-child a").click()
    page.locator("#action-form").wait_for()
    page.select_option("#id_root_cause", "training_gap")
    page.fill("#id_analysis", "New agents do not know the returns policy.")
    page.fill("#id_measures", "Returns training for the after-sale team.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Measures are set").click()
    page.locator("#action-status").wait_for()
    assert page.locator("#action-status").inner_text() == "Measures set"
    workspace_browser._screenshot(page, "alerts-action")
    action = CorrectiveAction.objects.get(alert=alert)
    assert (action.status, action.root_cause) == ("measures_set", "training_gap")
    phone = workspace_browser._signed_in(contexts, server, lead.user, viewport=PHONE).new_page()
    for path in (
        "/agent/analytics/alerts/",
        f"/agent/analytics/alerts/{alert.pk}/",
        "/agent/analytics/alerts/rules/",
        "/agent/analytics/alerts/rules/new/",
        "/agent/analytics/alerts/actions/",
        f"/agent/analytics/alerts/actions/{action.pk}/",
    ):
        phone.goto(f"http://{server}{path}")
        assert not workspace_browser.overflows(phone), path
