from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from closeloop.triage.models import (
    AgentRouting,
    Category,
    CategorySkill,
    ClassifierVersion,
    RoutingRule,
    Tag,
    TicketTriage,
    TriageCorrection,
    TriageSettings,
)

TREE_ORDER = ["root_order", "root_id", "group_order", "group_id", "leaf_order", "code"]


class CategoryChangeList(ChangeList):
    """The category list in tree order, unless the user sorts by a column."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[Any]:
        if ORDER_VAR in self.params:
            return list(super().get_ordering(request, queryset))
        return TREE_ORDER


class CategorySkillInline(admin.TabularInline):
    model = CategorySkill
    extra = 1
    autocomplete_fields = ["skill"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["tree_name", "code", "name_zh", "parent", "family", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["family", "is_active", "default_kind", "default_priority", "team"]
    search_fields = ["code", "name_en", "name_zh", "description"]
    autocomplete_fields = ["parent", "team"]
    inlines = [CategorySkillInline]
    fieldsets = [
        (None, {"fields": ["parent", "code", "name_en", "name_zh", "description"]}),
        (_("Place"), {"fields": ["family", "order", "is_active"]}),
        (
            _("Defaults for tickets of this category"),
            {"fields": ["default_kind", "default_priority", "team", "sla_policy"]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        # Depth-first order for a tree at most three deep: the root's place, then the
        # group's, then the node's own (a node sorts before its children with -1).
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .annotate(
                root_order=Coalesce("parent__parent__order", "parent__order", "order"),
                root_id=Coalesce("parent__parent_id", "parent_id", "id"),
                group_order=Case(
                    When(parent__isnull=True, then=Value(-1)),
                    When(parent__parent__isnull=True, then=F("order")),
                    default=F("parent__order"),
                    output_field=IntegerField(),
                ),
                group_id=Case(
                    When(parent__isnull=True, then=Value(-1)),
                    When(parent__parent__isnull=True, then=F("id")),
                    default=F("parent_id"),
                    output_field=IntegerField(),
                ),
                leaf_order=Case(
                    When(parent__parent__isnull=False, then=F("order")),
                    default=Value(-1),
                    output_field=IntegerField(),
                ),
            )
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CategoryChangeList

    @admin.display(description=_("name"))
    def tree_name(self, category: Category) -> str:
        if category.parent is None:
            depth = 0
        elif category.parent.parent_id is None:
            depth = 1
        else:
            depth = 2
        return f"{'— ' * depth}{category.name_en}"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "created_at"]
    list_filter = ["category__family"]
    search_fields = ["name"]
    autocomplete_fields = ["category"]


@admin.register(ClassifierVersion)
class ClassifierVersionAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "backend",
        "created_at",
        "trained_by",
        "examples_count",
        "is_active",
        "activated_at",
    ]
    # Activation goes through the API or the triage command (one active, rollback chain).
    readonly_fields = [
        "number",
        "backend",
        "created_at",
        "trained_by",
        "examples_count",
        "labels",
        "evaluation",
        "is_active",
        "activated_at",
        "previous",
    ]
    exclude = ["model"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TriageSettings)
class TriageSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "confidence_threshold", "updated_at"]


@admin.register(TicketTriage)
class TicketTriageAdmin(admin.ModelAdmin):
    list_display = ["ticket", "category", "confidence", "source", "needs_triage", "decided_at"]
    list_filter = ["needs_triage", "source", "category__family"]
    raw_id_fields = ["ticket"]
    autocomplete_fields = ["category"]


@admin.register(TriageCorrection)
class TriageCorrectionAdmin(admin.ModelAdmin):
    list_display = ["ticket", "from_category", "to_category", "agent", "created_at"]
    raw_id_fields = ["ticket"]
    list_select_related = ["from_category", "to_category", "agent"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "is_active", "set_team", "set_agent", "set_priority", "stop"]
    list_editable = ["order", "is_active"]
    filter_horizontal = ["categories"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active", "stop"]}),
        (
            _("When"),
            {
                "fields": [
                    "categories",
                    "kinds",
                    "channels",
                    "priorities",
                    "segments",
                    "languages",
                    "keywords",
                ],
                "description": _(
                    'Lists are JSON, e.g. ["complaint"] or ["wechat", "chat"]; empty matches all.'
                ),
            },
        ),
        (_("Then"), {"fields": ["set_team", "set_agent", "set_priority", "add_tags"]}),
    ]


@admin.register(AgentRouting)
class AgentRoutingAdmin(admin.ModelAdmin):
    list_display = ["agent", "calendar", "last_assigned_at"]
    readonly_fields = ["last_assigned_at"]
