"""The workspace quality pages with Django's test client: render, submit, dispute, settle."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.people.access import requester_for
from closeloop.people.models import TeamRole
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
from closeloop.quality.engine import checks_run
from closeloop.quality.models import CriterionScore, Dispute, Review
from closeloop.quality.services import calibration_create, review_request
from closeloop.quality.tests.factories import conversation
from closeloop.tickets.services import Actor, message_add

pytestmark = pytest.mark.django_db

LINES = [
    ("customer", "My order has not arrived.", 0),
    ("agent", "Hello, sorry for the wait: it ships today.", 5),
    ("customer", "Thanks!", 7),
]
FULL = {"greeting": 2, "accuracy": 4, "empathy": 4, "resolution": 4, "compliance": 1, "closing": 2}


def client_for(user, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


@pytest.fixture
def world():
    team = TeamFactory()
    lead = AgentFactory(display_name="Lena Lead")
    member(lead, team, role=TeamRole.LEAD)
    agent = AgentFactory(display_name="Ann Agent")
    member(agent, team)
    reviewer = AgentFactory(display_name="Rex Reviewer")
    member(reviewer, team)
    ticket = conversation(agent, LINES, kind="complaint")
    message_add(
        ticket=ticket,
        body="Checked the warehouse myself",
        actor=Actor.of_agent(agent),
        is_public=False,
    )
    checks_run(ticket_ids=[ticket.pk])
    review = review_request(ticket=ticket, reviewer=reviewer, actor=requester_for(lead.user))
    return {"lead": lead, "agent": agent, "reviewer": reviewer, "ticket": ticket, "review": review}


def form_data(**points) -> dict[str, str]:
    values = {**FULL, **points}
    data = {"action": "submit", "notes": "Good work"}
    for key, value in values.items():
        data[f"points_{key}"] = str(value)
        data[f"note_{key}"] = ""
    return data


def test_the_queue_lists_the_review_for_the_reviewer(world):
    page = client_for(world["reviewer"].user).get("/agent/quality/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f"/agent/quality/reviews/{world['review'].pk}/" in html
    assert "Ann Agent" in html


def test_the_review_page_shows_thread_notes_checks_and_the_form(world):
    page = client_for(world["reviewer"].user).get(f"/agent/quality/reviews/{world['review'].pk}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "it ships today" in html
    assert 'id="review-notes"' in html
    assert "Checked the warehouse myself" in html
    assert "Apology on a complaint" in html
    assert 'id="review-form"' in html
    assert '<label for="id_points_compliance">Compliance</label>' in html


def test_the_review_page_in_chinese(world):
    page = client_for(world["reviewer"].user, "zh-hans").get(
        f"/agent/quality/reviews/{world['review'].pk}/"
    )

    assert "同理心" in page.content.decode()


def test_submitting_the_form_scores_on_the_server(world):
    client = client_for(world["reviewer"].user)
    url = f"/agent/quality/reviews/{world['review'].pk}/"

    response = client.post(url, form_data(compliance=0))

    assert response.status_code == 302
    review = Review.objects.get()
    assert (str(review.score), review.passed, review.critical_failed) == ("83.33", False, True)
    assert 'id="review-result"' in client.get(url).content.decode()
    received = client_for(world["agent"].user).get("/agent/quality/").content.decode()
    assert "83.33" in received


def test_a_missing_score_is_reported_beside_its_field_and_nothing_is_written(world):
    data = form_data()
    del data["points_accuracy"]

    response = client_for(world["reviewer"].user).post(
        f"/agent/quality/reviews/{world['review'].pk}/", data
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_points_accuracy-error"' in html
    assert 'aria-describedby="id_points_accuracy-error"' in html
    assert Review.objects.get().status == "pending"
    assert not CriterionScore.objects.exists()


def test_only_the_reviewer_can_submit(world):
    response = client_for(world["lead"].user).post(
        f"/agent/quality/reviews/{world['review'].pk}/", form_data()
    )

    assert response.status_code == 403
    assert Review.objects.get().status == "pending"


def test_the_agent_disputes_and_the_lead_settles_in_the_pages(world):
    client_for(world["reviewer"].user).post(
        f"/agent/quality/reviews/{world['review'].pk}/", form_data(accuracy=1)
    )
    agent = client_for(world["agent"].user)
    url = f"/agent/quality/reviews/{world['review'].pk}/"
    assert 'id="dispute-form"' in agent.get(url).content.decode()

    assert (
        agent.post(url, {"action": "dispute", "reason": "The answer was right."}).status_code == 302
    )
    dispute = Dispute.objects.get()
    lead = client_for(world["lead"].user)
    listing = lead.get("/agent/quality/disputes/")
    assert "The answer was right." in listing.content.decode()
    missing_score = lead.post(
        "/agent/quality/disputes/", {"dispute": dispute.pk, "decision": "upheld", "note": ""}
    )
    assert missing_score.status_code == 400
    assert "Give the adjusted score" in missing_score.content.decode()
    assert Dispute.objects.get().status == "open"

    settled = lead.post(
        "/agent/quality/disputes/",
        {"dispute": dispute.pk, "decision": "upheld", "adjusted_score": "92", "note": "Fair"},
    )

    assert settled.status_code == 302
    assert Dispute.objects.get().status == "upheld"
    assert "Score changed from" in agent.get(url).content.decode()
    mine = agent.get("/agent/quality/").content.decode()
    assert 'id="reviews-received"' in mine
    assert "92.00" in mine
    assert "Upheld" in mine
    assert agent.get("/agent/quality/disputes/").status_code == 403


def test_a_review_is_hidden_from_agents_outside_it(world):
    stranger = AgentFactory()

    response = client_for(stranger.user).get(f"/agent/quality/reviews/{world['review'].pk}/")

    assert response.status_code == 404


def test_scores_and_calibration_pages_for_leads(world):
    lead = client_for(world["lead"].user)
    session = calibration_create(
        ticket=world["ticket"],
        reviewer_ids=[world["reviewer"].pk, world["lead"].pk],
        actor=requester_for(world["lead"].user),
        title="March calibration",
    )

    scores = lead.get("/agent/quality/scores/")
    spread = lead.get(f"/agent/quality/calibrations/{session.pk}/")

    assert scores.status_code == 200
    assert "Ann Agent" in scores.content.decode()
    assert spread.status_code == 200
    assert "March calibration" in spread.content.decode()
    assert client_for(world["agent"].user).get("/agent/quality/scores/").status_code == 403
    customer = Client()
    customer.force_login(UserFactory())
    assert customer.get("/agent/quality/").status_code == 403
    assert Client().get("/agent/quality/").status_code == 302


def test_a_call_is_reviewed_from_its_transcript_and_recording_link(world):
    from closeloop.quality.selectors import conversation_for_review
    from closeloop.tickets.services import MessageContent

    ticket = conversation(world["agent"], LINES[:1], channel="phone", resolve=False)
    review = review_request(
        ticket=ticket, reviewer=world["reviewer"], actor=requester_for(world["lead"].user)
    )
    message_add(
        ticket=ticket,
        body="Customer: my parcel is late. Agent: sorry, it arrives tomorrow.",
        actor=Actor.of_agent(world["agent"]),
        channel="phone",
        content=MessageContent(
            meta={"call": {"recording_url": "https://calls.example.com/r/42.mp3"}}
        ),
    )
    message_add(
        ticket=ticket,
        body="bad link",
        actor=Actor.of_agent(world["agent"]),
        channel="phone",
        content=MessageContent(meta={"call": {"recording_url": "javascript:alert(1)"}}),
    )

    view = conversation_for_review(ticket)
    page = client_for(world["reviewer"].user).get(f"/agent/quality/reviews/{review.pk}/")

    assert view.recordings == ["https://calls.example.com/r/42.mp3"]
    html = page.content.decode()
    assert 'href="https://calls.example.com/r/42.mp3"' in html
    assert "javascript:alert" not in html
    assert "my parcel is late" in html


def test_a_lead_starts_a_calibration_from_the_quality_page(world):
    from closeloop.quality.models import CalibrationSession

    lead = client_for(world["lead"].user)
    other = AgentFactory(display_name="Oli")
    reviewers = [str(world["reviewer"].pk), str(other.pk)]

    too_few = lead.post(
        "/agent/quality/",
        {"ticket_number": world["ticket"].number, "reviewers": reviewers[:1]},
    )
    unknown = lead.post("/agent/quality/", {"ticket_number": 999999, "reviewers": reviewers})
    with_agent = lead.post(
        "/agent/quality/",
        {"ticket_number": world["ticket"].number, "reviewers": [*reviewers, world["agent"].pk]},
    )
    assert (too_few.status_code, unknown.status_code, with_agent.status_code) == (400, 400, 400)
    assert 'id="id_reviewers-error"' in too_few.content.decode()
    assert 'id="id_ticket_number-error"' in unknown.content.decode()
    assert "do not review their own" in with_agent.content.decode()
    assert not CalibrationSession.objects.exists()

    started = lead.post(
        "/agent/quality/",
        {"ticket_number": world["ticket"].number, "reviewers": reviewers, "title": "Week 10"},
    )

    session = CalibrationSession.objects.get()
    assert started.status_code == 302
    assert started["Location"] == f"/agent/quality/calibrations/{session.pk}/"
    assert session.reviews.count() == 2
    assert client_for(world["agent"].user).post("/agent/quality/", {}).status_code == 403


def test_a_lead_draws_a_week_on_the_plans_page(world):
    from closeloop.quality.models import SampleDraw, SamplingPlan

    plan = SamplingPlan.objects.create(
        name="Weekly", amount=2, created_at=world["ticket"].created_at
    )
    plan.reviewers.set([world["reviewer"]])
    lead = client_for(world["lead"].user)

    bad = lead.post("/agent/quality/plans/", {"plan": plan.pk, "week": "someday"})
    assert bad.status_code == 400
    assert 'id="id_week-error"' in bad.content.decode()
    assert not SampleDraw.objects.exists()

    drawn = lead.post("/agent/quality/plans/", {"plan": plan.pk, "week": "2026-03-04"})

    html = drawn.content.decode()
    assert drawn.status_code == 200
    assert "queued for the week of 2026-03-02" in html
    assert SampleDraw.objects.get().week.isoformat() == "2026-03-02"
    assert client_for(world["agent"].user).get("/agent/quality/plans/").status_code == 403
