"""The bot in the Django admin: its settings (one row, checked like the API checks them),
its conversations and its stored matchers (read-only). Imported by the app's ``ready``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from closeloop.core.errors import InvalidInput
from closeloop.knowledge.bot.operations import EDITABLE, clean_settings
from closeloop.knowledge.models import BotConversation, BotSettings, FaqModel


class BotSettingsForm(forms.ModelForm):
    generative_url = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = BotSettings
        fields = list(EDITABLE)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        current = BotSettings.objects.filter(pk=BotSettings.SINGLETON_ID).first() or BotSettings()
        try:
            clean_settings({k: v for k, v in cleaned.items() if k in EDITABLE}, current)
        except InvalidInput as error:
            field = error.details.get("field")
            self.add_error(field if field in self.fields else None, str(error.message))
        return cleaned


@admin.register(BotSettings)
class BotSettingsAdmin(admin.ModelAdmin):
    form = BotSettingsForm
    list_display = ["__str__", "is_enabled", "answer_threshold", "choices_threshold", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not BotSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BotConversation)
class BotConversationAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "channel", "outcome", "handoff_reason", "is_confirmed", "turns", "ticket",
        "started_at",
    ]  # fmt: skip
    list_filter = ["outcome", "channel", "handoff_reason", "language"]
    raw_id_fields = ["ticket", "customer", "answered_article"]
    date_hierarchy = "started_at"


@admin.register(FaqModel)
class FaqModelAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "article_count", "example_count", "seconds", "fingerprint"]
    exclude = ["model"]
