"""The survey pages and the email with one-click links, through a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client

from closeloop.channels.delivery import delivery_send
from closeloop.channels.models import Delivery, DeliveryStatus
from closeloop.channels.tests.email_support import running_smtp, support_mailbox
from closeloop.core import clock
from closeloop.feedback.models import Invitation, InvitationStatus, Response
from closeloop.feedback.tests.factories import only_survey, resolved_ticket, sent_invitation
from closeloop.feedback.tokens import token_make
from closeloop.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _path(invitation: Invitation, score: int | None = None) -> str:
    token = token_make(invitation_id=invitation.pk, expires_at=invitation.expires_at)
    return f"/survey/{token}/" if score is None else f"/survey/{token}/{score}/"


def test_the_email_carries_one_click_links_that_record_the_score() -> None:
    only_survey()
    ticket = resolved_ticket(channel="email")
    with running_smtp() as (controller, handler):
        support_mailbox(controller.port)
        invitation = sent_invitation(ticket)
        delivery = Delivery.objects.get(message_id=invitation.message_id)
        assert delivery_send(delivery.pk).status == DeliveryStatus.SENT

    assert len(handler.messages) == 1
    mail = handler.messages[0]
    assert handler.envelopes[0].rcpt_tos == [delivery.recipient]
    text = mail.get_content()
    links = re.findall(r"(https?://\S+/survey/\S+/(\d+)/)", text)
    assert sorted(int(score) for _url, score in links) == [1, 2, 3, 4, 5]
    assert "How satisfied are you" in text

    four = next(url for url, score in links if score == "4")
    page = Client().get(urlsplit(four).path)
    assert page.status_code == 200
    assert Response.objects.get(invitation=invitation).score == 4
    assert "Thank you" in page.content.decode()
    # The same link clicked again: still one response.
    Client().get(urlsplit(four).path)
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_the_page_shows_labelled_radios_and_a_comment_box_without_javascript() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    page = Client().get(_path(invitation))
    html = page.content.decode()
    assert page.status_code == 200
    for score in range(1, 6):
        assert f'<label for="score-{score}">' in html
        assert f'id="score-{score}" name="score" value="{score}"' in html
    assert 'name="comment"' in html
    assert "What could we have done better?" in html
    assert 'name="viewport"' in html
    assert "<script" not in html


def test_posting_the_form_records_score_comment_and_follow_up_answer() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    page = Client().post(
        _path(invitation),
        {"score": "5", "comment": "Very helpful", "follow_up_answer": "Nothing"},
    )
    assert page.status_code == 200
    response = Response.objects.get(invitation=invitation)
    assert (response.score, response.comment, response.follow_up_answer) == (
        5,
        "Very helpful",
        "Nothing",
    )


def test_the_page_in_chinese() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    html = Client().get(_path(invitation) + "?lang=zh-hans").content.decode()
    assert 'lang="zh-Hans"' in html
    assert "您对我们这次的服务满意吗？" in html
    assert "我们哪些地方可以做得更好？" in html


def test_a_bad_score_in_the_form_shows_the_error_and_writes_nothing() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    page = Client().post(_path(invitation), {"score": "9"})
    assert page.status_code == 400
    assert 'role="alert"' in page.content.decode()
    assert not Response.objects.exists()


def test_forged_link_is_a_400_page_and_writes_nothing() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    good = _path(invitation, 5)
    forged = good.replace("/survey/", "/survey/x")
    page = Client().get(forged)
    assert page.status_code == 400
    assert "not valid" in page.content.decode()
    assert (
        Client().post(_path(invitation).replace("/survey/", "/survey/x"), {"score": 5}).status_code
        == 400
    )
    assert not Response.objects.exists()
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.SENT


def test_expired_link_is_a_410_page_and_writes_nothing() -> None:
    only_survey(token_valid_days=1)
    invitation = sent_invitation(resolved_ticket())
    path = _path(invitation, 5)
    with clock.frozen_at(invitation.expires_at + timedelta(minutes=1)):
        page = Client().get(path)
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert not Response.objects.exists()


def test_the_widget_posts_with_accept_json_from_another_site() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    answer = Client().post(
        _path(invitation), {"score": "2"}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200
    assert answer.json() == {"status": "recorded", "score": 2}
    assert answer["Access-Control-Allow-Origin"] == "*"
    response = Response.objects.get(invitation=invitation)
    assert Ticket.objects.filter(pk=response.follow_up_ticket_id).exists()
    refused = Client().post(
        _path(invitation), {"score": "77"}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_input"


def test_a_relationship_round_is_mailed_with_one_click_links() -> None:
    from closeloop.customers.tests.factories import CustomerFactory
    from closeloop.feedback.invitations import invitations_send_due, relationship_round
    from closeloop.feedback.models import SurveyType, Trigger
    from closeloop.tickets.tests.factories import make_ticket

    survey = only_survey(
        survey_type=SurveyType.NPS, trigger=Trigger.RELATIONSHIP, relationship_sample_percent=100
    )
    customer = CustomerFactory()
    make_ticket(customer=customer)
    with running_smtp() as (controller, handler):
        support_mailbox(controller.port)
        [invitation] = relationship_round(survey=survey)
        assert invitations_send_due() == 1
    invitation.refresh_from_db()
    assert (invitation.status, invitation.channel) == ("sent", "email")
    assert len(handler.messages) == 1
    text = handler.messages[0].get_content()
    scores = sorted(int(score) for score in re.findall(r"/survey/\S+/(\d+)/", text))
    assert scores == list(range(11))
    assert handler.envelopes[0].rcpt_tos == [customer.identities.get().value]
