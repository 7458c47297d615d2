"""Who is asking: the agent (or administrator) behind a request, and what they may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from closeloop.core import sql
from closeloop.core.errors import PermissionDenied
from closeloop.people.models import Agent, Team, TeamMembership, TeamRole


@dataclass(frozen=True)
class Requester:
    """An authenticated staff member: their agent profile, admin flag and teams."""

    user: User
    agent: Agent | None
    is_admin: bool
    team_ids: frozenset[int]


def requester_for(user: User | AnonymousUser) -> Requester:
    """Return the requester for a logged-in user; refuse users who are not staff."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Sign in first."))
    # Every API request passes here: one compiled read for the agent and their teams.
    rows = sql.select(
        f"SELECT a.id, m.team_id FROM {sql.table(Agent)} a "  # noqa: S608
        f"LEFT JOIN {sql.table(TeamMembership)} m ON m.agent_id = a.id WHERE a.user_id = %s",
        [user.pk],
    )
    agent = sql.get(Agent, rows[0][0]) if rows else None
    is_admin = bool(user.is_superuser)
    if agent is None and not is_admin:
        raise PermissionDenied(_("Only agents and administrators can use this."))
    team_ids = [team_id for _agent, team_id in rows if team_id is not None]
    return Requester(
        user=user,  # type: ignore[arg-type]
        agent=agent,
        is_admin=is_admin,
        team_ids=frozenset(team_ids),
    )


def led_team_ids(requester: Requester) -> frozenset[int]:
    """The teams the requester leads (every team for an administrator)."""
    if requester.is_admin:
        return frozenset(Team.objects.values_list("pk", flat=True))
    if requester.agent is None:
        return frozenset()
    return frozenset(
        TeamMembership.objects.filter(agent=requester.agent, role=TeamRole.LEAD).values_list(
            "team_id", flat=True
        )
    )


def is_lead(requester: Requester) -> bool:
    """A team lead (of at least one team) or an administrator."""
    return requester.is_admin or bool(led_team_ids(requester))


def _managed_ids(requester: Requester) -> QuerySet[TeamMembership, int]:
    return TeamMembership.objects.filter(team_id__in=led_team_ids(requester)).values_list(
        "agent_id", flat=True
    )


def managed_agents(requester: Requester) -> QuerySet[Agent]:
    """The agents whose development the requester manages: members of the teams they lead
    (everyone for an administrator)."""
    if requester.is_admin:
        return Agent.objects.all()
    return Agent.objects.filter(pk__in=_managed_ids(requester))


def visible_agents(requester: Requester) -> QuerySet[Agent]:
    """The agents whose training, results and checklist the requester may see: their own and
    those they manage."""
    if requester.is_admin:
        return Agent.objects.all()
    own = requester.agent.pk if requester.agent is not None else None
    return Agent.objects.filter(Q(pk__in=_managed_ids(requester)) | Q(pk=own))


def can_manage_agent(requester: Requester, agent: Agent) -> bool:
    """Whether the requester may assign, record and change ``agent``'s development."""
    return requester.is_admin or managed_agents(requester).filter(pk=agent.pk).exists()


def can_see_agent(requester: Requester, agent: Agent) -> bool:
    """Whether the requester may see ``agent``'s development: their own, or managed by them."""
    if requester.agent is not None and requester.agent.pk == agent.pk:
        return True
    return can_manage_agent(requester, agent)


def require_manager_of(requester: Requester, agent: Agent) -> None:
    """Refuse unless the requester leads a team of ``agent`` or is an administrator."""
    if not can_manage_agent(requester, agent):
        raise PermissionDenied(_("Only the agent's team lead or an administrator can do this."))


def require_viewer_of(requester: Requester, agent: Agent) -> None:
    """Refuse unless ``agent`` is the requester, in a team they lead, or they are an admin."""
    if not can_see_agent(requester, agent):
        raise PermissionDenied(_("You can see only your own development and your team's."))


def require_admin(requester: Requester) -> None:
    """Refuse anyone but an administrator."""
    if not requester.is_admin:
        raise PermissionDenied(_("Only administrators can do this."))
