"""The inbox in a real Chromium: the SLA countdown ticks, the keyboard shortcuts, a bulk
action through htmx with a per-ticket refusal, the availability switch, and the card layout
on a tablet. Screenshots (inbox on a tablet, team wall) when CLOSELOOP_SCREENSHOTS=1."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from closeloop.channels.tests import test_chat_server as chat_server
from closeloop.core import clock
from closeloop.portal.tests import test_browser as portal_browser
from closeloop.workspace.tests import test_browser as workspace_browser

pytestmark = [pytest.mark.slow, chat_server.LIVE_DB]

server = chat_server.server
live_db = chat_server.live_db
browser = portal_browser.browser
contexts = workspace_browser.contexts
_organization = workspace_browser._organization
TABLET = {"width": 820, "height": 1180}


def _tickets(count: int) -> list[Any]:
    from closeloop.tickets.models import Ticket
    from closeloop.tickets.tests.factories import make_ticket

    tickets = [make_ticket(subject=f"Parcel {number} is late") for number in range(count)]
    due = clock.now() + timedelta(minutes=30)
    Ticket.objects.filter(pk=tickets[0].pk).update(sla_due_at=due, sla_warning_at=None)
    return tickets


def test_countdown_ticks_and_shortcuts_work(contexts, server):
    agent = workspace_browser._agent("mei", "Mei")
    _tickets(3)
    page = workspace_browser._signed_in(contexts, server, agent.user).new_page()
    page.goto(f"http://{server}/agent/inbox/unassigned/")

    badge = page.locator(".sla[data-due]").first
    first = badge.inner_text()
    page.wait_for_function(
        "(before) => document.querySelector('.sla[data-due]').textContent !== before", arg=first
    )
    assert badge.get_attribute("data-state") == "ok"

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator(".ticket-row.is-current").count() == 1
    assert page.locator(".ticket-row.is-current input[type=checkbox]").is_checked()
    page.keyboard.press("?")
    assert page.locator("dialog#shortcuts").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"


def test_bulk_close_reports_the_refusal_in_place(contexts, server):
    from closeloop.tickets.models import Status, Ticket

    agent = workspace_browser._agent("li", "Li")
    tickets = _tickets(2)
    page = workspace_browser._signed_in(contexts, server, agent.user).new_page()
    page.goto(f"http://{server}/agent/inbox/unassigned/")

    for ticket in tickets:
        page.check(f"input[name=tickets][value='{ticket.pk}']")
    page.select_option("#id_action", "close")
    page.click("text=Apply to selected")

    page.locator(".bulk-outcome").wait_for()
    assert "2 refused" in page.locator(".bulk-outcome").inner_text()
    assert set(Ticket.objects.values_list("status", flat=True)) == {Status.NEW}
    assert page.url.endswith("/agent/inbox/unassigned/")  # no page load


def test_availability_switch_and_tablet_cards(contexts, server):
    from closeloop.people.models import Agent, Availability

    agent = workspace_browser._agent("wen", "Wen")
    _tickets(2)
    page = workspace_browser._signed_in(contexts, server, agent.user, viewport=TABLET).new_page()
    page.goto(f"http://{server}/agent/inbox/unassigned/")

    page.select_option("#ws-availability", "away")
    page.wait_for_function(
        "document.querySelector('#availability-form').classList.contains('availability-away')"
    )
    assert Agent.objects.get(pk=agent.pk).availability == Availability.AWAY
    display = page.evaluate(
        "getComputedStyle(document.querySelector('.inbox-table tr.ticket-row')).display"
    )
    assert display == "block"  # the table became cards
    workspace_browser._screenshot(page, "inbox-tablet")


def test_the_wall_counts_a_new_ticket_live(contexts, server):
    from closeloop.core.tokens import api_token_create
    from closeloop.people.models import TeamRole
    from closeloop.people.tests.factories import TeamFactory
    from closeloop.tickets.tests.factories import make_ticket

    team = TeamFactory(name="After-sales")
    lead = workspace_browser._agent("zhao", "Zhao", team=team, role=TeamRole.LEAD)
    make_ticket(team=team, subject="Blender arrived broken")
    page = workspace_browser._signed_in(contexts, server, lead.user).new_page()
    page.goto(f"http://{server}/agent/wall/")
    workspace_browser._live(page)
    new_tile = page.locator(".tile[data-status='new'] .tile-figure")
    assert new_tile.inner_text() == "1"

    _token, token = api_token_create(user=lead.user)
    # Through the API: the server pushes the change to the wall's socket (well before the
    # 15-second poll: the wait below is shorter).
    workspace_browser._api_ticket(server, token, "Washer leaks", team=team.code)

    page.wait_for_function(
        "document.querySelector(\".tile[data-status='new'] .tile-figure\").textContent === '2'",
        timeout=10_000,
    )
    workspace_browser._screenshot(page, "wall")
    page.goto(f"http://{server}/agent/team/")
    assert page.locator("tr.queue[data-team] .open-total").first.inner_text() == "2"
    workspace_browser._screenshot(page, "team")
