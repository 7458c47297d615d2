from django.contrib import admin

from closeloop.people.models import Agent, AgentSkill, Skill, Team, TeamMembership


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
    list_display = ["display_name", "user", "availability", "capacity", "language"]
    list_filter = ["availability", "teams"]
    search_fields = ["display_name", "user__username", "user__email"]
    autocomplete_fields = ["user"]
    inlines = [AgentSkillInline]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh"]
    search_fields = ["code", "name_en", "name_zh"]
