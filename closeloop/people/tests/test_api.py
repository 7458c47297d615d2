"""The people API: the permission matrix (anonymous, portal customer, non-staff user, agent,
team lead, administrator) and each endpoint's effect and validation errors."""

import json
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from closeloop.core.clock import frozen_at
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.models import (
    AgentSkill,
    Assessment,
    Mentorship,
    OnboardingProgress,
    PeopleEvent,
    TrainingCourse,
    TrainingRecord,
)
from closeloop.people.services_onboarding import agent_onboard
from closeloop.people.services_training import training_assign
from closeloop.people.tests.factories import (
    AgentFactory,
    AssessmentFactory,
    CourseFactory,
    OnboardingItemFactory,
    SkillFactory,
    TeamFactory,
    UserFactory,
    lead_of,
    member,
)
from closeloop.portal.session import SESSION_CUSTOMER
from closeloop.triage.models import Category, CategorySkill

pytestmark = pytest.mark.django_db

BASE = "/api/v1/people"
NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


def _send(client, method, path, data=None):
    return client.client.generic(
        method,
        BASE + path,
        json.dumps(data if data is not None else {}),
        content_type="application/json",
        headers=client.headers,
    )


@pytest.fixture
def world():
    """A team with a lead and two members, another team with one member, an admin."""
    team, other_team = TeamFactory(), TeamFactory()
    lead = lead_of(team, display_name="Lena")
    ann, bob = AgentFactory(display_name="Ann"), AgentFactory(display_name="Bob")
    member(ann, team)
    member(bob, team)
    outsider = AgentFactory(display_name="Oscar")
    member(outsider, other_team)
    admin = UserFactory(is_superuser=True)
    return {
        "team": team,
        "other_team": other_team,
        "lead": lead,
        "ann": ann,
        "bob": bob,
        "outsider": outsider,
        "admin": admin,
    }


ENDPOINTS = [
    ("GET", "/skills", None),
    ("GET", "/matrix", None),
    ("PUT", "/agents/1/skills/x", {"level": 3}),
    ("DELETE", "/agents/1/skills/x", None),
    ("GET", "/courses", None),
    ("POST", "/courses", {"code": "c", "title_en": "C", "title_zh": "C"}),
    ("GET", "/records", None),
    ("POST", "/records", {"agent_id": 1, "course_id": 1}),
    ("POST", "/records/1/start", None),
    ("POST", "/records/1/complete", {"score": 90}),
    ("POST", "/records/1/cancel", None),
    ("GET", "/assessments", None),
    ("POST", "/assessments", {"code": "a", "title_en": "A", "title_zh": "A"}),
    ("GET", "/results", None),
    ("POST", "/assessments/1/results", {"agent_id": 1, "score": 90}),
    ("GET", "/mentorships", None),
    ("POST", "/mentorships", {"mentor_id": 1, "mentee_id": 2}),
    ("POST", "/mentorships/1/end", None),
    ("GET", "/onboarding", None),
    ("POST", "/agents/1/onboard", {}),
    ("POST", "/onboarding/1/done", None),
    ("POST", "/onboarding/1/undo", None),
]


@pytest.mark.parametrize(("method", "path", "data"), ENDPOINTS)
def test_anonymous_and_portal_customers_get_401_other_users_403(api_as, method, path, data):
    anonymous = _send(api_as(None), method, path, data)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
    portal = api_as(None)
    session = portal.client.session
    session[SESSION_CUSTOMER] = CustomerFactory().pk
    session.save()
    assert _send(portal, method, path, data).status_code == 401
    outsider = _send(api_as(UserFactory()), method, path, data)
    assert outsider.status_code == 403
    assert outsider.json()["code"] == "forbidden"
    assert not TrainingCourse.objects.exists()
    assert not PeopleEvent.objects.exists()


def test_agent_sees_only_their_own_training(api_as, world):
    course = CourseFactory()
    own = training_assign(agent=world["ann"], course=course, actor=None)
    training_assign(agent=world["bob"], course=course, actor=None)
    client = api_as(world["ann"].user)
    listed = client.get(f"{BASE}/records")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [own.pk]
    other = client.get(f"{BASE}/records", agent_id=world["bob"].pk)
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"


