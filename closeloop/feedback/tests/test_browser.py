"""The survey in a real Chromium (Playwright): the one-click link from the email, then the
comment on the page, on a phone-sized screen, in English and in Simplified Chinese, by
keyboard. Fixtures (Chromium, the organisation row) are the portal's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from closeloop.feedback.models import Invitation, Response
from closeloop.feedback.tests.factories import only_survey, resolved_ticket, sent_invitation
from closeloop.feedback.tokens import token_make
from closeloop.portal.tests.test_browser import _organization, browser  # noqa: F401 (fixtures)
from closeloop.tickets.models import Ticket

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def _link(invitation: Invitation, score: int | None = None) -> str:
    token = token_make(invitation_id=invitation.pk, expires_at=invitation.expires_at)
    return f"/survey/{token}/" if score is None else f"/survey/{token}/{score}/"


def test_one_click_from_the_mail_then_a_comment_on_a_phone(phone: Any, live_server: Any) -> None:
    only_survey()
    ticket = resolved_ticket()
    invitation = sent_invitation(ticket)

    phone.goto(f"{live_server.url}{_link(invitation, 2)}")
    phone.get_by_text("Thank you! Your answer has been recorded.").wait_for()
    assert Response.objects.get(invitation=invitation).score == 2
    assert phone.get_by_label("2", exact=True).is_checked()
    # Nothing overflows the phone's width.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # Change the score and add a comment by keyboard only.
    phone.get_by_label("3", exact=True).focus()
    phone.keyboard.press("Space")
    phone.get_by_label("Comment (optional)").focus()
    phone.keyboard.type("The courier was late, the agent was kind.")
    phone.get_by_role("button", name="Update my answer").focus()
    phone.keyboard.press("Enter")
    phone.get_by_text("Thank you! Your answer has been recorded.").wait_for()

    response = Response.objects.get(invitation=invitation)
    assert response.score == 3
    assert response.comment == "The courier was late, the agent was kind."
    assert Response.objects.filter(invitation=invitation).count() == 1
    # The low first click opened the follow-up; changing the score did not open a second.
    assert Ticket.objects.filter(related_to=ticket).count() == 1


def test_the_survey_page_in_simplified_chinese(phone: Any, live_server: Any) -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    Invitation.objects.filter(pk=invitation.pk).update(language="zh-hans")

    phone.goto(f"{live_server.url}{_link(invitation)}")
    assert phone.locator("html").get_attribute("lang") == "zh-Hans"
    assert phone.locator("legend").inner_text() == "您对我们这次的服务满意吗？"
    phone.get_by_label("5", exact=True).check()
    phone.get_by_label("我们哪些地方可以做得更好？").fill("都很好")
    phone.locator("button[type=submit]").click()
    phone.get_by_role("status").wait_for()
    response = Response.objects.get(invitation=invitation)
    assert (response.score, response.follow_up_answer) == (5, "都很好")


def test_a_forged_link_shows_a_clear_page(phone: Any, live_server: Any) -> None:
    answer = phone.goto(f"{live_server.url}/survey/forged-token/5/")
    assert answer.status == 400
    assert "not valid" in phone.get_by_role("alert").inner_text()
    assert not Response.objects.exists()
