"""The demo team's development: skill levels, training courses and records (some overdue),
assessments and results, a mentoring pair for the newest agents, the onboarding checklist.

Run after the demo's people exist (``demo_data._people``); written through the people services
at back-dated instants, so the audit log and the refresher dates read as real history.
"""

from __future__ import annotations

import random
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from closeloop.core import clock
from closeloop.people.models import Agent, Skill, Team, TeamMembership
from closeloop.people.models_development import OnboardingItem, TrainingCourse
from closeloop.people.services import agent_skill_set
from closeloop.people.services_onboarding import (
    agent_onboard,
    mentorship_start,
    onboarding_step_done,
)
from closeloop.people.services_training import (
    assessment_create,
    assessment_result_record,
    course_create,
    training_assign,
    training_complete,
    training_start,
)

# Skills each team works with (codes from triage's default skills).
TEAM_SKILLS = {
    "pre-sales": ("payments", "setup", "app", "invoices"),
    "after-sales": ("returns", "exchanges", "refunds", "repairs", "logistics", "service-recovery"),
    "technical": ("battery", "screen", "hardware", "network", "firmware", "app"),
}
# code, English, Chinese, skill, level, hours, mandatory, refresher months
COURSES = (
    ("service-standards", "Service standards and scripts", "服务规范与话术",
     None, None, "4", True, 12),
    ("privacy", "Customer data and privacy", "客户数据与隐私保护", None, None, "1.5", True, 12),
    ("complaints", "Complaint handling and service recovery", "投诉处理与服务补救",
     "service-recovery", 3, "6", False, 12),
    ("refund-policy", "Refund and return policy", "退换货与退款政策",
     "refunds", 3, "3", False, None),
    ("diagnosis", "Hardware diagnosis by phone", "电话远程硬件诊断",
     "hardware", 3, "8", False, None),
    ("wechat-chat", "Chat and WeChat etiquette", "在线与微信接待礼仪", None, None, "2", True, None),
)  # fmt: skip
# code, English, Chinese, course, max, pass mark
ASSESSMENTS = (
    ("standards-exam", "Service standards exam", "服务规范考试", "service-standards", 100, 80),
    ("complaints-roleplay", "Complaint role-play", "投诉处理情景演练", "complaints", 50, 40),
    ("refund-quiz", "Refund policy quiz", "退款政策测验", "refund-policy", 20, 16),
)
ONBOARDING = (
    ("Accounts, phone and workspace access set up", "开通账号、话机与工作台权限"),
    ("Read the service standards", "阅读服务规范"),
    ("Shadow a senior agent for two days", "跟岗资深客服两天"),
    ("Handle ten tickets with a mentor reviewing", "在导师审核下处理十个工单"),
    ("Pass the service standards exam", "通过服务规范考试"),
    ("First week review with the team lead", "与组长进行首周回顾"),
)
MENTORING_GOALS = "熟悉退换货流程和投诉处理话术 / Learn the returns process and complaint scripts"
NEW_AGENTS = ("zhou.min", "ma.chao")  # joined recently: onboarding in progress, mentored
MENTORS = {"zhou.min": "chen.jing", "ma.chao": "huang.qiang"}
LATE_AGENTS = ("sun.li", "liu.yang", "zhou.min")  # have an overdue course


def _at(instant: datetime) -> AbstractContextManager[None]:
    return clock.frozen_at(instant)


