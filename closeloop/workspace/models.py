"""What the workspace keeps of its own: the team's canned responses (macros)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Macro(models.Model):
    """A canned response in English and Chinese, with variables filled from the ticket."""

    name = models.CharField(_("name"), max_length=100)
    body_en = models.TextField(
        _("text (English)"),
        blank=True,
        help_text=_("Variables: {customer_name}, {ticket_number}, {order_number}, {agent_name}."),
    )
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Empty: every agent sees the macro; otherwise only the team's members (and admins).
    team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        verbose_name=_("team"),
    )
    created_by = models.ForeignKey(
        "people.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(body_en="", body_zh=""),
                name="macro_has_a_text",
                violation_error_message=_("Write the text in English, Chinese or both."),
            ),
        ]

    def __str__(self) -> str:
        return self.name
