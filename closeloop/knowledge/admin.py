"""The knowledge base in the Django admin. Article changes go through the services, so every
save is a version and the search index follows; usage rows are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import CloseloopError
from closeloop.knowledge import services
from closeloop.knowledge.models import (
    Article,
    ArticleUse,
    ArticleVersion,
    SearchMiss,
    SynonymGroup,
)

# The article fields the form edits; everything else is written by the services.
EDITED_FIELDS = [
    "title", "slug", "language", "translation_of", "category", "summary", "body", "questions",
    "visibility", "related",
]  # fmt: skip


def _check(form: ModelForm, check: Any, field: str, value: Any) -> Any:
    """Run a service's check on a form value; its refusal becomes a form error."""
    try:
        return check(value)
    except CloseloopError as error:
        form.add_error(field, str(error.message))
        return value


class ArticleForm(forms.ModelForm):
    """The article form, with the services' limits (body size, example questions)."""

    class Meta:
        model = Article
        fields = EDITED_FIELDS

    def clean_body(self) -> str:
        return str(
            _check(
                self,
                lambda v: services.clean_text(
                    v, field="body", max_length=services.MAX_BODY_LENGTH, required=True
                ),
                "body",
                self.cleaned_data.get("body", ""),
            )
        )

    def clean_questions(self) -> str:
        value = self.cleaned_data.get("questions", "")
        return str(_check(self, services.clean_questions, "questions", value))


class SynonymGroupForm(forms.ModelForm):
    """Synonym terms checked as the service checks them."""

    class Meta:
        model = SynonymGroup
        fields = ["terms", "is_active"]

    def clean_terms(self) -> str:
        value = self.cleaned_data.get("terms", "")
        return str(_check(self, services.clean_synonym_terms, "terms", value))


class ArticleVersionInline(admin.TabularInline):
    model = ArticleVersion
    fields = ["number", "title", "status", "visibility", "changed_fields", "changed_by", "note"]
    readonly_fields = [
        "number", "title", "status", "visibility", "changed_fields", "changed_by", "note",
    ]  # fmt: skip
    extra = 0
    can_delete = False
    ordering = ["-number"]
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "language",
        "category",
        "status",
        "visibility",
        "version",
        "updated_at",
    ]
    list_filter = ["status", "visibility", "language", "category"]
    search_fields = ["title", "slug", "summary"]
    autocomplete_fields = ["category", "translation_of", "related"]
    readonly_fields = [
        "status", "version", "body_html", "created_by", "updated_by", "created_at", "updated_at",
        "published_at", "view_count", "helpful_count", "unhelpful_count",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["title", "slug", "language", "translation_of", "category"]}),
        (_("Text"), {"fields": ["summary", "body", "questions"]}),
        (_("Publishing"), {"fields": ["status", "visibility", "related", "version"]}),
        (
            _("Record"),
            {
                "classes": ["collapse"],
                "fields": [
                    "created_by", "updated_by", "created_at", "updated_at", "published_at",
                    "view_count", "helpful_count", "unhelpful_count",
                ],
            },
        ),
    ]  # fmt: skip
    form = ArticleForm
    inlines = [ArticleVersionInline]
    actions = ["publish", "archive"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        # Left empty, the slug is made from the title.
        form.base_fields["slug"].required = False
        return form

    def save_model(self, request: HttpRequest, obj: Article, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.article_create(
                actor=request.user,  # type: ignore[arg-type]
                title=data["title"],
                body=data["body"],
                language=data["language"],
                category=data.get("category"),
                summary=data.get("summary") or "",
                questions=data.get("questions") or "",
                visibility=data["visibility"],
                slug=data.get("slug") or None,
                translation_of=data.get("translation_of"),
                related=list(data.get("related") or ()),
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        changes = {
            field: data[field]
            for field in form.changed_data
            if field in EDITED_FIELDS and field != "related"
        }
        if changes:
            services.article_update(
                article=Article.objects.get(pk=obj.pk),
                actor=request.user,  # type: ignore[arg-type]
                **changes,
            )
        obj.refresh_from_db()

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        for formset in formsets:  # the versions inline is read-only: this saves nothing
            self.save_formset(request, form, formset, change=change)
        # Related articles are set through the service.
        if change and "related" in form.changed_data:
            services.article_update(
                article=Article.objects.get(pk=form.instance.pk),
                actor=request.user,  # type: ignore[arg-type]
                related=list(form.cleaned_data["related"]),
            )

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        services.article_delete(article=obj, actor=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            services.article_delete(article=article, actor=request.user)  # type: ignore[arg-type]

    def _change_status(self, request: HttpRequest, queryset: QuerySet[Article], name: str) -> None:
        service = services.article_publish if name == "publish" else services.article_archive
        done = 0
        for article in queryset:
            try:
                service(article=article, actor=request.user)  # type: ignore[arg-type]
            except CloseloopError as error:
                self.message_user(request, f"{article}: {error.message}", messages.WARNING)
            else:
                done += 1
        self.message_user(request, _("%(count)s articles changed.") % {"count": done})

    @admin.action(description=_("Publish the selected articles"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._change_status(request, queryset, "publish")

    @admin.action(description=_("Archive the selected articles"))
    def archive(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._change_status(request, queryset, "archive")


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    form = SynonymGroupForm
    list_display = ["terms", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["terms"]
    fields = ["terms", "is_active", "updated_at"]
    readonly_fields = ["updated_at"]

    def save_model(
        self, request: HttpRequest, obj: SynonymGroup, form: ModelForm, change: bool
    ) -> None:
        saved = services.synonym_group_save(
            actor=request.user,  # type: ignore[arg-type]
            terms=form.cleaned_data["terms"],
            is_active=form.cleaned_data["is_active"],
            group=SynonymGroup.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: SynonymGroup) -> None:
        services.synonym_group_delete(group=obj, actor=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SynonymGroup]) -> None:
        for group in queryset:
            services.synonym_group_delete(group=group, actor=request.user)  # type: ignore[arg-type]


@admin.register(SearchMiss)
class SearchMissAdmin(admin.ModelAdmin):
    list_display = ["query", "count", "audience", "last_at", "is_resolved"]
    list_filter = ["is_resolved", "audience"]
    search_fields = ["query", "normalized_query"]
    ordering = ["is_resolved", "-count"]
    readonly_fields = ["normalized_query", "query", "audience", "count", "first_at", "last_at"]
    actions = ["resolve"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Mark as dealt with"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[SearchMiss]) -> None:
        for miss in queryset:
            services.search_miss_resolve(miss=miss, actor=request.user)  # type: ignore[arg-type]


@admin.register(ArticleUse)
class ArticleUseAdmin(admin.ModelAdmin):
    list_display = ["article", "kind", "ticket", "agent", "customer", "channel", "created_at"]
    list_filter = ["kind", "channel"]
    date_hierarchy = "created_at"
    list_select_related = ["article", "ticket", "agent", "customer"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
