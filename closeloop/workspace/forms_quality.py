"""Forms of the quality pages: scoring a review, disputing it, settling a dispute."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from closeloop.people.models import Agent
from closeloop.quality.models import Criterion, SamplingPlan

MAX_TEXT = 5000


class ReviewForm(forms.Form):
    """One points field and one note per criterion of the review's scorecard, plus notes."""

    notes = forms.CharField(
        label=_("Overall notes"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language() or "en"
        self.criteria = criteria
        for criterion in criteria:
            name = criterion.display_name(language)
            self.fields[f"points_{criterion.key}"] = forms.TypedChoiceField(
                label=name,
                coerce=int,
                choices=[("", "–")] + [(n, str(n)) for n in range(criterion.max_points + 1)],
                help_text=criterion.guidance(language),
                error_messages={"required": _("Give this criterion a score.")},
            )
            self.fields[f"note_{criterion.key}"] = forms.CharField(
                label=_("Note on %(criterion)s") % {"criterion": name},
                required=False,
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 1}),
            )
        self.order_fields([*(name for name in self.fields if name != "notes"), "notes"])

    def rows(self) -> list[tuple[Criterion, forms.BoundField, forms.BoundField]]:
        """Each criterion with its points and note fields, for the template."""
        return [
            (criterion, self[f"points_{criterion.key}"], self[f"note_{criterion.key}"])
            for criterion in self.criteria
        ]


class DisputeForm(forms.Form):
    """The reviewed agent says why the score is wrong."""

    reason = forms.CharField(
        label=_("Why do you dispute this score?"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SettleForm(forms.Form):
    """A lead upholds (with an adjusted score) or rejects a dispute."""

    dispute = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("rejected", _("Reject: the score stands")),
            ("upheld", _("Uphold: adjust the score")),
        ],
    )
    adjusted_score = forms.DecimalField(
        label=_("Adjusted score (0–100)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=MAX_TEXT)

    def clean(self) -> dict[str, Any]:
        """Upholding needs the adjusted score."""
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "upheld" and cleaned.get("adjusted_score") is None:
            self.add_error("adjusted_score", _("Give the adjusted score to uphold the dispute."))
        return cleaned


class CalibrationForm(forms.Form):
    """A lead picks a resolved conversation (by ticket number) and the reviewers."""

    ticket_number = forms.IntegerField(label=_("Ticket number"), min_value=1)
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers (at least two)"),
        queryset=Agent.objects.filter(user__is_active=True).order_by("display_name"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=200)

    def clean_reviewers(self) -> Any:
        """Two reviewers at least."""
        reviewers = self.cleaned_data["reviewers"]
        if len(reviewers) < 2:
            raise forms.ValidationError(_("Choose at least two reviewers."))
        return reviewers


class DrawForm(forms.Form):
    """A lead draws a plan's sample for a week (drawing again changes nothing)."""

    plan = forms.ModelChoiceField(
        label=_("Sampling plan"), queryset=SamplingPlan.objects.filter(is_active=True)
    )
    week = forms.DateField(
        label=_("A day of the week"), widget=forms.DateInput(attrs={"type": "date"})
    )
