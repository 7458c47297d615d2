"""The people admin: every model is listed; records, results, pairs and progress are read-only
there (they change through the services, which keep the rules and the audit log)."""

import pytest
from django.test import Client

from closeloop.people.services_onboarding import agent_onboard, mentorship_start
from closeloop.people.services_training import assessment_result_record, training_assign
from closeloop.people.tests.factories import (
    AgentFactory,
    AssessmentFactory,
    CourseFactory,
    OnboardingItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [
    "agent",
    "team",
    "skill",
    "trainingcourse",
    "trainingrecord",
    "assessment",
    "assessmentresult",
    "mentorship",
    "onboardingitem",
    "onboardingprogress",
    "peopleevent",
]


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_every_people_model_lists(admin_client):
    agent, mentor = AgentFactory(), AgentFactory()
    OnboardingItemFactory()
    training_assign(agent=agent, course=CourseFactory(), actor=None)
    assessment_result_record(assessment=AssessmentFactory(), agent=agent, score=90, actor=None)
    mentorship_start(mentor=mentor, mentee=agent, actor=None)
    agent_onboard(agent=agent, actor=None)
    for model in MODELS:
        response = admin_client.get(f"/admin/people/{model}/")
        assert response.status_code == 200, model


@pytest.mark.parametrize(
    "model", ["trainingrecord", "assessmentresult", "mentorship", "onboardingprogress"]
)
def test_service_owned_rows_cannot_be_added_in_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/people/{model}/add/").status_code == 403


def test_a_course_can_be_added_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/people/trainingcourse/add/",
        {
            "code": "refunds-101",
            "title_en": "Refunds",
            "title_zh": "退款",
            "hours": "1.5",
            "days_to_complete": "30",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert admin_client.get("/admin/people/trainingcourse/").content.decode().count("refunds-101")


def test_an_agent_added_in_the_admin_is_onboarded(admin_client):
    from closeloop.people.models import Agent, TrainingRecord

    OnboardingItemFactory(title_en="Accounts")
    CourseFactory(code="basics", is_mandatory_for_new_agents=True)
    user = UserFactory(username="new.agent")
    response = admin_client.post(
        "/admin/people/agent/add/",
        {
            "user": user.pk,
            "display_name": "New Agent",
            "availability": "offline",
            "capacity": "25",
            "language": "zh-hans",
            "skill_levels-TOTAL_FORMS": "0",
            "skill_levels-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    agent = Agent.objects.get(user=user)
    assert agent.onboarding.count() == 1
    assert TrainingRecord.objects.get(agent=agent).course.code == "basics"
    assert agent.started_on is not None
