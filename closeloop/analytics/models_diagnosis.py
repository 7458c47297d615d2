"""Stored settings of the diagnosis: a lead's effort estimate per kind of improvement measure.

The improvement priority table (``closeloop.analytics.diagnosis``) derives candidate measures
from the gaps it finds; each measure kind has a default effort (1 = an afternoon … 5 = a
project). A lead may override it; the override is one row per measure kind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImprovementEffort(models.Model):
    """A lead's effort estimate (1–5) for one kind of improvement measure."""

    measure = models.CharField(_("measure"), max_length=40, unique=True)
    effort = models.PositiveSmallIntegerField(_("effort"))
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("improvement effort")
        verbose_name_plural = _("improvement efforts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effort__gte=1, effort__lte=5),
                name="improvement_effort_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure}: {self.effort}"
