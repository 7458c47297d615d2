"""Forms of the people pages: a lead sets an agent's skill level or assigns a course."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from closeloop.people.models import SKILL_LEVEL_MAX, SKILL_LEVEL_MIN, Agent, Skill
from closeloop.people.models_development import TrainingCourse

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


class SkillLevelForm(forms.Form):
    """Set (or remove) one team member's level in one skill."""

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

    def __init__(self, *args: Any, agents: QuerySet[Agent], language: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "skill")
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents  # type: ignore[attr-defined]
        self.fields["skill"].language = language  # type: ignore[attr-defined]


class AssignCourseForm(forms.Form):
    """Enrol one team member in one course, optionally due on a given day."""

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

    def __init__(self, *args: Any, agents: QuerySet[Agent], language: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents  # type: ignore[attr-defined]
        self.fields["course"].language = language  # type: ignore[attr-defined]
