"""Quality configuration in the Django admin: phrase lists of the checks, sampling plans, and
scorecards. A scorecard reviews already use is read-only here (reviews keep their version):
a new version is made through ``POST /api/v1/quality/scorecards``. Reviews, disputes and check
results are read-only: they change through the services only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from closeloop.core import clock
from closeloop.quality.models import (
    CalibrationSession,
    CheckResult,
    Criterion,
    Dispute,
    Phrase,
    Review,
    SamplingPlan,
    Scorecard,
)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _in_use(scorecard: Scorecard | None) -> bool:
    return scorecard is not None and (scorecard.reviews.exists() or scorecard.calibrations.exists())


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    autocomplete_fields = ["standard_article"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _in_use(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _in_use(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _in_use(obj) and super().has_delete_permission(request, obj)


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "name_en", "name_zh", "pass_mark", "is_current"]
    list_filter = ["is_current"]
    readonly_fields = ["version", "is_current", "created_at"]
    inlines = [CriterionInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.created_at is None:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _in_use(obj) and super().has_delete_permission(request, obj)


@admin.register(Phrase)
class PhraseAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "language", "is_active"]
    list_filter = ["kind", "language", "is_active"]
    search_fields = ["text"]


@admin.register(SamplingPlan)
class SamplingPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "scorecard_code", "mode", "amount", "team", "is_active"]
    filter_horizontal = ["reviewers"]
    readonly_fields = ["created_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.created_at is None:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)


@admin.register(Review)
class ReviewAdmin(_ReadOnly):
    list_display = ["ticket", "agent", "reviewer", "status", "score", "passed", "submitted_at"]
    list_filter = ["status", "passed"]


@admin.register(Dispute)
class DisputeAdmin(_ReadOnly):
    list_display = ["review", "raised_by", "status", "original_score", "adjusted_score"]
    list_filter = ["status"]


@admin.register(CheckResult)
class CheckResultAdmin(_ReadOnly):
    list_display = ["ticket", "code", "outcome", "agent", "checked_at"]
    list_filter = ["code", "outcome"]


@admin.register(CalibrationSession)
class CalibrationSessionAdmin(_ReadOnly):
    list_display = ["__str__", "ticket", "scorecard", "created_at"]
