"""The feedback API: in-app feedback, survey answers with a token, the leads' list and the
follow-up outcome, a ticket's survey; who may do what."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from closeloop.channels.models import Integration
from closeloop.channels.signing import KEY_HEADER, sign
from closeloop.feedback.models import Response
from closeloop.feedback.services import Answer, response_submit
from closeloop.feedback.tests.factories import only_survey, resolved_ticket, sent_invitation
from closeloop.feedback.tokens import token_make
from closeloop.people.tests.factories import AgentFactory, TeamFactory, lead_of
from closeloop.tickets.models import Kind, Ticket

pytestmark = pytest.mark.django_db

FEEDBACK = "/api/v1/feedback"
RESPONSES = "/api/v1/feedback/surveys/responses"


def _signed(integration: Integration, payload: dict) -> dict:
    body = json.dumps(payload).encode()
    headers = {KEY_HEADER: integration.key, **sign(integration.secret, body)}
    return {"data": body, "content_type": "application/json", "headers": headers}


@pytest.fixture
def app() -> Integration:
    return Integration.objects.create(kind="app", name="Shop app")


def test_in_app_feedback_opens_a_feedback_ticket_once(app: Integration) -> None:
    payload = {
        "client_id": "fb-1",
        "text": "希望增加夜间模式",
        "app_user_id": "u-77",
        "email": "user77@example.com",
        "name": "Li",
    }
    first = Client().post(FEEDBACK, **_signed(app, payload))
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["status"] == "created"
    assert body["kind"] == "feedback"
    ticket = Ticket.objects.get(number=body["ticket_number"])
    assert ticket.kind == Kind.FEEDBACK
    assert ticket.channel == "app"
    assert ticket.sla_policy_name == "Customer feedback"
    assert ticket.customer.identities.filter(kind="app", value="u-77").exists()

    again = Client().post(FEEDBACK, **_signed(app, payload))
    assert again.status_code == 200
    assert again.json() == {**body, "status": "duplicate"}
    assert Ticket.objects.filter(kind=Kind.FEEDBACK).count() == 1


def test_in_app_feedback_with_a_staff_token(api) -> None:  # noqa: ANN001
    answer = api.post(FEEDBACK, {"client_id": "x1", "text": "Great app", "email": "a@b.example"})
    assert answer.status_code == 201
    assert Ticket.objects.get(number=answer.json()["ticket_number"]).channel == "api"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"text": "no id", "email": "a@b.example"}, "validation_error"),
        ({"client_id": "1", "text": "", "email": "a@b.example"}, "validation_error"),
        ({"client_id": "1", "text": "who am I"}, "invalid_input"),
        ({"client_id": "1", "text": "x", "email": "not an email"}, "invalid_input"),
    ],
)
def test_bad_feedback_is_a_4xx_with_a_code_and_writes_nothing(
    app: Integration, payload: dict, code: str
) -> None:
    answer = Client().post(FEEDBACK, **_signed(app, payload))
    assert 400 <= answer.status_code < 500
    assert answer.json()["code"] == code
    assert not Ticket.objects.exists()


def test_unsigned_or_badly_signed_feedback_is_refused(app: Integration) -> None:
    payload = {"client_id": "1", "text": "hi", "email": "a@b.example"}
    anonymous = Client().post(FEEDBACK, json.dumps(payload), content_type="application/json")
    assert anonymous.status_code == 403
    signed = _signed(app, payload)
    signed["data"] = json.dumps({**payload, "text": "changed"}).encode()
    tampered = Client().post(FEEDBACK, **signed)
    assert tampered.status_code == 403
    assert tampered.json()["code"] == "invalid_signature"
    assert not Ticket.objects.exists()


def _token(invitation) -> str:  # noqa: ANN001
    return token_make(invitation_id=invitation.pk, expires_at=invitation.expires_at)


def test_answer_a_survey_with_its_token() -> None:
    only_survey()
    invitation = sent_invitation(resolved_ticket())
    client = Client()
    first = client.post(
        RESPONSES,
        json.dumps({"token": _token(invitation), "score": 4, "comment": "good"}),
        content_type="application/json",
    )
    assert first.status_code == 200, first.content
    assert first.json()["score"] == 4
    again = client.post(
        RESPONSES,
        json.dumps({"token": _token(invitation), "score": 5}),
        content_type="application/json",
    )
    assert again.json()["id"] == first.json()["id"]
    assert Response.objects.get().score == 5
    forged = client.post(
        RESPONSES, json.dumps({"token": "forged", "score": 5}), content_type="application/json"
    )
    assert forged.status_code == 400
    assert forged.json()["code"] == "survey_link_invalid"
    bad = client.post(
        RESPONSES,
        json.dumps({"token": _token(invitation), "score": 9}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_input"
    assert Response.objects.get().score == 5


def _low_response(team):  # noqa: ANN001, ANN202
    agent = AgentFactory()
    ticket = resolved_ticket(agent=agent, team=team)
    return agent, response_submit(invitation=sent_invitation(ticket), answer=Answer(score=1))


def test_leads_list_their_teams_responses_and_agents_their_own(api_as) -> None:  # noqa: ANN001
    only_survey()
    team, other_team = TeamFactory(), TeamFactory()
    lead = lead_of(team)
    agent, mine = _low_response(team)
    _other_agent, theirs = _low_response(other_team)

    listed = api_as(lead.user).get(RESPONSES).json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert listed["results"][0]["is_low"] is True
    assert listed["results"][0]["follow_up_ticket_number"] is not None

    own = api_as(agent.user).get(RESPONSES).json()
    assert [row["id"] for row in own["results"]] == [mine.pk]
    assert api_as(_other_agent.user).get(RESPONSES, score_max=2).json()["count"] == 1
    assert api_as(lead.user).get(RESPONSES, follow_up="open").json()["count"] == 1
    assert api_as(lead.user).get(RESPONSES, follow_up="recorded").json()["count"] == 0
    assert theirs.pk not in [row["id"] for row in listed["results"]]
    assert api_as(None).get(RESPONSES).status_code == 401


def test_the_lead_records_the_follow_up_outcome_and_an_agent_may_not(api_as) -> None:  # noqa: ANN001
    only_survey()
    team = TeamFactory()
    lead = lead_of(team)
    agent, response = _low_response(team)
    path = f"{RESPONSES}/{response.pk}/follow-up"

    refused = api_as(agent.user).post(path, {"outcome": "recovered"})
    assert refused.status_code == 403
    assert Response.objects.get(pk=response.pk).follow_up_outcome == ""

    invalid = api_as(lead.user).post(path, {"outcome": "happy"})
    assert invalid.status_code == 422

    done = api_as(lead.user).post(path, {"outcome": "unreachable", "note": "3 calls"})
    assert done.status_code == 200, done.content
    assert done.json()["follow_up_outcome"] == "unreachable"
    assert Response.objects.get(pk=response.pk).follow_up_note == "3 calls"


def test_a_tickets_survey(api) -> None:  # noqa: ANN001
    only_survey()
    ticket = resolved_ticket()
    before = api.get(f"/api/v1/feedback/tickets/{ticket.number}/survey").json()
    assert before["invitation_status"] == "scheduled"
    assert before["response"] is None
    response_submit(invitation=sent_invitation(ticket), answer=Answer(score=5))
    after = api.get(f"/api/v1/feedback/tickets/{ticket.number}/survey").json()
    assert after["invitation_status"] == "answered"
    assert after["response"]["score"] == 5
    assert api.get("/api/v1/feedback/tickets/999999/survey").status_code == 404
