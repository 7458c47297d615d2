"""The quality API: the permission matrix, and each flow once through HTTP."""

from __future__ import annotations

import pytest

from closeloop.people.models import TeamRole
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory, member
from closeloop.quality.models import CheckResult, Dispute, Review, SamplingPlan, Scorecard
from closeloop.quality.tests.factories import conversation

pytestmark = pytest.mark.django_db

BASE = "/api/v1/quality"
LINES = [("customer", "Where is my order?", 0), ("agent", "Hello, it ships today.", 5)]
FULL = {"greeting": 2, "accuracy": 4, "empathy": 4, "resolution": 4, "compliance": 1, "closing": 2}


@pytest.fixture
def world(api_as):
    team = TeamFactory()
    lead = AgentFactory()
    member(lead, team, role=TeamRole.LEAD)
    agent = AgentFactory()
    member(agent, team)
    reviewer = AgentFactory()
    member(reviewer, team)
    admin = AgentFactory(user=UserFactory(is_superuser=True))
    ticket = conversation(agent, LINES)
    return {
        "team": team,
        "lead": lead,
        "agent": agent,
        "reviewer": reviewer,
        "ticket": ticket,
        "clients": {
            "anonymous": api_as(None),
            "customer": api_as(UserFactory()),  # a login without an agent profile
            "agent": api_as(agent.user),
            "lead": api_as(lead.user),
            "admin": api_as(admin.user),
            "reviewer": api_as(reviewer.user),
        },
    }


SCORECARD = {
    "code": "chat",
    "name_en": "Chat",
    "name_zh": "在线",
    "pass_mark": 70,
    "criteria": [{"key": "greeting", "name_en": "Greeting", "name_zh": "问候"}],
}
ENDPOINTS = [
    ("get", "/scorecards", None, "agent"),
    ("get", "/reviews", None, "agent"),
    ("get", "/scores", None, "agent"),
    ("get", "/plans", None, "lead"),
    ("get", "/disputes", None, "lead"),
    ("post", "/scorecards", SCORECARD, "lead"),
    ("post", "/plans", {"name": "weekly"}, "lead"),
]
EXPECTED = {
    "anonymous": {"agent": 401, "lead": 401},
    "customer": {"agent": 403, "lead": 403},
    "agent": {"agent": 200, "lead": 403},
    "lead": {"agent": 200, "lead": 200},
    "admin": {"agent": 200, "lead": 200},
}


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize(("method", "path", "body", "needs"), ENDPOINTS)
def test_permission_matrix(world, role, method, path, body, needs):
    client = world["clients"][role]
    response = client.get(BASE + path) if method == "get" else client.post(BASE + path, body)

    expected = EXPECTED[role][needs]
    assert response.status_code == (201 if expected == 200 and method == "post" else expected)
    if response.status_code >= 400:
        assert response.json()["code"] in ("unauthorized", "forbidden")
        assert not Scorecard.objects.filter(code="chat").exists()
        assert not SamplingPlan.objects.exists()


