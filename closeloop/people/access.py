"""Who is asking: the agent (or administrator) behind a request, and what they may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext as _

from closeloop.core import sql
from closeloop.core.errors import PermissionDenied
from closeloop.people.models import Agent, TeamMembership


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
