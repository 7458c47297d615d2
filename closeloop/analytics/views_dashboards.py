"""The dashboards under /agent/analytics/: overview, journey and channels, teams and agents,
SLA, surveys, classification quality, and the tickets behind a figure. For team leads and
administrators (``lead_view``); other agents get 403. A wrong period or scope is a 400 page
that says which field is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from closeloop.analytics import dashboard_sections as sections
from closeloop.analytics.dashboards import PRESET_DAYS, Period, overview_data, period_parse
from closeloop.analytics.goals import goals_by_metric
from closeloop.analytics.metrics import metric_get
from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.tickets.models import Channel, Touchpoint
from closeloop.workspace.access import Requester
from closeloop.workspace.views.lead import lead_view

TICKETS_PER_PAGE = 50
# The dashboards (url name, title); the sub-navigation itself is analytics/_subnav.html.
SECTIONS = (
    ("dash-overview", _("Overview")),
    ("dash-journey", _("Journey and channels")),
    ("dash-teams", _("Teams and agents")),
    ("dash-sla", _("SLA")),
    ("dash-surveys", _("Surveys")),
    ("dash-classification", _("Classification")),
)
# Parameters a period change keeps (the rest say the period).
KEPT_PARAMS = ("time", "metric", "part", *sections.SCOPE_PARAMS)


def _dashboard(
    request: HttpRequest,
    template: str,
    page: str,
    build: Callable[[Period], dict[str, Any]],
) -> HttpResponse:
    """Parse the period, build the page's data, render; a wrong period is a 400 page."""
    params = request.GET.dict()
    context: dict[str, Any] = {
        "page": page,
        "presets": PRESET_DAYS,
        "params": params,
        "keep": {k: v for k, v in params.items() if k in KEPT_PARAMS},
    }
    try:
        period = period_parse(params)
        context.update(build(period))
    except CloseloopError as error:
        context["error"] = error.message
        context["error_field"] = error.details.get("field", "")
        return render(request, template, context, status=error.http_status)
    context["period"] = period
    context["period_query"] = urlencode(period.query())
    return render(request, template, context)


@require_GET
@lead_view
def overview(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """Every headline metric with its goal, baseline and trend."""
    business = request.GET.get("time") == "business"

    def build(period: Period) -> dict[str, Any]:
        data = overview_data(period.start, period.end, business=business)
        return {"overview": data, "is_business_time": business}

    return _dashboard(request, "analytics/dash_overview.html", "dash-overview", build)


@require_GET
@lead_view
def journey(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """The customer journey stage by stage, and the channels."""

    def build(period: Period) -> dict[str, Any]:
        stages, channels = sections.journey_data(period)
        return {
            "stages": stages,
            "channels": channels,
            "metrics": [metric_get(key) for key in sections.JOURNEY_METRICS],
            "complaint_goal": goals_by_metric().get("complaint_rate"),
        }

    return _dashboard(request, "analytics/dash_journey.html", "dash-journey", build)


@require_GET
@lead_view
def teams(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """Workload, speed and quality by team and by agent (a lead sees their own teams)."""

    def build(period: Period) -> dict[str, Any]:
        team_rows, agent_rows = sections.team_data(period, None if requester.is_admin else team_ids)
        return {
            "team_rows": team_rows,
            "agent_rows": agent_rows,
            "metrics": [metric_get(key) for key in sections.TEAM_METRICS],
        }

    return _dashboard(request, "analytics/dash_teams.html", "dash-teams", build)


@require_GET
@lead_view
def sla(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """Tickets at risk now; warnings and breaches by policy and team."""

    def build(period: Period) -> dict[str, Any]:
        data = sections.sla_data(period, clock.now())
        return {
            "sla": data,
            "clock_lists": [
                ("risk", data.at_risk, data.at_risk_count),
                ("overdue", data.overdue, data.overdue_count),
            ],
        }

    return _dashboard(request, "analytics/dash_sla.html", "dash-sla", build)


@require_GET
@lead_view
def surveys(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """Score distributions, the latest comments, follow-up outcomes."""

    def build(period: Period) -> dict[str, Any]:
        distributions, comments, outcomes = sections.survey_data(period)
        return {"distributions": distributions, "comments": comments, "outcomes": outcomes}

    return _dashboard(request, "analytics/dash_surveys.html", "dash-surveys", build)


@require_GET
@lead_view
def classification(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """How often the classifier's suggestions stood, and what agents changed them to."""

    def build(period: Period) -> dict[str, Any]:
        return {
            "data": sections.classification_data(period),
            "definition": metric_get("classification_accuracy"),
            "goal": goals_by_metric().get("classification_accuracy"),
        }

    return _dashboard(request, "analytics/dash_classification.html", "dash-classification", build)


@require_GET
@lead_view
def tickets(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """The tickets behind a figure, paginated, each linked to its workspace page."""

    def build(period: Period) -> dict[str, Any]:
        params = request.GET.dict()
        key = params.get("metric", "").strip() or "volume"
        definition = metric_get(key)
        scope = sections.scope_parse(params)
        part = params.get("part", "numerator")
        paginator = Paginator(sections.tickets_for(key, period, scope, part), TICKETS_PER_PAGE)
        page = paginator.get_page(params.get("page"))
        kept = {k: v for k, v in params.items() if k != "page"}
        return {
            "definition": definition,
            "scope": scope.as_dict(),
            "tickets_page": page,
            "kept_query": urlencode(kept),
            "part": part,
            "other_part_query": urlencode(
                {**kept, "part": "sample" if part == "numerator" else "numerator"}
            ),
            "touchpoints": dict(Touchpoint.choices),
            "channels": dict(Channel.choices),
        }

    return _dashboard(request, "analytics/dash_tickets.html", "dash-tickets", build)
