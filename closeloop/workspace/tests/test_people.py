"""The people pages: the team view for leads (numbers, forms) refused to plain agents, and
each agent's own development page (their checklist and courses, nobody else's)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from closeloop.core.clock import frozen_at
from closeloop.people.models import Agent, AgentSkill, Availability, TrainingRecord
from closeloop.people.services_onboarding import agent_onboard, mentorship_start
from closeloop.people.services_training import assessment_result_record, training_assign
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

pytestmark = pytest.mark.django_db

TEAM_PAGE = "/agent/people/team/"
MY_PAGE = "/agent/people/"
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def _client(user, language: str = "en") -> Client:  # noqa: ANN001
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _cell(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, element_id
    return match.group(1)


@pytest.fixture
def team_world():
    team = TeamFactory(name="After-sales")
    lead = lead_of(team, display_name="Lena")
    ann = AgentFactory(display_name="Ann", availability=Availability.ONLINE)
    bob = AgentFactory(display_name="Bob", availability=Availability.OFFLINE)
    member(ann, team)
    member(bob, team)
    outsider = AgentFactory(display_name="Oscar")
    member(outsider, TeamFactory())
    refunds = SkillFactory(code="t-refunds", name_en="Refund rules", name_zh="退款规则")
    AgentSkill.objects.create(agent=ann, skill=refunds, level=4)
    AgentSkill.objects.create(agent=bob, skill=refunds, level=3)
    AgentSkill.objects.create(agent=lead, skill=refunds, level=1)
    return {"team": team, "lead": lead, "ann": ann, "bob": bob, "outsider": outsider}


def test_anonymous_is_sent_to_sign_in_and_plain_agents_are_refused(team_world):
    assert Client().get(TEAM_PAGE).status_code == 302
    refused = _client(team_world["ann"].user).get(TEAM_PAGE)
    assert refused.status_code == 403
    assert b"Skill coverage" not in refused.content
    assert _client(UserFactory()).get(MY_PAGE).status_code == 403


def test_lead_sees_the_team_numbers(team_world):
    ann, bob = team_world["ann"], team_world["bob"]
    with frozen_at(NOW):
        training_assign(agent=ann, course=CourseFactory(), actor=None, due_on=date(2026, 6, 2))
        training_assign(agent=bob, course=CourseFactory(), actor=None, due_on=date(2026, 6, 10))
        training_assign(agent=bob, course=CourseFactory(), actor=None, due_on=date(2026, 9, 1))
        training_assign(
            agent=team_world["outsider"], course=CourseFactory(), actor=None, due_on=NOW.date()
        )
        assessment_result_record(
            assessment=AssessmentFactory(title_en="Refund quiz", pass_mark=80),
            agent=bob,
            score=65,
            actor=team_world["lead"].user,
        )
        mentorship_start(mentor=ann, mentee=bob, actor=None)
    OnboardingItemFactory()
    OnboardingItemFactory()
    agent_onboard(agent=bob, actor=None)
    with frozen_at(datetime(2026, 6, 5, 2, 0, tzinfo=UTC)):
        response = _client(team_world["lead"].user).get(TEAM_PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Team skills and training: After-sales" in html
    # Coverage: Ann 4 and Bob 3 are competent; only Ann is online; the lead (1) is not.
    assert re.search(r'class="competent" data-skill="t-refunds">2<', html)
    assert re.search(r'class="competent-online" data-skill="t-refunds">1<', html)
    gaps = html.split('id="gaps"')[1].split("</p>")[0]
    assert "Refund rules" not in gaps  # covered, and routing does not need it
    assert _cell(html, "overdue-count") == "1"
    assert _cell(html, "due-soon-count") == "1"
    assert "Oscar" not in html
    assert "Refund quiz" in html
    assert "Failed" in html
    assert "Ann mentors Bob since 2026-06-01" in html
    assert 'max="2" value="0"' in html


def test_team_page_in_chinese_and_routing_gap(team_world):
    from closeloop.triage.models import Category, CategorySkill

    skill = SkillFactory(code="t-wechat", name_en="WeChat", name_zh="微信渠道")
    category = Category.objects.first() or Category.objects.create(
        code="t-cat", name_en="Cat", name_zh="类", family="product"
    )
    CategorySkill.objects.create(category=category, skill=skill, min_level=2)
    AgentSkill.objects.create(agent=team_world["ann"], skill=skill, level=3)
    html = _client(team_world["lead"].user, "zh-hans").get(TEAM_PAGE).content.decode()
    assert "微信渠道" in html
    assert "退款规则" in html
    assert re.search(r'class="competent is-gap" data-skill="t-wechat">1', html)
    assert "微信渠道" in html.split('id="gaps"')[1].split("</p>")[0]


def test_lead_sets_a_level_only_for_their_team(team_world):
    client = _client(team_world["lead"].user)
    ok = client.post(
        TEAM_PAGE,
        {
            "action": "skill",
            "skill-agent": team_world["bob"].pk,
            "skill-skill": "t-refunds",
            "skill-level": "5",
        },
    )
    assert ok.status_code == 200
    assert "Bob is now at level 5 in Refund rules." in ok.content.decode()
    assert AgentSkill.objects.get(agent=team_world["bob"]).level == 5
    refused = client.post(
        TEAM_PAGE,
        {
            "action": "skill",
            "skill-agent": team_world["outsider"].pk,
            "skill-skill": "t-refunds",
            "skill-level": "5",
        },
    )
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.content.decode()
    assert not AgentSkill.objects.filter(agent=team_world["outsider"]).exists()
    removed = client.post(
        TEAM_PAGE,
        {
            "action": "skill",
            "skill-agent": team_world["bob"].pk,
            "skill-skill": "t-refunds",
            "skill-level": "0",
        },
    )
    assert removed.status_code == 200
    assert not AgentSkill.objects.filter(agent=team_world["bob"]).exists()


def test_lead_assigns_a_course_and_errors_show_beside_the_field(team_world):
    course = CourseFactory(title_en="Complaint handling")
    client = _client(team_world["lead"].user)
    data = {"action": "assign", "assign-agent": team_world["ann"].pk, "assign-course": course.pk}
    assert client.post(TEAM_PAGE, data).status_code == 200
    twice = client.post(TEAM_PAGE, data)
    assert twice.status_code == 400
    assert "already enrolled" in twice.content.decode()
    with frozen_at(NOW):
        past = client.post(
            TEAM_PAGE, {**data, "assign-agent": team_world["bob"].pk, "assign-due_on": "2026-01-01"}
        )
    assert past.status_code == 400
    assert 'id="id_assign-due_on-error"' in past.content.decode()
    assert TrainingRecord.objects.count() == 1


def test_agent_page_shows_own_development_and_ticks_own_steps(team_world):
    ann: Agent = team_world["ann"]
    OnboardingItemFactory(title_en="Set up accounts", title_zh="开通账号")
    CourseFactory(title_en="Basics", title_zh="基础", is_mandatory_for_new_agents=True)
    agent_onboard(agent=ann, actor=None)
    agent_onboard(agent=team_world["bob"], actor=None)
    client = _client(ann.user)
    html = client.get(MY_PAGE).content.decode()
    assert "Set up accounts" in html
    assert "Basics" in html
    assert "Refund rules: level 4" in html
    step = ann.onboarding.get()
    ticked = client.post(MY_PAGE, {"action": "done", "step": step.pk})
    assert ticked.status_code == 200
    step.refresh_from_db()
    assert step.done_by == ann.user
    other = team_world["bob"].onboarding.get()
    refused = client.post(MY_PAGE, {"action": "done", "step": other.pk})
    assert refused.status_code == 400
    other.refresh_from_db()
    assert other.done_at is None
    record = ann.training_records.get()
    started = client.post(MY_PAGE, {"action": "start", "record": record.pk})
    assert started.status_code == 200
    record.refresh_from_db()
    assert record.status == "in_progress"
    chinese = _client(ann.user, "zh-hans").get(MY_PAGE).content.decode()
    assert "开通账号" in chinese
    assert "基础" in chinese


def test_nav_links_people_by_role(team_world):
    lead_html = _client(team_world["lead"].user).get(MY_PAGE).content.decode()
    assert f'href="{TEAM_PAGE}"' in lead_html
    agent_html = _client(team_world["ann"].user).get(MY_PAGE).content.decode()
    assert f'href="{MY_PAGE}" aria-current="page"' in agent_html
    assert f'href="{TEAM_PAGE}"' not in agent_html


def test_team_page_queries_do_not_grow_with_the_team(team_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(team_world["lead"].user)
    training_assign(agent=team_world["ann"], course=CourseFactory(), actor=None)

    def count() -> int:
        client.get(TEAM_PAGE)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TEAM_PAGE).status_code == 200
        return len(queries.captured_queries)

    before = count()
    for number in range(5):
        newcomer = AgentFactory(display_name=f"New {number}")
        member(newcomer, team_world["team"])
        training_assign(agent=newcomer, course=CourseFactory(), actor=None)
        AgentSkill.objects.create(agent=newcomer, skill=SkillFactory(), level=3)
    assert count() == before


def test_lead_completes_records_results_pairs_and_onboards_on_the_page(team_world):
    from closeloop.people.models import AssessmentResult, Mentorship, OnboardingProgress

    ann, bob, lead = team_world["ann"], team_world["bob"], team_world["lead"]
    client = _client(lead.user)
    record = training_assign(agent=ann, course=CourseFactory(title_en="Privacy"), actor=None)
    done = client.post(
        TEAM_PAGE, {"action": "complete", "complete-record": record.pk, "complete-score": "91"}
    )
    assert done.status_code == 200
    assert "Ann completed Privacy." in done.content.decode()
    record.refresh_from_db()
    assert (record.status, record.score) == ("completed", 91)

    quiz = AssessmentFactory(title_en="Quiz", max_score=20, pass_mark=15)
    passed = client.post(
        TEAM_PAGE,
        {
            "action": "result",
            "result-assessment": quiz.pk,
            "result-agent": bob.pk,
            "result-score": 18,
        },
    )
    assert "Bob passed Quiz (attempt 1)." in passed.content.decode()
    too_high = client.post(
        TEAM_PAGE,
        {
            "action": "result",
            "result-assessment": quiz.pk,
            "result-agent": bob.pk,
            "result-score": 21,
        },
    )
    assert too_high.status_code == 400
    assert 'id="id_result-score-error"' in too_high.content.decode()
    assert AssessmentResult.objects.count() == 1

    paired = client.post(
        TEAM_PAGE,
        {
            "action": "mentor",
            "mentor-mentor": ann.pk,
            "mentor-mentee": bob.pk,
            "mentor-goals": "退款",
        },
    )
    assert "Ann now mentors Bob." in paired.content.decode()
    again = client.post(
        TEAM_PAGE, {"action": "mentor", "mentor-mentor": lead.pk, "mentor-mentee": bob.pk}
    )
    assert again.status_code == 400
    assert "already has an active mentor" in again.content.decode()
    pair = Mentorship.objects.get()
    ended = client.post(TEAM_PAGE, {"action": "end", "end-pair": pair.pk})
    assert "Ann no longer mentors Bob." in ended.content.decode()
    pair.refresh_from_db()
    assert pair.is_active is False

    OnboardingItemFactory()
    onboarded = client.post(TEAM_PAGE, {"action": "onboard", "onboard-agent": bob.pk})
    assert onboarded.status_code == 200
    assert OnboardingProgress.objects.filter(agent=bob).count() == 1


def test_page_actions_refuse_another_team_s_rows(team_world):
    from closeloop.people.models import Mentorship

    outsider = team_world["outsider"]
    other_mentee = AgentFactory()
    member(other_mentee, outsider.teams.get())
    pair = mentorship_start(mentor=outsider, mentee=other_mentee, actor=None)
    record = training_assign(agent=outsider, course=CourseFactory(), actor=None)
    client = _client(team_world["lead"].user)
    responses = [
        client.post(TEAM_PAGE, {"action": "end", "end-pair": pair.pk}),
        client.post(TEAM_PAGE, {"action": "complete", "complete-record": record.pk}),
        client.post(TEAM_PAGE, {"action": "onboard", "onboard-agent": outsider.pk}),
        client.post(TEAM_PAGE, {"action": "nonsense"}),
    ]
    assert [response.status_code for response in responses] == [400, 400, 400, 400]
    assert Mentorship.objects.get().is_active is True
    record.refresh_from_db()
    assert record.status == "assigned"
    assert not outsider.onboarding.exists()


def test_admin_without_an_agent_profile_sees_any_team_and_no_own_page(team_world):
    admin = UserFactory(is_superuser=True)
    other = team_world["outsider"].teams.get()
    client = _client(admin)
    html = client.get(TEAM_PAGE, {"team": other.pk}).content.decode()
    assert f"Team skills and training: {other.name}" in html
    assert "Oscar" in html
    mine = client.get(MY_PAGE)
    assert mine.status_code == 200
    assert "has no agent profile" in mine.content.decode()