def test_agent_may_start_own_course_but_not_assign_complete_or_manage(api_as, world):
    record = training_assign(agent=world["ann"], course=CourseFactory(), actor=None)
    client = api_as(world["ann"].user)
    started = client.post(f"{BASE}/records/{record.pk}/start")
    assert started.status_code == 200
    assert started.json()["status"] == "in_progress"
    refused = [
        client.post(f"{BASE}/records/{record.pk}/complete", {"score": 100}),
        client.post(
            f"{BASE}/records", {"agent_id": world["ann"].pk, "course_id": record.course_id}
        ),
        _send(client, "PUT", f"/agents/{world['ann'].pk}/skills/refunds", {"level": 5}),
        client.get(f"{BASE}/matrix"),
        client.post(f"{BASE}/agents/{world['ann'].pk}/onboard", {}),
    ]
    assert [response.status_code for response in refused] == [403, 403, 403, 403, 403]
    assert {response.json()["code"] for response in refused} == {"forbidden"}
    record.refresh_from_db()
    assert record.status == "in_progress"
    assert TrainingRecord.objects.count() == 1
    assert not AgentSkill.objects.filter(agent=world["ann"]).exists()


def test_lead_manages_own_team_only(api_as, world):
    course = CourseFactory()
    client = api_as(world["lead"].user)
    assigned = client.post(f"{BASE}/records", {"agent_id": world["ann"].pk, "course_id": course.pk})
    assert assigned.status_code == 201, assigned.content
    assert assigned.json()["agent"]["display_name"] == "Ann"
    elsewhere = client.post(
        f"{BASE}/records", {"agent_id": world["outsider"].pk, "course_id": course.pk}
    )
    assert elsewhere.status_code == 404
    completed = client.post(f"{BASE}/records/{assigned.json()['id']}/complete", {"score": 77})
    assert completed.status_code == 200
    assert (completed.json()["status"], completed.json()["score"]) == ("completed", 77)
    assert TrainingRecord.objects.filter(agent=world["outsider"]).count() == 0
    team_ids = {row["agent"]["id"] for row in client.get(f"{BASE}/records").json()}
    assert team_ids == {world["ann"].pk}


def test_admin_manages_everyone_and_the_catalogue(api_as, world):
    admin = api_as(world["admin"])
    created = admin.post(
        f"{BASE}/courses",
        {
            "code": "wechat-basics",
            "title_en": "WeChat basics",
            "title_zh": "微信基础",
            "hours": "2.5",
            "is_mandatory_for_new_agents": True,
            "refresher_months": 12,
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["title_zh"] == "微信基础"
    again = admin.post(
        f"{BASE}/courses", {"code": "wechat-basics", "title_en": "x", "title_zh": "x"}
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_exists")
    lead_try = api_as(world["lead"].user).post(
        f"{BASE}/courses", {"code": "other", "title_en": "x", "title_zh": "x"}
    )
    assert lead_try.status_code == 403
    assigned = admin.post(
        f"{BASE}/records",
        {"agent_id": world["outsider"].pk, "course_id": created.json()["id"]},
    )
    assert assigned.status_code == 201
    assert TrainingCourse.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"code": "bad code!", "title_en": "x", "title_zh": "x"}, 422, "validation_error"),
        ({"code": "c", "title_en": "", "title_zh": "x"}, 422, "validation_error"),
        (
            {"code": "c", "title_en": "x", "title_zh": "x", "skill_level": 6},
            422,
            "validation_error",
        ),
        ({"code": "c", "title_en": "x", "title_zh": "x", "skill": "nope"}, 400, "invalid_input"),
    ],
)
def test_course_validation(api_as, payload, status, code):
    response = api_as(UserFactory(is_superuser=True)).post(f"{BASE}/courses", payload)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not TrainingCourse.objects.exists()


