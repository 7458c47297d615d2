"""The workspace header: navigation, availability switch, language and sign-out."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist

from closeloop.people.models import Agent, Availability, TeamMembership, TeamRole

register = template.Library()


def _agent_of(user: Any) -> Agent | None:
    try:
        return user.agent  # type: ignore[no-any-return]
    except (ObjectDoesNotExist, AttributeError):
        return None


@register.inclusion_tag("workspace/_nav.html", takes_context=True)
def workspace_nav(context: template.Context) -> dict[str, Any]:
    """What the header shows the signed-in staff member (two small queries at most)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"request": request, "is_staff_member": False, "is_signed_in": False}
    agent = _agent_of(user)
    is_admin = bool(user.is_superuser)
    is_lead = is_admin or (
        agent is not None
        and TeamMembership.objects.filter(agent=agent, role=TeamRole.LEAD).exists()
    )
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "is_signed_in": True,
        "is_staff_member": agent is not None or is_admin,
        "agent": agent,
        "is_lead": is_lead,
        "availabilities": Availability.choices,
        "section": getattr(getattr(request, "resolver_match", None), "url_name", ""),
    }
