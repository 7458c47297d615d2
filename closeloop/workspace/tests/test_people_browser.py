"""The people pages in a real Chromium: a lead sets a skill level by keyboard alone on the
team page at 1280 px, and an agent ticks a checklist step on a phone. Screenshots
(docs/screenshots/workspace-people-*.png) when CLOSELOOP_SCREENSHOTS=1."""

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


def test_lead_sets_a_level_by_keyboard_at_1280(contexts, server):
    from closeloop.people.models import AgentSkill
    from closeloop.people.tests.factories import SkillFactory, TeamFactory

    team = TeamFactory(name="After-sales")
    lead = workspace_browser._agent("lena", "Lena", team=team, role="lead")
    ann = workspace_browser._agent("ann", "Ann", team=team)
    skill = SkillFactory(code="t-refunds", name_en="Refund rules", name_zh="退款规则")
    AgentSkill.objects.create(agent=lead, skill=skill, level=4)
    page = workspace_browser._signed_in(contexts, server, lead.user).new_page()
    page.goto(f"http://{server}/agent/people/team/")
    assert page.locator("#matrix").is_visible()
    assert not workspace_browser.overflows(page)
    workspace_browser._screenshot(page, "people-team")

    page.focus("#id_skill-agent")
    page.keyboard.type("Ann")  # a select jumps to the typed option
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_skill-skill"
    page.keyboard.type("Refund r")
    page.keyboard.press("Tab")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Set level"
    page.keyboard.press("Enter")
    page.locator(".alert-ok[role=status]").wait_for()
    assert "Ann is now at level 3 in Refund rules." in page.locator(".alert-ok").inner_text()
    assert AgentSkill.objects.get(agent=ann, skill=skill).level == 3
    cell = page.locator(f"#matrix tr[data-agent='{ann.pk}'] td[data-skill='t-refunds']")
    assert cell.inner_text() == "3"
    # On a phone the matrix scrolls inside its box and nothing else is wider than the screen.
    phone = workspace_browser._signed_in(contexts, server, lead.user, viewport=PHONE).new_page()
    phone.goto(f"http://{server}/agent/people/team/")
    assert phone.locator("#matrix").is_visible()
    assert not workspace_browser.overflows(phone)


def test_agent_ticks_a_checklist_step_on_a_phone(contexts, server):
    from closeloop.people.services_onboarding import agent_onboard
    from closeloop.people.tests.factories import OnboardingItemFactory

    agent = workspace_browser._agent("mei", "Mei")
    OnboardingItemFactory(position=1, title_en="Set up accounts", title_zh="开通账号")
    OnboardingItemFactory(position=2, title_en="Shadow a senior agent", title_zh="跟岗")
    agent_onboard(agent=agent, actor=None)
    context = workspace_browser._signed_in(contexts, server, agent.user, viewport=PHONE)
    page = context.new_page()
    page.goto(f"http://{server}/agent/people/")
    assert not workspace_browser.overflows(page)
    button = page.get_by_role("button", name="Mark “Set up accounts” done")
    button.focus()
    page.keyboard.press("Enter")
    page.locator(".alert-ok[role=status]").wait_for()
    assert page.get_by_role("button", name="Mark “Set up accounts” not done").is_visible()
    assert "1 of 2 steps" in page.locator("#checklist-title + p").inner_text()
    assert agent.onboarding.filter(done_at__isnull=False).count() == 1
    workspace_browser._screenshot(page, "people-mine-phone")
