"""Where people see surveys: the portal ticket page offers the open survey, the agent's
customer panel lists the customer's scores."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.feedback.models import Response
from closeloop.feedback.services import Answer, response_submit
from closeloop.feedback.tests.factories import only_survey, resolved_ticket, sent_invitation
from closeloop.people.tests.factories import AgentFactory
from closeloop.portal.tests.support import signed_in_client

pytestmark = pytest.mark.django_db


def test_the_portal_ticket_page_offers_the_sent_survey_and_takes_the_answer() -> None:
    only_survey()
    client, customer = signed_in_client("alice@example.com")
    ticket = resolved_ticket(customer=customer, channel="portal")

    before = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="survey"' not in before  # scheduled, not sent yet

    invitation = sent_invitation(ticket)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="survey"' in page
    assert 'id="portal-score-5"' in page
    action = page.split('<form method="post" action="', 1)[1].split('"', 1)[0]
    assert action.startswith("/survey/")

    answered = client.post(action, {"score": "4", "comment": "Fine"})
    assert answered.status_code == 200
    assert Response.objects.get(invitation=invitation).score == 4
    again = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "You answered 4" in again


def test_the_customer_panel_lists_the_customers_scores() -> None:
    only_survey()
    agent = AgentFactory()
    ticket = resolved_ticket(agent=agent)
    response_submit(invitation=sent_invitation(ticket), answer=Answer(score=2, comment="Slow"))
    client = Client()
    client.force_login(agent.user)
    panel = client.get(f"/agent/tickets/{ticket.number}/customer/").content.decode()
    assert "CSAT 2/5" in panel
    assert "Slow" in panel
    assert "No surveys yet." not in panel