def test_record_errors_are_4xx_with_codes(api_as, world):
    course = CourseFactory()
    client = api_as(world["lead"].user)
    ok = client.post(f"{BASE}/records", {"agent_id": world["ann"].pk, "course_id": course.pk})
    assert ok.status_code == 201
    twice = client.post(f"{BASE}/records", {"agent_id": world["ann"].pk, "course_id": course.pk})
    assert (twice.status_code, twice.json()["code"]) == (409, "already_exists")
    missing = client.post(f"{BASE}/records", {"agent_id": world["ann"].pk, "course_id": 999999})
    assert (missing.status_code, missing.json()["details"]) == (400, {"field": "course_id"})
    with frozen_at(NOW):
        past = client.post(
            f"{BASE}/records",
            {"agent_id": world["bob"].pk, "course_id": course.pk, "due_on": "2026-05-01"},
        )
    assert (past.status_code, past.json()["code"]) == (400, "invalid_input")
    bad_score = client.post(f"{BASE}/records/{ok.json()['id']}/complete", {"score": 101})
    assert (bad_score.status_code, bad_score.json()["code"]) == (400, "invalid_input")
    client.post(f"{BASE}/records/{ok.json()['id']}/cancel")
    late = client.post(f"{BASE}/records/{ok.json()['id']}/start")
    assert (late.status_code, late.json()["code"]) == (409, "invalid_transition")
    assert TrainingRecord.objects.count() == 1


def test_overdue_filter(api_as, world):
    with frozen_at(NOW):
        late = training_assign(
            agent=world["ann"], course=CourseFactory(), actor=None, due_on=date(2026, 5, 5)
        )
        training_assign(
            agent=world["ann"], course=CourseFactory(), actor=None, due_on=date(2026, 6, 5)
        )
    with frozen_at(datetime(2026, 5, 10, 2, 0, tzinfo=UTC)):
        rows = api_as(world["ann"].user).get(f"{BASE}/records", overdue="true").json()
    assert [(row["id"], row["is_overdue"]) for row in rows] == [(late.pk, True)]


def test_assessment_result_raises_the_level_and_is_listed(api_as, world):
    skill = SkillFactory(code="t-refunds")
    assessment = AssessmentFactory(skill=skill, pass_mark=70, level_on_pass=4)
    lead = api_as(world["lead"].user)
    failed = lead.post(
        f"{BASE}/assessments/{assessment.pk}/results", {"agent_id": world["bob"].pk, "score": 60}
    )
    passed = lead.post(
        f"{BASE}/assessments/{assessment.pk}/results", {"agent_id": world["bob"].pk, "score": 85}
    )
    assert failed.status_code == passed.status_code == 201
    assert (failed.json()["passed"], failed.json()["attempt"]) == (False, 1)
    assert (passed.json()["passed"], passed.json()["level_raised_to"]) == (True, 4)
    assert AgentSkill.objects.get(agent=world["bob"], skill=skill).level == 4
    own = lead.post(
        f"{BASE}/assessments/{assessment.pk}/results",
        {"agent_id": world["lead"].pk, "score": 99},
    )
    assert (own.status_code, own.json()["details"]) == (400, {"field": "agent"})
    seen = api_as(world["bob"].user).get(f"{BASE}/results").json()
    assert [row["attempt"] for row in seen] == [2, 1]
    assert api_as(world["ann"].user).get(f"{BASE}/results").json() == []


def test_admin_creates_assessment_with_a_sane_pass_mark(api_as):
    admin = api_as(UserFactory(is_superuser=True))
    bad = admin.post(
        f"{BASE}/assessments",
        {"code": "a", "title_en": "A", "title_zh": "甲", "max_score": 50, "pass_mark": 60},
    )
    assert (bad.status_code, bad.json()["details"]) == (400, {"field": "pass_mark"})
    assert not Assessment.objects.exists()
    good = admin.post(
        f"{BASE}/assessments",
        {"code": "a", "title_en": "A", "title_zh": "甲", "max_score": 50, "pass_mark": 40},
    )
    assert good.status_code == 201
    assert admin.get(f"{BASE}/assessments").json()[0]["pass_mark"] == 40


def test_skill_set_and_remove_by_lead(api_as, world):
    SkillFactory(code="t-wechat")
    lead = api_as(world["lead"].user)
    path = f"/agents/{world['ann'].pk}/skills/t-wechat"
    assert _send(lead, "PUT", path, {"level": 4}).json() == {
        "agent_id": world["ann"].pk,
        "skill": "t-wechat",
        "level": 4,
    }
    bad = _send(lead, "PUT", path, {"level": 9})
    assert (bad.status_code, bad.json()["details"]) == (400, {"field": "level"})
    unknown = _send(lead, "PUT", f"/agents/{world['ann'].pk}/skills/nope", {"level": 2})
    assert unknown.status_code == 404
    other = _send(lead, "PUT", f"/agents/{world['outsider'].pk}/skills/t-wechat", {"level": 2})
    assert other.status_code == 404
    assert AgentSkill.objects.get(agent=world["ann"], skill__code="t-wechat").level == 4
    assert _send(lead, "DELETE", path).status_code == 204
    assert _send(lead, "DELETE", path).status_code == 404
    assert not AgentSkill.objects.filter(agent=world["ann"], skill__code="t-wechat").exists()


