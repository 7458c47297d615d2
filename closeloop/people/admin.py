from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from closeloop.people.models import (
    Agent,
    AgentSkill,
    Assessment,
    AssessmentResult,
    Mentorship,
    OnboardingItem,
    OnboardingProgress,
    PeopleEvent,
    Skill,
    Team,
    TeamMembership,
    TrainingCourse,
    TrainingRecord,
)
from closeloop.people.services_onboarding import agent_onboard


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["agent"]


class AgentSkillInline(admin.TabularInline):
    model = AgentSkill
    extra = 1
    autocomplete_fields = ["skill"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_restricted", "department_head", "expert"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    autocomplete_fields = ["department_head", "expert"]
    inlines = [MembershipInline]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "availability", "capacity", "language", "started_on"]
    list_filter = ["availability", "teams"]
    search_fields = ["display_name", "user__username", "user__email"]
    autocomplete_fields = ["user"]
    inlines = [AgentSkillInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """A new agent gets the onboarding checklist and the mandatory courses."""
        super().save_related(request, form, formsets, change)
        if not change:
            agent_onboard(agent=form.instance, actor=request.user)  # type: ignore[arg-type]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh"]
    search_fields = ["code", "name_en", "name_zh"]


@admin.register(TrainingCourse)
class TrainingCourseAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "title_en",
        "title_zh",
        "skill",
        "skill_level",
        "hours",
        "is_mandatory_for_new_agents",
        "refresher_months",
        "is_active",
    ]
    list_filter = ["is_mandatory_for_new_agents", "is_active", "skill"]
    search_fields = ["code", "title_en", "title_zh"]
    autocomplete_fields = ["skill"]


# Records, results, pairs and checklist progress change through the services (the API and the
# people pages), which enforce the rules and write the audit log; the admin shows them.
class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TrainingRecord)
class TrainingRecordAdmin(ReadOnlyAdmin):
    list_display = ["agent", "course", "status", "due_on", "completed_at", "score"]
    list_filter = ["status", "course"]
    search_fields = ["agent__display_name", "course__code"]
    date_hierarchy = "due_on"


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["code", "title_en", "skill", "course", "max_score", "pass_mark", "is_active"]
    list_filter = ["is_active", "skill"]
    search_fields = ["code", "title_en", "title_zh"]
    autocomplete_fields = ["skill", "course"]


@admin.register(AssessmentResult)
class AssessmentResultAdmin(ReadOnlyAdmin):
    list_display = ["agent", "assessment", "attempt", "score", "passed", "assessed_at"]
    list_filter = ["passed", "assessment"]
    search_fields = ["agent__display_name", "assessment__code"]


@admin.register(Mentorship)
class MentorshipAdmin(ReadOnlyAdmin):
    list_display = ["mentor", "mentee", "started_on", "ends_on", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["mentor__display_name", "mentee__display_name"]


@admin.register(OnboardingItem)
class OnboardingItemAdmin(admin.ModelAdmin):
    list_display = ["position", "title_en", "title_zh", "is_active"]
    list_display_links = ["title_en"]
    list_editable = ["position", "is_active"]
    search_fields = ["title_en", "title_zh"]


@admin.register(OnboardingProgress)
class OnboardingProgressAdmin(ReadOnlyAdmin):
    list_display = ["agent", "item", "done_at", "done_by"]
    list_filter = ["item"]
    search_fields = ["agent__display_name"]


@admin.register(PeopleEvent)
class PeopleEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "agent", "type", "actor"]
    list_filter = ["type"]
    search_fields = ["agent__display_name"]
