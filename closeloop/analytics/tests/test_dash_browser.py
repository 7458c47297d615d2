"""The dashboards in a real Chromium: a lead goes from the header's Analytics link to the
overview, changes the period, reaches a figure by keyboard and follows it to the tickets
behind it; every dashboard fits 1280 px and a phone. Screenshots of each dashboard on a
realistic operation (``dash_seed``) go to docs/screenshots/dashboard-*.png when
CLOSELOOP_SCREENSHOTS=1."""

from __future__ import annotations

import os
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
DASHBOARDS = (
    ("journey", "/agent/analytics/journey/"),
    ("teams", "/agent/analytics/teams/"),
    ("sla", "/agent/analytics/sla/"),
    ("surveys", "/agent/analytics/surveys/"),
    ("classification", "/agent/analytics/classification/"),
)


def _screenshot(page: Any, name: str) -> None:
    if os.environ.get("CLOSELOOP_SCREENSHOTS") == "1":
        from PIL import Image  # reportlab's dependency; only needed for screenshots

        portal_browser.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = portal_browser.SCREENSHOTS / f"dashboard-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        # 256 colours keep the text sharp and the file small enough for the repository
        with Image.open(path) as image:
            quantized = image.convert("RGB").quantize(colors=256)
        quantized.save(path, optimize=True)


def test_lead_reads_the_dashboards_and_drills_down(contexts, server):  # noqa: ANN001, ANN201
    from closeloop.analytics.tests.dash_seed import seed_operation
    from closeloop.core import clock

    seeded = seed_operation(clock.now())
    page = workspace_browser._signed_in(contexts, server, seeded.lead.user).new_page()
    page.goto(f"http://{server}/agent/")
    page.get_by_role("link", name="Analytics", exact=True).first.click()
    page.locator("ul.tiles").wait_for()
    assert page.locator("ul.tiles > li").count() == 16
    assert page.locator("[aria-current='page']", has_text="Overview").count() == 1
    assert "Compared with the baseline period" in page.locator("main").inner_text()
    assert page.locator("svg.chart[role='img']").count() >= 16
    assert not workspace_browser.overflows(page)
    _screenshot(page, "overview")

    # the last 7 days: the preset is pressed and the note names seven days
    page.get_by_role("button", name="7 days").click()
    page.wait_for_url("**period=7**")
    assert page.get_by_role("button", name="7 days").get_attribute("aria-pressed") == "true"
    volume = page.locator("li[data-metric='volume'] a.value")
    figure = volume.inner_text()
    assert figure not in ("", "–")

    # keyboard: Tab reaches the volume figure, Enter follows it to the tickets behind it
    for _press in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('li[data-metric=\"volume\"]') !== null"):
            break
    else:
        pytest.fail("the volume figure is not reachable by keyboard")
    page.keyboard.press("Enter")
    page.locator("#tickets").wait_for()
    assert page.locator("h1").inner_text() == "Tickets behind: Volume"
    count = int(page.locator("#ticket-count").inner_text().split()[0].replace(",", ""))
    assert count == int(figure.replace(",", ""))
    first_ticket = page.locator("#tickets tbody a").first
    number = first_ticket.inner_text().lstrip("#")
    first_ticket.click()
    page.wait_for_url(f"**/agent/tickets/{number}/")

    for name, path in DASHBOARDS:
        page.goto(f"http://{server}{path}")
        page.locator("main h1").wait_for()
        assert page.locator("[aria-current='page']").count() >= 1
        assert not workspace_browser.overflows(page), path
        _screenshot(page, name)
    assert page.locator("#by-category tbody tr").count() >= 1

    phone = workspace_browser._signed_in(
        contexts, server, seeded.lead.user, viewport=PHONE
    ).new_page()
    for _name, path in (("overview", "/agent/analytics/"), *DASHBOARDS):
        phone.goto(f"http://{server}{path}")
        assert not workspace_browser.overflows(phone), path
