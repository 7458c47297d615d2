"""Who is asking: the agent (or administrator) behind a request, and what they may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext as _

from closeloop.core.errors import PermissionDenied
from closeloop.people.models import Agent, TeamRole


@dataclass(frozen=True)
class Requester:
    """An authenticated staff member: their agent profile, admin flag and teams."""

    user: User
    agent: Agent | None
    is_admin: bool
    team_ids: frozenset[int]
    led_team_ids: frozenset[int]

    def can_see_team(self, team_id: int | None, *, is_restricted: bool) -> bool:
        """Restricted teams' tickets are for their members and administrators only."""
        return self.is_admin or not is_restricted or team_id in self.team_ids


def requester_for(user: User | AnonymousUser) -> Requester:
    """Return the requester for a logged-in user; refuse users who are not staff."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Sign in first."))
    agent = Agent.objects.filter(user=user).first()
    is_admin = bool(user.is_superuser)
    if agent is None and not is_admin:
        raise PermissionDenied(_("Only agents and administrators can use this."))
    memberships = list(agent.memberships.values_list("team_id", "role")) if agent else []
    return Requester(
        user=user,  # type: ignore[arg-type]
        agent=agent,
        is_admin=is_admin,
        team_ids=frozenset(team_id for team_id, _role in memberships),
        led_team_ids=frozenset(team_id for team_id, role in memberships if role == TeamRole.LEAD),
    )