def test_a_review_through_the_api(world):
    clients = world["clients"]
    queued = clients["lead"].post(
        BASE + "/reviews",
        {"ticket_id": world["ticket"].pk, "reviewer_id": world["reviewer"].pk},
    )
    assert queued.status_code == 201
    review_id = queued.json()["id"]
    queue = clients["reviewer"].get(BASE + "/reviews", scope="queue").json()
    assert [item["id"] for item in queue["items"]] == [review_id]

    bad = clients["reviewer"].post(
        f"{BASE}/reviews/{review_id}/submit",
        {"scores": {**{k: {"points": v} for k, v in FULL.items()}, "accuracy": {"points": 9}}},
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")
    assert Review.objects.get().status == "pending"
    stranger = clients["agent"].post(f"{BASE}/reviews/{review_id}/submit", {"scores": {}})
    assert stranger.status_code == 403

    done = clients["reviewer"].post(
        f"{BASE}/reviews/{review_id}/submit",
        {"scores": {k: {"points": v, "note": ""} for k, v in FULL.items()}, "notes": "fine"},
    )

    assert done.status_code == 200, done.content
    assert (done.json()["score"], done.json()["passed"]) == ("100.00", True)
    assert len(done.json()["scores"]) == 6
    again = clients["reviewer"].post(
        f"{BASE}/reviews/{review_id}/submit",
        {"scores": {k: {"points": v} for k, v in FULL.items()}},
    )
    assert (again.status_code, again.json()["code"]) == (409, "review_not_pending")


def test_a_dispute_through_the_api(world):
    clients = world["clients"]
    review_id = (
        clients["lead"]
        .post(
            BASE + "/reviews",
            {"ticket_id": world["ticket"].pk, "reviewer_id": world["reviewer"].pk},
        )
        .json()["id"]
    )
    clients["reviewer"].post(
        f"{BASE}/reviews/{review_id}/submit",
        {"scores": {**{k: {"points": v} for k, v in FULL.items()}, "accuracy": {"points": 0}}},
    )

    raised = clients["agent"].post(f"{BASE}/reviews/{review_id}/dispute", {"reason": "Correct."})
    assert raised.status_code == 201
    dispute_id = raised.json()["id"]
    assert [d["id"] for d in clients["lead"].get(BASE + "/disputes").json()] == [dispute_id]
    refused = clients["agent"].post(f"{BASE}/disputes/{dispute_id}/settle", {"upheld": False})
    assert refused.status_code == 403

    settled = clients["lead"].post(
        f"{BASE}/disputes/{dispute_id}/settle", {"upheld": True, "adjusted_score": "95"}
    )

    assert settled.status_code == 200
    assert (settled.json()["status"], settled.json()["adjusted_score"]) == ("upheld", "95.00")
    assert Review.objects.get().score == 95
    reopened = clients["lead"].post(f"{BASE}/disputes/{dispute_id}/settle", {"upheld": False})
    assert (reopened.status_code, reopened.json()["code"]) == (409, "dispute_settled")
    assert Dispute.objects.get().status == "upheld"


def test_checks_of_a_ticket(world):
    client = world["clients"]["agent"]
    path = f"{BASE}/tickets/{world['ticket'].pk}/checks"
    assert client.get(path).json() == []

    ran = client.post(path)

    assert ran.status_code == 200
    assert [row["code"] for row in ran.json()][:3] == [
        "first_response",
        "next_response",
        "greeting",
    ]
    assert CheckResult.objects.filter(ticket=world["ticket"]).count() == 8
    assert world["clients"]["customer"].get(path).status_code == 403
    assert client.get(f"{BASE}/tickets/999999/checks").status_code == 404


def test_calibration_and_a_draw_through_the_api(world):
    clients = world["clients"]
    created = clients["lead"].post(
        BASE + "/calibrations",
        {"ticket_id": world["ticket"].pk, "reviewer_ids": [world["reviewer"].pk, world["lead"].pk]},
    )
    assert created.status_code == 201, created.content
    session = created.json()
    assert (len(session["review_ids"]), session["submitted"], session["stdev"]) == (2, 0, None)
    assert clients["reviewer"].get(f"{BASE}/calibrations/{session['id']}").status_code == 200
    assert clients["agent"].get(f"{BASE}/calibrations/{session['id']}").status_code == 404

    plan = clients["lead"].post(
        BASE + "/plans", {"name": "w", "amount": 2, "team_id": world["team"].pk}
    )
    drawn = clients["lead"].post(f"{BASE}/plans/{plan.json()['id']}/draw", {"week": "2026-03-04"})
    assert drawn.status_code == 200
    assert drawn.json()["count"] == 1  # calibration reviews do not keep a ticket out of samples
    bad_week = clients["lead"].post(f"{BASE}/plans/{plan.json()['id']}/draw", {"week": "soon"})
    assert bad_week.status_code in (400, 422)


def test_a_scorecard_with_a_missing_standard_article_is_refused(world):
    body = {
        **SCORECARD,
        "criteria": [{**SCORECARD["criteria"][0], "standard_article_id": 999999}],
    }

    response = world["clients"]["lead"].post(BASE + "/scorecards", body)

    assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
    assert not Scorecard.objects.filter(code="chat").exists()


def test_a_scorecard_in_use_gets_a_new_version_through_the_api(world):
    lead = world["clients"]["lead"]
    first = lead.post(BASE + "/scorecards", SCORECARD).json()
    chat = Scorecard.objects.get(pk=first["id"])
    Review.objects.create(
        ticket=world["ticket"],
        agent=world["agent"],
        reviewer=world["reviewer"],
        scorecard=chat,
        assigned_at=world["ticket"].created_at,
    )

    second = lead.post(BASE + "/scorecards", {**SCORECARD, "pass_mark": 60}).json()

    assert (second["version"], second["pass_mark"], second["is_current"]) == (2, 60, True)
    listed = lead.get(BASE + "/scorecards", all_versions="true").json()
    assert [(s["version"], s["is_current"]) for s in listed if s["code"] == "chat"] == [
        (2, True),
        (1, False),
    ]
