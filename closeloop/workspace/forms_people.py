"""Forms of the people team page: a lead sets skill levels, assigns and completes courses,
records assessment results, pairs mentors and onboards new agents."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from closeloop.people.models import SKILL_LEVEL_MAX, SKILL_LEVEL_MIN, Agent, Skill
from closeloop.people.models_development import (
    OPEN_TRAINING,
    Assessment,
    Mentorship,
    TrainingCourse,
    TrainingRecord,
)

REMOVE = "0"


class _AgentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class _SkillChoice(forms.ModelChoiceField):
    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = language

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name(self.language))


class _CourseChoice(_SkillChoice):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title(self.language)} ({obj.code})"


class _TeamForm(forms.Form):
    """A form over one team's agents (and what hangs off them)."""

    prefix_name = ""

    def __init__(self, *args: Any, agents: QuerySet[Agent], language: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.prefix_name)
        super().__init__(*args, **kwargs)
        self.language = language
        for field in self.fields.values():
            if isinstance(field, _AgentChoice):
                field.queryset = agents
            if isinstance(field, _SkillChoice):
                field.language = language
        self.limit_to(agents)

    def limit_to(self, agents: QuerySet[Agent]) -> None:
        """Narrow the other choices to ``agents``' rows (subclasses)."""


class SkillLevelForm(_TeamForm):
    """Set (or remove) one team member's level in one skill."""

    prefix_name = "skill"
    agent = _AgentChoice(label=_("Agent"), queryset=Agent.objects.none(), empty_label=None)
    skill = _SkillChoice(
        label=_("Skill"),
        queryset=Skill.objects.order_by("code"),
        to_field_name="code",
        empty_label=None,
        language="en",
    )
    level = forms.TypedChoiceField(
        label=_("Level"),
        coerce=int,
        choices=[
            *[(str(n), str(n)) for n in range(SKILL_LEVEL_MIN, SKILL_LEVEL_MAX + 1)],
            (REMOVE, _("Remove the skill")),
        ],
    )


class AssignCourseForm(_TeamForm):
    """Enrol one team member in one course, optionally due on a given day."""

    prefix_name = "assign"
    agent = _AgentChoice(label=_("Agent"), queryset=Agent.objects.none(), empty_label=None)
    course = _CourseChoice(
        label=_("Course"),
        queryset=TrainingCourse.objects.filter(is_active=True).order_by("code"),
        empty_label=None,
        language="en",
    )
    due_on = forms.DateField(
        label=_("Due on (empty: the course's usual time)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class _RecordChoice(forms.ModelChoiceField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = "en"

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.agent.display_name}: {obj.course.title(self.language)}"


class CompleteCourseForm(_TeamForm):
    """Record an open course as completed, with its score."""

    prefix_name = "complete"
    record = _RecordChoice(
        label=_("Enrolment"), queryset=TrainingRecord.objects.none(), empty_label=None
    )
    score = forms.IntegerField(
        label=_("Score (0–100, optional)"), required=False, min_value=0, max_value=100
    )

    def limit_to(self, agents: QuerySet[Agent]) -> None:
        field = self.fields["record"]
        field.queryset = (  # type: ignore[attr-defined]
            TrainingRecord.objects.filter(agent__in=agents, status__in=OPEN_TRAINING)
            .select_related("agent", "course")
            .order_by("agent__display_name", "due_on")
        )
        field.language = self.language  # type: ignore[attr-defined]


class _AssessmentChoice(_SkillChoice):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title(self.language)} ({obj.pass_mark}/{obj.max_score})"


class ResultForm(_TeamForm):
    """Record one attempt at an assessment."""

    prefix_name = "result"
    assessment = _AssessmentChoice(
        label=_("Assessment"),
        queryset=Assessment.objects.filter(is_active=True).order_by("code"),
        empty_label=None,
        language="en",
    )
    agent = _AgentChoice(label=_("Agent"), queryset=Agent.objects.none(), empty_label=None)
    score = forms.IntegerField(label=_("Score"), min_value=0, max_value=1000)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)


class MentorForm(_TeamForm):
    """Pair a mentor with a mentee from the team."""

    prefix_name = "mentor"
    mentor = _AgentChoice(label=_("Mentor"), queryset=Agent.objects.none(), empty_label=None)
    mentee = _AgentChoice(label=_("Mentee"), queryset=Agent.objects.none(), empty_label=None)
    goals = forms.CharField(label=_("Goals"), required=False, max_length=4000)
    ends_on = forms.DateField(
        label=_("Planned end (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class EndMentoringForm(_TeamForm):
    """End one of the team's active mentoring pairs."""

    prefix_name = "end"
    pair = forms.ModelChoiceField(queryset=Mentorship.objects.none(), widget=forms.HiddenInput)

    def limit_to(self, agents: QuerySet[Agent]) -> None:
        self.fields["pair"].queryset = Mentorship.objects.filter(  # type: ignore[attr-defined]
            mentee__in=agents, is_active=True
        ).select_related("mentor", "mentee")


class OnboardForm(_TeamForm):
    """Give a team member the checklist and the mandatory courses."""

    prefix_name = "onboard"
    agent = _AgentChoice(label=_("Agent"), queryset=Agent.objects.none(), empty_label=None)
