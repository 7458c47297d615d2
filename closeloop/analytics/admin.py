"""Read-only admin views of alerts: rules, alerts, evaluations, notifications and corrective
actions are changed on the alert pages (/agent/analytics/alerts/) or the API, whose services
validate rules and enforce the corrective actions' transitions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from closeloop.analytics.models import (
    Alert,
    AlertEvaluation,
    AlertNotification,
    AlertRule,
    CorrectiveAction,
)
from closeloop.analytics.models_problems import Problem


class ReadOnlyAdmin(admin.ModelAdmin):
    """History to look at, not to edit here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AlertRule)
class AlertRuleAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "metric",
        "comparison",
        "threshold",
        "clear_threshold",
        "is_active",
        "state",
        "last_value",
        "last_evaluated_at",
    ]
    list_filter = ["is_active", "state", "metric"]
    search_fields = ["name"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["rule", "status", "fired_at", "fired_value", "cleared_at", "cleared_value"]
    list_filter = ["status"]


@admin.register(AlertEvaluation)
class AlertEvaluationAdmin(ReadOnlyAdmin):
    list_display = ["rule", "evaluated_at", "value", "sample", "outcome"]
    list_filter = ["outcome"]


@admin.register(AlertNotification)
class AlertNotificationAdmin(ReadOnlyAdmin):
    list_display = ["alert", "event", "channel", "target", "status", "attempts", "last_error"]
    list_filter = ["status", "channel"]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(ReadOnlyAdmin):
    list_display = ["title", "owner", "status", "due_at", "root_cause", "is_improved"]
    list_filter = ["status", "root_cause"]
    search_fields = ["title"]


# --- the metrics engine's goals and baseline (issue 8) -----------------------------------------
from closeloop.analytics.models_engine import BaselinePeriod, Goal  # noqa: E402


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["metric", "comparison", "target", "updated_at"]
    readonly_fields = ["updated_at"]

    def save_model(self, request: Any, obj: Goal, form: Any, change: bool) -> None:
        from closeloop.core import clock

        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)


@admin.register(BaselinePeriod)
class BaselinePeriodAdmin(admin.ModelAdmin):
    list_display = ["start", "end", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request: Any) -> bool:
        return not BaselinePeriod.objects.exists()

    def save_model(self, request: Any, obj: BaselinePeriod, form: Any, change: bool) -> None:
        from closeloop.core import clock

        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    """Problems are worked on their pages (/agent/analytics/review/problems/) or the API."""

    list_display = ["title", "status", "source", "root_cause", "owner", "created_at"]
    list_filter = ["status", "source", "root_cause"]
    search_fields = ["title"]
