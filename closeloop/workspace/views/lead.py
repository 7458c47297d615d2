"""The team lead's pages: the teams' queues with reassignment and the at-risk list, and the
live wall. Only team leads and administrators may open them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from closeloop.core.errors import CloseloopError
from closeloop.core.models import Organization
from closeloop.tickets.models import Ticket
from closeloop.tickets.services import Actor, ticket_assign
from closeloop.workspace.access import Requester, workspace_view
from closeloop.workspace.forms_inbox import ReassignForm
from closeloop.workspace.selectors import (
    assignable_agents,
    lead_team_ids,
    team_agents,
    team_at_risk,
    team_open_tickets,
    team_queues,
    wall,
)
from closeloop.workspace.views.inbox import inbox_rows, is_htmx

WALL_REFRESH_SECONDS = 15
AT_RISK_LIMIT = 50


def lead_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run ``view(request, requester, team_ids, …)`` for a team lead or an administrator;
    everyone else in the workspace gets 403."""

    @workspace_view
    @wraps(view)
    def wrapper(
        request: HttpRequest, requester: Requester, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        team_ids = lead_team_ids(requester)
        if not requester.is_admin and not team_ids:
            return render(
                request,
                "workspace/forbidden.html",
                {"reason": _("This page is for team leads.")},
                status=403,
            )
        return view(request, requester, team_ids, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
@lead_view
def team(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """The lead's teams: counts by status, the open tickets with a reassign form, at risk."""
    led_tickets = Ticket.objects.filter(team_id__in=team_ids)
    form = ReassignForm(request.POST or None, tickets=led_tickets)
    message = ""
    status = 200
    if request.method == "POST":
        is_valid = form.is_valid()
        if requester.agent is None:
            form.add_error(
                None, _("This account has no agent profile, so it cannot act on tickets.")
            )
        if is_valid and requester.agent is not None:
            try:
                with transaction.atomic():
                    ticket_assign(
                        ticket=form.cleaned_data["ticket"],
                        assignee=form.cleaned_data["assignee"],
                        actor=Actor.of_agent(requester.agent),
                        reason="reassigned by the team lead",
                    )
            except CloseloopError as refused:
                form.add_error("ticket", refused.message)
            else:
                prefix = Organization.cached().ticket_number_prefix
                message = _("%(reference)s is now with %(agent)s.") % {
                    "reference": f"{prefix}-{form.cleaned_data['ticket'].number}",
                    "agent": form.cleaned_data["assignee"],
                }
                form = ReassignForm(tickets=led_tickets)
        if form.errors:
            status = 400
    context = {
        "queues": team_queues(team_ids),
        "rows": inbox_rows(list(team_open_tickets(team_ids))),
        "at_risk": inbox_rows(list(team_at_risk(team_ids)[:AT_RISK_LIMIT])),
        "agents": list(assignable_agents()),
        "members": list(team_agents(team_ids)),
        "form": form,
        "message": message,
    }
    return render(request, "workspace/team.html", context, status=status)


@require_GET
@lead_view
def wall_page(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """The live wall; htmx refreshes (every WALL_REFRESH_SECONDS, or on a live change) get
    the body alone."""
    figures = wall(team_ids)
    context = {
        "wall": figures,
        "waiting_rows": inbox_rows(figures.waiting_longest),
        "refresh_seconds": WALL_REFRESH_SECONDS,
    }
    template = "workspace/_wall_body.html" if is_htmx(request) else "workspace/wall.html"
    return render(request, template, context)
