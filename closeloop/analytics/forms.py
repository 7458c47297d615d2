"""Forms of the alert pages: an alert rule, and a corrective action's analysis."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.analytics.metrics import all_metrics
from closeloop.analytics.models import AlertRule, Comparison, CorrectiveAction, RootCause
from closeloop.core.errors import CloseloopError
from closeloop.people.models import Agent, Team
from closeloop.sla.models import Calendar
from closeloop.tickets.models import Channel, Touchpoint
from closeloop.triage.models import Category

HOURS_PER_UNIT = {"days": 24, "hours": 1}


class _AgentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class _CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name_en} / {obj.name_zh} ({obj.code})"


def attach_error(form: forms.Form, error: CloseloopError) -> None:
    """Show a service's refusal beside the field it names (or above the form)."""
    aliases = {"team_id": "team", "owner_id": "owner", "window_hours": "window"}
    named = str(error.details.get("field", ""))
    field = aliases.get(named, named)
    form.add_error(field if field in form.fields else None, str(error.message))


class AlertRuleForm(forms.Form):
    """Create or change an alert rule."""

    name = forms.CharField(label=_("Name"), max_length=150)
    metric = forms.ChoiceField(label=_("Metric"))
    comparison = forms.ChoiceField(label=_("Fires when the value is"), choices=Comparison.choices)
    threshold = forms.FloatField(label=_("Threshold"))
    clear_threshold = forms.FloatField(
        label=_("Clears when back past"),
        help_text=_("For a rule firing above: at or below the threshold (e.g. 10 and 8)."),
    )
    window = forms.IntegerField(label=_("Rolling window"), min_value=1, initial=7)
    window_unit = forms.ChoiceField(
        label=_("Window unit"), choices=[("days", _("days")), ("hours", _("hours"))]
    )
    min_sample = forms.IntegerField(label=_("Minimum sample"), min_value=1, initial=30)
    touchpoint = forms.ChoiceField(
        label=_("Touchpoint"), required=False, choices=[("", _("Any")), *Touchpoint.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *Channel.choices]
    )
    category = _CategoryChoice(
        label=_("Category (and below)"),
        required=False,
        queryset=Category.objects.filter(is_active=True).order_by("family", "order", "code"),
        empty_label=_("Any"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("Any")
    )
    evaluate_every_minutes = forms.IntegerField(
        label=_("Evaluate every (minutes)"), min_value=1, initial=15
    )
    notify_emails = forms.CharField(
        label=_("Notify by email"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One address a line (or separated by commas)."),
    )
    webhook_url = forms.URLField(
        label=_("Webhook URL"), required=False, max_length=500, assume_scheme="https"
    )
    webhook_secret = forms.CharField(
        label=_("Webhook secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current secret."),
    )
    owner = _AgentChoice(
        label=_("Owner of corrective actions"),
        required=False,
        queryset=Agent.objects.order_by("display_name"),
        empty_label=_("The team's lead"),
    )
    calendar = forms.ModelChoiceField(
        label=_("Calendar for due times"),
        required=False,
        queryset=Calendar.objects.all(),
        empty_label=_("Around the clock"),
        to_field_name="name",
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [  # type: ignore[attr-defined]
            (definition.key, f"{definition.label} ({definition.unit})")
            for definition in all_metrics()
        ]

    @staticmethod
    def initial_for(rule: AlertRule) -> dict[str, Any]:
        """The form's initial values from a rule."""
        in_days = rule.window_hours % 24 == 0
        return {
            "name": rule.name,
            "metric": rule.metric,
            "comparison": rule.comparison,
            "threshold": rule.threshold,
            "clear_threshold": rule.clear_threshold,
            "window": rule.window_hours // 24 if in_days else rule.window_hours,
            "window_unit": "days" if in_days else "hours",
            "min_sample": rule.min_sample,
            "touchpoint": rule.touchpoint,
            "channel": rule.channel,
            "category": rule.category_id,
            "team": rule.team_id,
            "evaluate_every_minutes": rule.evaluate_every_minutes,
            "notify_emails": "\n".join(rule.notify_emails),
            "webhook_url": rule.webhook_url,
            "owner": rule.owner_id,
            "calendar": rule.calendar.name if rule.calendar else "",
            "is_active": rule.is_active,
        }

    def service_values(self, *, keep_secret: str = "") -> dict[str, Any]:
        """The cleaned data as the rule services take it."""
        data = dict(self.cleaned_data)
        window_hours = data.pop("window") * HOURS_PER_UNIT[data.pop("window_unit")]
        raw = data["notify_emails"].replace(",", "\n").replace(";", "\n")
        data["notify_emails"] = [line.strip() for line in raw.splitlines() if line.strip()]
        data["webhook_secret"] = data["webhook_secret"] or keep_secret
        return {**data, "window_hours": window_hours}


class CorrectiveActionForm(forms.Form):
    """A corrective action's owner, cause, analysis and measures."""

    title = forms.CharField(label=_("Title"), max_length=200)
    owner = _AgentChoice(
        label=_("Owner"),
        required=False,
        queryset=Agent.objects.order_by("display_name"),
        empty_label=_("Nobody yet"),
    )
    root_cause = forms.ChoiceField(
        label=_("Root cause"),
        required=False,
        choices=[("", _("Not known yet")), *RootCause.choices],
    )
    analysis = forms.CharField(
        label=_("Analysis"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    measures = forms.CharField(
        label=_("Measures"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    check_after_days = forms.IntegerField(
        label=_("Check the effect after (days)"), min_value=1, max_value=365
    )

    @staticmethod
    def initial_for(action: CorrectiveAction) -> dict[str, Any]:
        """The form's initial values from an action."""
        return {
            "title": action.title,
            "owner": action.owner_id,
            "root_cause": action.root_cause,
            "analysis": action.analysis,
            "measures": action.measures,
            "check_after_days": action.check_after_days,
        }
