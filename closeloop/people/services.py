"""Changing agents: availability (the routing and chat hand-over react to it) and skill
levels (routing uses them)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.core.errors import InvalidInput
from closeloop.people.events import people_event_append
from closeloop.people.models import (
    SKILL_LEVEL_MAX,
    SKILL_LEVEL_MIN,
    Agent,
    AgentSkill,
    Availability,
    Skill,
)
from closeloop.people.models_development import PeopleEventType


@transaction.atomic
def agent_availability_set(*, agent: Agent, availability: str, actor: Agent) -> Agent:
    """Set an agent online, away or offline; going offline hands their open chats on."""
    if availability not in Availability.values:
        raise InvalidInput(_("Choose online, away or offline."), details={"field": "availability"})
    if actor.pk != agent.pk:
        # Only the agent sets their own availability here; leads use the admin.
        raise InvalidInput(
            _("Agents set their own availability."), details={"field": "availability"}
        )
    if agent.availability == availability:
        return agent
    agent.availability = availability
    # save() (not a queryset update): triage's pre_save receiver sees the switch to offline.
    agent.save(update_fields=["availability"])
    return agent


@transaction.atomic
def agent_skill_set(*, agent: Agent, skill: Skill, level: int, actor: User | None) -> AgentSkill:
    """Set ``agent``'s level in ``skill`` (1–5); routing uses it from the next ticket on."""
    if isinstance(level, bool) or not isinstance(level, int):
        raise InvalidInput(_("The level must be a whole number."), details={"field": "level"})
    if not SKILL_LEVEL_MIN <= level <= SKILL_LEVEL_MAX:
        raise InvalidInput(
            _("The level must be from %(min)s to %(max)s.")
            % {"min": SKILL_LEVEL_MIN, "max": SKILL_LEVEL_MAX},
            details={"field": "level"},
        )
    current = AgentSkill.objects.select_for_update().filter(agent=agent, skill=skill).first()
    if current is not None and current.level == level:
        return current
    before = current.level if current is not None else None
    if current is None:
        current = AgentSkill(agent=agent, skill=skill, level=level)
    else:
        current.level = level
    # save(), not a bulk write: routing's cache listens for AgentSkill saves.
    current.save()
    people_event_append(
        agent=agent,
        type=PeopleEventType.SKILL_SET,
        actor=actor,
        skill=skill.code,
        level=level,
        before=before,
    )
    return current


@transaction.atomic
def agent_skill_remove(*, agent: Agent, skill: Skill, actor: User | None) -> bool:
    """Take a skill off ``agent``; return whether they had it."""
    current = AgentSkill.objects.filter(agent=agent, skill=skill).first()
    if current is None:
        return False
    before = current.level
    current.delete()  # delete(), so routing's cache hears of it
    people_event_append(
        agent=agent,
        type=PeopleEventType.SKILL_REMOVED,
        actor=actor,
        skill=skill.code,
        before=before,
    )
    return True
