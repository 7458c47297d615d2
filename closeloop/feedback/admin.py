"""Surveys are configured in the admin; invitations and responses are read-only there (they
change through the services: the sweep, the survey pages, the follow-up API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from closeloop.core import clock
from closeloop.feedback.models import Invitation, Response, Survey, SurveyWebhook


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "survey_type",
        "trigger",
        "is_active",
        "delay_minutes",
        "throttle_days",
        "token_valid_days",
    )
    list_filter = ("survey_type", "trigger", "is_active")
    readonly_fields = ("last_relationship_round_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "survey_type", "trigger", "is_active")}),
        (
            _("Questions"),
            {
                "fields": (
                    "question_en",
                    "question_zh",
                    "follow_up_question_en",
                    "follow_up_question_zh",
                    "allows_comment",
                )
            },
        ),
        (
            _("Sending"),
            {"fields": ("delay_minutes", "throttle_days", "token_valid_days")},
        ),
        (
            _("Closed loop"),
            {"fields": ("low_score_threshold", "comment_ticket_policy")},
        ),
        (
            _("Relationship NPS"),
            {
                "fields": (
                    "relationship_period_days",
                    "relationship_sample_percent",
                    "last_relationship_round_at",
                )
            },
        ),
        (None, {"fields": ("created_at", "updated_at")}),
    )

    def save_model(self, request: HttpRequest, obj: Survey, form: Any, change: bool) -> None:
        now = clock.now()
        if not change:
            obj.created_at = now
        obj.updated_at = now
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("id", "survey", "ticket", "customer", "status", "channel", "scheduled_at")
    list_filter = ("status", "channel", "survey")
    raw_id_fields = ("ticket", "customer", "agent", "team", "message")
    date_hierarchy = "scheduled_at"


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "survey_type",
        "score",
        "ticket",
        "agent",
        "team",
        "channel",
        "answered_at",
        "follow_up_outcome",
    )
    list_filter = ("survey_type", "score", "channel", "follow_up_outcome")
    raw_id_fields = (
        "invitation",
        "ticket",
        "customer",
        "agent",
        "team",
        "follow_up_ticket",
        "comment_ticket",
        "follow_up_recorded_by",
    )
    date_hierarchy = "answered_at"


@admin.register(SurveyWebhook)
class SurveyWebhookAdmin(admin.ModelAdmin):
    list_display = ("url", "is_active", "created_at")
    readonly_fields = ("created_at",)

    def save_model(self, request: HttpRequest, obj: SurveyWebhook, form: Any, change: bool) -> None:
        if not change:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)
