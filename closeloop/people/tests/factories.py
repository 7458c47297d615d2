"""Factories for agents and teams."""

from __future__ import annotations

import factory
from django.contrib.auth.models import User

from closeloop.people.models import Agent, Availability, Team, TeamMembership, TeamRole


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
