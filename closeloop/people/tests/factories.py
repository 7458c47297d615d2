"""Factories for agents, teams, skills, courses, assessments and onboarding steps."""

from __future__ import annotations

import factory
from django.contrib.auth.models import User

from closeloop.people.models import (
    Agent,
    Assessment,
    Availability,
    OnboardingItem,
    Skill,
    Team,
    TeamMembership,
    TeamRole,
    TrainingCourse,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    code = factory.Sequence(lambda n: f"team-{n}")


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent

    user = factory.SubFactory(UserFactory)
    display_name = factory.LazyAttribute(lambda agent: agent.user.username.title())
    availability = Availability.ONLINE


def member(agent: Agent, team: Team, *, role: str = TeamRole.MEMBER) -> TeamMembership:
    """Put ``agent`` in ``team``."""
    return TeamMembership.objects.create(agent=agent, team=team, role=role)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    code = factory.Sequence(lambda n: f"skill-{n}")
    name_en = factory.LazyAttribute(lambda skill: skill.code.title())
    name_zh = factory.LazyAttribute(lambda skill: f"技能{skill.code}")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingCourse

    code = factory.Sequence(lambda n: f"course-{n}")
    title_en = factory.LazyAttribute(lambda course: f"Course {course.code}")
    title_zh = factory.LazyAttribute(lambda course: f"课程 {course.code}")


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    code = factory.Sequence(lambda n: f"assessment-{n}")
    title_en = factory.LazyAttribute(lambda item: f"Assessment {item.code}")
    title_zh = factory.LazyAttribute(lambda item: f"考核 {item.code}")
    max_score = 100
    pass_mark = 80


class OnboardingItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnboardingItem

    position = factory.Sequence(lambda n: n)
    title_en = factory.Sequence(lambda n: f"Step {n}")
    title_zh = factory.Sequence(lambda n: f"步骤 {n}")


def lead_of(team: Team, **kwargs: object) -> Agent:
    """A new agent who leads ``team``."""
    agent = AgentFactory(**kwargs)
    member(agent, team, role=TeamRole.LEAD)
    return agent