def test_matrix_for_a_lead_with_routing_needs(api_as, world):
    skill = SkillFactory(code="t-billing")
    category = Category.objects.filter(parent__isnull=False).first() or Category.objects.create(
        code="t-billing-cat", name_en="Billing", name_zh="账单", family="product"
    )
    CategorySkill.objects.create(category=category, skill=skill, min_level=2)
    AgentSkill.objects.create(agent=world["ann"], skill=skill, level=3)
    AgentSkill.objects.create(agent=world["outsider"], skill=skill, level=5)
    response = api_as(world["lead"].user).get(f"{BASE}/matrix", team_id=world["team"].pk)
    assert response.status_code == 200, response.content
    body = response.json()
    names = [row["agent"]["display_name"] for row in body["rows"]]
    assert names == ["Ann", "Bob", "Lena"]
    index = [entry["skill"]["code"] for entry in body["skills"]].index("t-billing")
    entry = body["skills"][index]
    assert (entry["needed_level"], entry["competent"], entry["competent_online"]) == (2, 1, 1)
    assert entry["is_gap"] is True  # routing needs it; one competent agent online < 2
    assert [row["levels"][index] for row in body["rows"]] == [3, None, None]
    other = api_as(world["lead"].user).get(f"{BASE}/matrix", team_id=world["other_team"].pk)
    assert other.status_code == 404


def test_mentorship_api(api_as, world):
    lead = api_as(world["lead"].user)
    created = lead.post(
        f"{BASE}/mentorships",
        {"mentor_id": world["ann"].pk, "mentee_id": world["bob"].pk, "goals": "退款流程"},
    )
    assert created.status_code == 201, created.content
    assert created.json()["mentor"]["display_name"] == "Ann"
    second = lead.post(
        f"{BASE}/mentorships", {"mentor_id": world["lead"].pk, "mentee_id": world["bob"].pk}
    )
    assert (second.status_code, second.json()["code"]) == (409, "already_exists")
    own = lead.post(
        f"{BASE}/mentorships", {"mentor_id": world["ann"].pk, "mentee_id": world["ann"].pk}
    )
    assert (own.status_code, own.json()["details"]) == (400, {"field": "mentor"})
    outside = lead.post(
        f"{BASE}/mentorships", {"mentor_id": world["ann"].pk, "mentee_id": world["outsider"].pk}
    )
    assert outside.status_code == 404
    assert Mentorship.objects.count() == 1
    # The mentor sees the pair; the mentee cannot end it; the lead can.
    assert len(api_as(world["ann"].user).get(f"{BASE}/mentorships").json()) == 1
    pair_id = created.json()["id"]
    assert api_as(world["bob"].user).post(f"{BASE}/mentorships/{pair_id}/end").status_code == 403
    ended = lead.post(f"{BASE}/mentorships/{pair_id}/end")
    assert (ended.status_code, ended.json()["is_active"]) == (200, False)
    assert lead.post(f"{BASE}/mentorships/{pair_id}/end").status_code == 409


def test_onboarding_api(api_as, world):
    OnboardingItemFactory(position=1, title_en="Accounts", title_zh="开通账号")
    OnboardingItemFactory(position=2, title_en="Shadowing", title_zh="跟岗")
    CourseFactory(code="t-basics", is_mandatory_for_new_agents=True)
    lead = api_as(world["lead"].user)
    onboarded = lead.post(f"{BASE}/agents/{world['bob'].pk}/onboard", {"started_on": "2026-05-04"})
    assert onboarded.json() == {
        "agent_id": world["bob"].pk,
        "steps_added": 2,
        "courses_assigned": ["t-basics"],
    }
    bob = api_as(world["bob"].user)
    checklist = bob.get(f"{BASE}/onboarding").json()
    assert (checklist["done"], checklist["total"]) == (0, 2)
    assert [step["title_zh"] for step in checklist["steps"]] == ["开通账号", "跟岗"]
    step_id = checklist["steps"][0]["id"]
    ticked = bob.post(f"{BASE}/onboarding/{step_id}/done")
    assert ticked.status_code == 200
    assert ticked.json()["done_by"] == world["bob"].user.username
    assert api_as(world["ann"].user).post(f"{BASE}/onboarding/{step_id}/undo").status_code == 404
    assert lead.get(f"{BASE}/onboarding", agent_id=world["bob"].pk).json()["done"] == 1
    assert lead.post(f"{BASE}/onboarding/{step_id}/undo").json()["done_at"] is None
    assert OnboardingProgress.objects.filter(done_at__isnull=False).count() == 0