@transaction.atomic
def install_demo_people(*, seed: int = 7) -> dict[str, int]:
    """Add the demo's skills, courses, records, assessments, mentoring and onboarding; return
    counts of what was made."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = clock.now()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    agents = {agent.user.username: agent for agent in Agent.objects.select_related("user")}
    teams: dict[str, list[Agent]] = {}
    leads: dict[str, Agent] = {}
    for membership in TeamMembership.objects.select_related("team", "agent__user"):
        teams.setdefault(membership.team.code, []).append(membership.agent)
        if membership.role == "lead":
            leads[membership.team.code] = membership.agent
    skills = {skill.code: skill for skill in Skill.objects.all()}
    counts = {"skills": 0, "records": 0, "overdue": 0, "results": 0, "mentorships": 0}

    with _at(now - timedelta(days=400)):
        for code, title_en, title_zh, skill, level, hours, mandatory, refresher in COURSES:
            course_create(
                actor=admin,
                code=code,
                title_en=title_en,
                title_zh=title_zh,
                skill=skill if skill in skills else None,
                skill_level=level if skill in skills else None,
                hours=Decimal(hours),
                is_mandatory_for_new_agents=mandatory,
                refresher_months=refresher,
                days_to_complete=21,
            )
        courses = {course.code: course for course in TrainingCourse.objects.all()}
        assessments = {
            code: assessment_create(
                actor=admin,
                code=code,
                title_en=title_en,
                title_zh=title_zh,
                course=courses[course],
                max_score=maximum,
                pass_mark=pass_mark,
            )
            for code, title_en, title_zh, course, maximum, pass_mark in ASSESSMENTS
        }
        OnboardingItem.objects.bulk_create(
            OnboardingItem(position=index, title_en=en, title_zh=zh)
            for index, (en, zh) in enumerate(ONBOARDING, start=1)
        )

    # Skill levels: leads and the experienced are strong in their team's skills.
    for team_code, members in teams.items():
        for agent in members:
            is_new = agent.user.username in NEW_AGENTS
            for code in TEAM_SKILLS.get(team_code, ()):
                if code not in skills or rng.random() < 0.2:
                    continue
                level = rng.choice((1, 2)) if is_new else rng.choice((2, 3, 3, 4, 4, 5))
                lead = leads.get(team_code)
                agent_skill_set(
                    agent=agent,
                    skill=skills[code],
                    level=level,
                    actor=lead.user if lead else admin,
                )
                counts["skills"] += 1

    # Everyone but the newest took the mandatory courses about a year ago, and most more.
    veterans = [
        agent
        for name, agent in agents.items()
        if name not in NEW_AGENTS and not agent.user.is_superuser
    ]
    for agent in veterans:
        taken_at = now - timedelta(days=rng.randint(200, 380))
        for course in courses.values():
            if not course.is_mandatory_for_new_agents and rng.random() < 0.5:
                continue
            with _at(taken_at):
                record = training_assign(agent=agent, course=course, actor=admin)
            with _at(taken_at + timedelta(days=rng.randint(3, 18))):
                training_start(record=record, actor=agent.user)
                training_complete(record=record, score=rng.randint(72, 99), actor=admin)
            counts["records"] += 1
    # Some courses assigned a while ago are overdue; others are due soon.
    for name in LATE_AGENTS:
        if name not in agents:
            continue
        agent = agents[name]
        for course in (courses["complaints"], courses["refund-policy"]):
            if agent.training_records.filter(course=course).exists():
                continue
            with _at(now - timedelta(days=30)):
                training_assign(
                    agent=agent, course=course, actor=admin, due_on=(now - timedelta(days=5)).date()
                )
            counts["records"] += 1
            counts["overdue"] += 1
            break
    for name in ("wang.fang", "zhao.lei"):
        learner = agents.get(name)
        if (
            learner is not None
            and not learner.training_records.filter(course=courses["diagnosis"]).exists()
        ):
            with _at(now - timedelta(days=3)):
                training_assign(agent=learner, course=courses["diagnosis"], actor=admin)
            counts["records"] += 1

    # Assessment results: mostly passes, a few failed first attempts.
    for agent in veterans:
        for code, assessment in assessments.items():
            if code != "standards-exam" and rng.random() < 0.5:
                continue
            assessor = _assessor(agent, leads, teams, admin)
            with _at(now - timedelta(days=rng.randint(30, 300))):
                first = rng.randint(int(assessment.max_score * 0.6), assessment.max_score)
                assessment_result_record(
                    assessment=assessment, agent=agent, score=first, actor=assessor
                )
                counts["results"] += 1
                if first < assessment.pass_mark:
                    assessment_result_record(
                        assessment=assessment,
                        agent=agent,
                        score=rng.randint(assessment.pass_mark, assessment.max_score),
                        actor=assessor,
                    )
                    counts["results"] += 1

    # The newest agents: onboarded three weeks ago, mentored, part-way through the checklist.
    for name in NEW_AGENTS:
        if name not in agents:
            continue
        agent = agents[name]
        joined = now - timedelta(days=rng.randint(12, 24))
        lead = _team_lead(agent, leads, teams)
        actor = lead.user if lead else admin
        with _at(joined):
            agent_onboard(agent=agent, actor=actor, started_on=joined.date())
            mentor = agents.get(MENTORS[name])
            if mentor is not None:
                mentorship_start(
                    mentor=mentor,
                    mentee=agent,
                    actor=actor,
                    goals=MENTORING_GOALS,
                    ends_on=(joined + timedelta(days=90)).date(),
                )
                counts["mentorships"] += 1
        for index, step in enumerate(agent.onboarding.select_related("item")[: rng.randint(2, 4)]):
            with _at(joined + timedelta(days=index * 2 + 1)):
                onboarding_step_done(progress=step, actor=actor)
    return counts


def _team_lead(
    agent: Agent, leads: dict[str, Agent], teams: dict[str, list[Agent]]
) -> Agent | None:
    for code, members in teams.items():
        if agent in members and code in leads and leads[code] != agent:
            return leads[code]
    return None


def _assessor(
    agent: Agent, leads: dict[str, Agent], teams: dict[str, list[Agent]], admin: User | None
) -> User | None:
    """The agent's team lead; for a lead, the department head; else the administrator."""
    lead = _team_lead(agent, leads, teams)
    if lead is not None:
        return lead.user
    head = Team.objects.exclude(department_head=agent).values_list(
        "department_head__user", flat=True
    )
    head_user_id = next((user_id for user_id in head if user_id is not None), None)
    if head_user_id is not None:
        return User.objects.get(pk=head_user_id)
    return admin
