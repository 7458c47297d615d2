"""What the people team page's forms do: each action is one form and one service call, for a
member of the lead's team (checked again here, not only by the form's choices)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.core.errors import CloseloopError
from closeloop.people.access import Requester, require_manager_of
from closeloop.people.services import agent_skill_remove, agent_skill_set
from closeloop.people.services_onboarding import agent_onboard, mentorship_end, mentorship_start
from closeloop.people.services_training import (
    assessment_result_record,
    training_assign,
    training_complete,
)
from closeloop.workspace.forms_people import (
    REMOVE,
    AssignCourseForm,
    CompleteCourseForm,
    EndMentoringForm,
    MentorForm,
    OnboardForm,
    ResultForm,
    SkillLevelForm,
    _TeamForm,
)

Handler = Callable[[dict[str, Any], User, str], str]


def _skill(data: dict[str, Any], actor: User, language: str) -> str:
    names = {"agent": data["agent"].display_name, "skill": data["skill"].display_name(language)}
    if data["level"] == int(REMOVE):
        agent_skill_remove(agent=data["agent"], skill=data["skill"], actor=actor)
        return _("%(agent)s no longer has %(skill)s.") % names
    agent_skill_set(agent=data["agent"], skill=data["skill"], level=data["level"], actor=actor)
    return _("%(agent)s is now at level %(level)s in %(skill)s.") % {
        **names,
        "level": data["level"],
    }


def _assign(data: dict[str, Any], actor: User, language: str) -> str:
    record = training_assign(
        agent=data["agent"], course=data["course"], actor=actor, due_on=data["due_on"]
    )
    return _("%(course)s assigned to %(agent)s, due %(due)s.") % {
        "course": record.course.title(language),
        "agent": data["agent"].display_name,
        "due": record.due_on.isoformat(),
    }


def _complete(data: dict[str, Any], actor: User, language: str) -> str:
    record = training_complete(record=data["record"], score=data["score"], actor=actor)
    return _("%(agent)s completed %(course)s.") % {
        "agent": record.agent.display_name,
        "course": record.course.title(language),
    }


def _result(data: dict[str, Any], actor: User, language: str) -> str:
    result = assessment_result_record(
        assessment=data["assessment"],
        agent=data["agent"],
        score=data["score"],
        actor=actor,
        notes=data["notes"],
    )
    values = {
        "agent": data["agent"].display_name,
        "assessment": data["assessment"].title(language),
        "attempt": result.attempt,
    }
    if result.passed:
        return _("%(agent)s passed %(assessment)s (attempt %(attempt)s).") % values
    return _("%(agent)s did not pass %(assessment)s (attempt %(attempt)s).") % values


def _mentor(data: dict[str, Any], actor: User, language: str) -> str:
    pair = mentorship_start(
        mentor=data["mentor"],
        mentee=data["mentee"],
        actor=actor,
        goals=data["goals"],
        ends_on=data["ends_on"],
    )
    return _("%(mentor)s now mentors %(mentee)s.") % {
        "mentor": pair.mentor.display_name,
        "mentee": pair.mentee.display_name,
    }


def _end(data: dict[str, Any], actor: User, language: str) -> str:
    pair = mentorship_end(mentorship=data["pair"], actor=actor)
    return _("%(mentor)s no longer mentors %(mentee)s.") % {
        "mentor": pair.mentor.display_name,
        "mentee": pair.mentee.display_name,
    }


def _onboard(data: dict[str, Any], actor: User, language: str) -> str:
    done = agent_onboard(agent=data["agent"], actor=actor)
    return _(
        "%(agent)s has %(steps)s new checklist steps and %(courses)s new mandatory courses."
    ) % {
        "agent": data["agent"].display_name,
        "steps": done.steps_added,
        "courses": len(done.courses_assigned),
    }


ACTIONS: dict[str, tuple[type[_TeamForm], Handler]] = {
    "skill": (SkillLevelForm, _skill),
    "assign": (AssignCourseForm, _assign),
    "complete": (CompleteCourseForm, _complete),
    "result": (ResultForm, _result),
    "mentor": (MentorForm, _mentor),
    "end": (EndMentoringForm, _end),
    "onboard": (OnboardForm, _onboard),
}


def _subject(data: dict[str, Any]) -> Any:
    """The team member the action is about."""
    for key in ("agent", "mentee"):
        if key in data:
            return data[key]
    if "record" in data:
        return data["record"].agent
    return data["pair"].mentee


def action_run(*, form: _TeamForm, action: str, requester: Requester, language: str) -> str:
    """Validate ``form`` and run ``action``; return the confirmation, or "" with the reason
    added to the form (beside the field it is about)."""
    if not form.is_valid():
        return ""
    data = form.cleaned_data
    try:
        require_manager_of(requester, _subject(data))
        with transaction.atomic():
            return ACTIONS[action][1](data, requester.user, language)
    except CloseloopError as refused:
        field = refused.details.get("field")
        form.add_error(field if field in form.fields else None, refused.message)
        return ""
