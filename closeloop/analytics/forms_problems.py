"""Forms of the problem and monthly review pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.analytics.models import RootCause
from closeloop.analytics.models_problems import DetectionSource, Problem, ProblemStatus
from closeloop.people.models import Agent
from closeloop.triage.models import Category


def _owners() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Owner"),
        queryset=Agent.objects.filter(user__is_active=True).order_by("display_name"),
        required=False,
    )


def _categories() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        required=False,
    )


class MonthForm(forms.Form):
    """Which month the review shows."""

    month = forms.CharField(
        label=_("Month (YYYY-MM)"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"}),
    )


class ProblemFilterForm(forms.Form):
    """The problem list's filters."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), ("active", _("Still being worked on")), *ProblemStatus.choices],
    )
    root_cause = forms.ChoiceField(
        label=_("Root cause"), required=False, choices=[("", _("Any")), *RootCause.choices]
    )
    source = forms.ChoiceField(
        label=_("Detected by"), required=False, choices=[("", _("Any")), *DetectionSource.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"] = _categories()


class ProblemForm(forms.Form):
    """Record a problem, or change its description, category, owner and root cause."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    root_cause = forms.ChoiceField(
        label=_("Root cause"),
        required=False,
        choices=[("", _("Not yet known")), *RootCause.choices],
    )
    root_cause_notes = forms.CharField(
        label=_("Root cause analysis"), widget=forms.Textarea, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"] = _categories()
        self.fields["owner"] = _owners()

    @staticmethod
    def initial_for(problem: Problem) -> dict[str, Any]:
        """The form's values for an existing problem."""
        return {
            "title": problem.title,
            "description": problem.description,
            "root_cause": problem.root_cause,
            "root_cause_notes": problem.root_cause_notes,
            "category": problem.category_id,
            "owner": problem.owner_id,
        }


class LinkTicketsForm(forms.Form):
    """Ticket numbers to link to a problem."""

    numbers = forms.CharField(
        label=_("Ticket numbers"),
        help_text=_("Separated by commas or spaces."),
        max_length=5000,
    )


class ProblemActionForm(forms.Form):
    """A corrective action for a problem."""

    action_title = forms.CharField(label=_("Corrective action"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action_owner"] = _owners()