def test_onboarding_of_an_existing_agent_via_service_is_visible(api_as, world):
    OnboardingItemFactory()
    agent_onboard(agent=world["ann"], actor=None)
    admin = api_as(world["admin"])
    assert admin.get(f"{BASE}/onboarding", agent_id=world["ann"].pk).json()["total"] == 1
    no_agent = admin.get(f"{BASE}/onboarding")
    assert (no_agent.status_code, no_agent.json()["details"]) == (400, {"field": "agent_id"})


def test_session_auth_works_for_the_pages(world):
    client = Client()
    client.force_login(world["ann"].user)
    assert client.get(f"{BASE}/courses").status_code == 200


def test_routing_needs_are_those_of_the_team_s_categories(world):
    from closeloop.triage.selectors import routing_skill_needs

    ours, theirs, anyones = SkillFactory(), SkillFactory(), SkillFactory()
    family = Category.objects.create(
        code="t-family", name_en="F", name_zh="F", family="product", team=world["team"]
    )
    child = Category.objects.create(
        code="t-child", name_en="C", name_zh="C", family="product", parent=family
    )
    other = Category.objects.create(
        code="t-other", name_en="O", name_zh="O", family="product", team=world["other_team"]
    )
    loose = Category.objects.create(code="t-loose", name_en="L", name_zh="L", family="product")
    CategorySkill.objects.create(category=child, skill=ours, min_level=3)
    CategorySkill.objects.create(category=family, skill=ours, min_level=2)
    CategorySkill.objects.create(category=other, skill=theirs, min_level=4)
    CategorySkill.objects.create(category=loose, skill=anyones, min_level=1)
    needs = routing_skill_needs(world["team"].pk)
    assert (needs[ours.pk], needs[anyones.pk]) == (2, 1)
    assert theirs.pk not in needs
    assert routing_skill_needs()[theirs.pk] == 4


# role -> status for: Ann's records, assign Ann a course, the matrix, add a course,
# Ann's checklist, record Ann's result, set Ann's skill
ROLE_MATRIX = {
    "anonymous": (401, 401, 401, 401, 401, 401, 401),
    "user": (403, 403, 403, 403, 403, 403, 403),
    "ann": (200, 403, 403, 403, 200, 403, 403),
    "bob": (404, 404, 403, 403, 404, 404, 404),
    "lead": (200, 201, 200, 403, 200, 201, 200),
    "other_lead": (404, 404, 200, 403, 404, 404, 404),
    "admin": (200, 201, 200, 201, 200, 201, 200),
}


@pytest.mark.parametrize("role", list(ROLE_MATRIX))
def test_permission_matrix(api_as, world, role):
    other_lead = lead_of(world["other_team"])
    users = {
        "anonymous": None,
        "user": UserFactory(),
        "ann": world["ann"].user,
        "bob": world["bob"].user,
        "lead": world["lead"].user,
        "other_lead": other_lead.user,
        "admin": world["admin"],
    }
    ann = world["ann"].pk
    course, assessment = CourseFactory(), AssessmentFactory()
    SkillFactory(code="t-matrix")
    client = api_as(users[role])
    observed = (
        client.get(f"{BASE}/records", agent_id=ann).status_code,
        client.post(f"{BASE}/records", {"agent_id": ann, "course_id": course.pk}).status_code,
        client.get(f"{BASE}/matrix").status_code,
        client.post(
            f"{BASE}/courses", {"code": f"new-{role}", "title_en": "N", "title_zh": "新"}
        ).status_code,
        client.get(f"{BASE}/onboarding", agent_id=ann).status_code,
        client.post(
            f"{BASE}/assessments/{assessment.pk}/results", {"agent_id": ann, "score": 90}
        ).status_code,
        _send(client, "PUT", f"/agents/{ann}/skills/t-matrix", {"level": 3}).status_code,
    )
    assert observed == ROLE_MATRIX[role]
