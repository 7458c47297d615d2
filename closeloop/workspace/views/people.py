"""People pages: the team view for leads and administrators (skill coverage, training due,
assessment results, mentoring, onboarding) and each agent's own development page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from closeloop.core.errors import CloseloopError
from closeloop.people import selectors
from closeloop.people.events import today
from closeloop.people.models import (
    Agent,
    AgentSkill,
    OnboardingProgress,
    Skill,
    Team,
    TrainingRecord,
)
from closeloop.people.services_onboarding import onboarding_step_done, onboarding_step_undo
from closeloop.people.services_training import training_start
from closeloop.triage.selectors import routing_skill_needs
from closeloop.workspace.access import Requester, workspace_view
from closeloop.workspace.views.lead import lead_view
from closeloop.workspace.views.people_actions import ACTIONS, action_run

DUE_SOON_DAYS = 14
RESULTS_SHOWN = 20


def _language() -> str:
    return get_language() or "en"


@dataclass(frozen=True)
class MatrixColumn:
    """One skill column of the coverage table, labelled in the page's language."""

    code: str
    name: str
    needed_level: int | None
    threshold: int
    competent: int
    competent_online: int
    is_gap: bool


def _team(request: HttpRequest, team_ids: list[int]) -> Team | None:
    teams = Team.objects.filter(pk__in=team_ids)
    raw = request.GET.get("team") or request.POST.get("team")
    if raw and raw.isdigit():
        chosen = teams.filter(pk=int(raw)).first()
        if chosen is not None:
            return chosen
    return teams.order_by("name").first()


@require_http_methods(["GET", "POST"])
@lead_view
def team(request: HttpRequest, requester: Requester, team_ids: list[int]) -> HttpResponse:
    """A team's skills, training, assessments, mentoring and onboarding, with the forms a
    lead uses on them (people_actions.ACTIONS)."""
    chosen = _team(request, team_ids)
    language = _language()
    members = chosen.agents.select_related("user") if chosen else Agent.objects.none()
    posted = request.POST.get("action") if request.method == "POST" else None
    forms = {
        action: form_class(
            request.POST if action == posted else None, agents=members, language=language
        )
        for action, (form_class, _handler) in ACTIONS.items()
    }
    message = error = ""
    status = 200
    if posted is not None:
        if posted in forms:
            message = action_run(
                form=forms[posted], action=posted, requester=requester, language=language
            )
        else:
            error = _("Choose what to change.")
        if message:
            forms[posted] = ACTIONS[posted][0](agents=members, language=language)
        else:
            status = 400
    agents = list(members)
    ids = [agent.pk for agent in agents]
    needed = routing_skill_needs(chosen.pk if chosen else None)
    held = set(AgentSkill.objects.filter(agent_id__in=ids).values_list("skill_id", flat=True))
    shown = [skill for skill in Skill.objects.order_by("code") if skill.pk in held | set(needed)]
    matrix = selectors.skill_coverage(agents, needed=needed, skills=shown)
    day = today()
    open_records = list(selectors.training_open(ids))
    context = {
        "teams": Team.objects.filter(pk__in=team_ids).order_by("name"),
        "team": chosen,
        "columns": [
            MatrixColumn(
                code=cov.skill.code,
                name=cov.skill.display_name(language),
                needed_level=cov.needed_level,
                threshold=cov.threshold,
                competent=cov.competent,
                competent_online=cov.competent_online,
                is_gap=cov.is_gap,
            )
            for cov in matrix.skills
        ],
        "matrix_rows": [
            (agent, list(zip(levels, [cov.skill.code for cov in matrix.skills], strict=True)))
            for agent, levels in matrix.rows()
        ],
        "gaps": [cov.skill.display_name(language) for cov in matrix.gaps],
        "overdue": [
            (record, record.course.title(language))
            for record in open_records
            if record.is_overdue(day)
        ],
        "due_soon": [
            (record, record.course.title(language))
            for record in open_records
            if not record.is_overdue(day) and record.due_on <= day + timedelta(days=DUE_SOON_DAYS)
        ],
        "due_soon_days": DUE_SOON_DAYS,
        "results": [
            (result, result.assessment.title(language))
            for result in selectors.assessment_results(ids)[:RESULTS_SHOWN]
        ],
        "pairs": list(selectors.mentorships(ids, active_only=True)),
        "onboarding": selectors.onboarding_summaries(agents),
        "forms": forms,
        "message": message,
        "error": error,
    }
    return render(request, "workspace/people_team.html", context, status=status)


def _own_step(requester: Requester, raw: str | None) -> OnboardingProgress | None:
    if requester.agent is None or not raw or not raw.isdigit():
        return None
    return (
        OnboardingProgress.objects.select_related("agent", "item")
        .filter(pk=int(raw), agent=requester.agent)
        .first()
    )


def _own_record(requester: Requester, raw: str | None) -> TrainingRecord | None:
    if requester.agent is None or not raw or not raw.isdigit():
        return None
    return (
        TrainingRecord.objects.select_related("agent", "course")
        .filter(pk=int(raw), agent=requester.agent)
        .first()
    )


@require_http_methods(["GET", "POST"])
@workspace_view
def mine(request: HttpRequest, requester: Requester) -> HttpResponse:
    """The signed-in agent's own skills, training, results, mentoring and checklist; they
    can tick checklist steps and start a course."""
    agent = requester.agent
    language = _language()
    message = error = ""
    status = 200
    if request.method == "POST" and agent is not None:
        action = request.POST.get("action")
        step = _own_step(requester, request.POST.get("step"))
        record = _own_record(requester, request.POST.get("record"))
        try:
            if action in ("done", "undo") and step is not None:
                change = onboarding_step_done if action == "done" else onboarding_step_undo
                change(progress=step, actor=requester.user)
                message = _("Checklist updated.")
            elif action == "start" and record is not None:
                training_start(record=record, actor=requester.user)
                message = _("Course started.")
            else:
                error = _("That step or course is not yours, or no longer exists.")
        except CloseloopError as refused:
            error = refused.message
        if error:
            status = 400
    context: dict[str, Any] = {"agent": agent, "message": message, "error": error}
    if agent is not None:
        day = today()
        steps = list(selectors.onboarding_steps(agent))
        context.update(
            skills=[
                (level.skill.display_name(language), level.level)
                for level in AgentSkill.objects.filter(agent=agent).select_related("skill")
            ],
            records=[
                (record, record.course.title(language), record.is_overdue(day))
                for record in selectors.training_records([agent.pk])
            ],
            results=[
                (result, result.assessment.title(language))
                for result in selectors.assessment_results([agent.pk])[:RESULTS_SHOWN]
            ],
            pairs=list(selectors.mentorships([agent.pk])),
            steps=[(step, step.item.title(language)) for step in steps],
            steps_done=sum(step.done_at is not None for step in steps),
        )
    return render(request, "workspace/people_me.html", context, status=status)
