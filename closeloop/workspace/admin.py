"""Macros in the Django admin: a text in at least one language, only known variables."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from closeloop.core import clock
from closeloop.people.models import Agent
from closeloop.workspace.models import Macro
from closeloop.workspace.services import MACRO_VARIABLES, unknown_variables


class MacroForm(forms.ModelForm):
    """Refuses names that are not variables (typos); the model refuses a macro without text."""

    class Meta:
        model = Macro
        fields = ["name", "body_en", "body_zh", "team", "is_active"]

    def _check_variables(self, field: str) -> str:
        text: str = self.cleaned_data.get(field, "")
        unknown = unknown_variables(text)
        if unknown:
            raise forms.ValidationError(
                _("Unknown variables: %(names)s. Use %(known)s.")
                % {
                    "names": ", ".join("{" + name + "}" for name in unknown),
                    "known": ", ".join("{" + name + "}" for name in MACRO_VARIABLES),
                }
            )
        return text

    def clean_body_en(self) -> str:
        return self._check_variables("body_en")

    def clean_body_zh(self) -> str:
        return self._check_variables("body_zh")


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    form = MacroForm
    list_display = ["name", "team", "is_active", "created_by", "updated_at"]
    list_filter = ["is_active", "team"]
    search_fields = ["name", "body_en", "body_zh"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Macro, form: Any, change: bool) -> None:
        now = clock.now()
        if not change:
            obj.created_at = now
            obj.created_by = Agent.objects.filter(
                user__username=request.user.get_username()
            ).first()
        obj.updated_at = now
        super().save_model(request, obj, form, change)
