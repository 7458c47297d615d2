"""Who may do what in quality: leads of an agent's team, administrators, the agent."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from closeloop.core.errors import PermissionDenied
from closeloop.people.access import Requester
from closeloop.people.models import Agent, TeamMembership, TeamRole


def leads_agent(requester: Requester, agent_id: int) -> bool:
    """An administrator, or a lead of a team the agent belongs to."""
    if requester.is_admin:
        return True
    if requester.agent is None:
        return False
    led = TeamMembership.objects.filter(agent=requester.agent, role=TeamRole.LEAD).values("team")
    return TeamMembership.objects.filter(agent_id=agent_id, team__in=led).exists()


def is_quality_lead(requester: Requester) -> bool:
    """An administrator or a lead of some team: may manage plans, calibration and disputes."""
    if requester.is_admin:
        return True
    return (
        requester.agent is not None
        and TeamMembership.objects.filter(agent=requester.agent, role=TeamRole.LEAD).exists()
    )


def require_lead(requester: Requester) -> None:
    """Refuse (403) anyone but a team lead or an administrator."""
    if not is_quality_lead(requester):
        raise PermissionDenied(_("Only team leads and administrators can do this."))


def require_agent(requester: Requester) -> Agent:
    """The requester's agent profile; refuse (403) an administrator without one."""
    if requester.agent is None:
        raise PermissionDenied(_("Only agents can do this."))
    return requester.agent


def reviews_for_requester(requester: Requester) -> Q:
    """The reviews a requester may read: their own (given or received), those of agents they
    lead, and every one for an administrator."""
    if requester.is_admin:
        return Q()
    if requester.agent is None:
        return Q(pk__in=[])
    agent_id = requester.agent.pk
    led = TeamMembership.objects.filter(agent_id=agent_id, role=TeamRole.LEAD).values("team")
    led_agents = TeamMembership.objects.filter(team__in=led).values("agent_id")
    return Q(reviewer_id=agent_id) | Q(agent_id=agent_id) | Q(agent_id__in=led_agents)
