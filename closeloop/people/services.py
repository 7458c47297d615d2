"""Changing agents: availability (the routing and chat hand-over react to it)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.core.errors import InvalidInput
from closeloop.people.models import Agent, Availability


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
