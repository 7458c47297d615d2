"""The metrics engine's tables: goals, the baseline period, and the daily rollups."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["BaselinePeriod", "GoalComparison", "DailyRollup", "Goal", "RollupDay"]


class GoalComparison(models.TextChoices):
    """How a metric's value is compared with its goal's target."""

    AT_LEAST = "at_least", _("at least")
    AT_MOST = "at_most", _("at most")
    ABOVE = "above", _("above")
    BELOW = "below", _("below")


class Goal(models.Model):
    """The organisation's goal for one metric, e.g. CSAT at least 90 %."""

    metric = models.CharField(_("metric"), max_length=60, unique=True)
    comparison = models.CharField(_("comparison"), max_length=10, choices=GoalComparison.choices)
    target = models.FloatField(_("target"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["metric"]

    def __str__(self) -> str:
        return f"{self.metric} {self.comparison} {self.target:g}"

    def is_met(self, value: float) -> bool:
        """Whether ``value`` meets the goal."""
        if self.comparison == GoalComparison.AT_LEAST:
            return value >= self.target
        if self.comparison == GoalComparison.AT_MOST:
            return value <= self.target
        if self.comparison == GoalComparison.ABOVE:
            return value > self.target
        return value < self.target


class BaselinePeriod(models.Model):
    """The period every figure is compared with ("−50 % vs baseline"); at most one row."""

    start = models.DateField(_("start"))
    end = models.DateField(_("end"), help_text=_("Inclusive."))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("baseline period")
        verbose_name_plural = _("baseline period")

    def __str__(self) -> str:
        return f"{self.start} – {self.end}"


class DailyRollup(models.Model):
    """One additive metric's numerator and sample for one day (organisation time zone),
    grouped by one dimension (``dimension`` empty: all contacts, ``key`` null)."""

    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=60)
    dimension = models.CharField(_("dimension"), max_length=20, blank=True)
    key = models.CharField(_("group"), max_length=60, null=True, blank=True)
    numerator = models.FloatField(_("numerator"))
    sample = models.BigIntegerField(_("sample"))

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        indexes = [
            models.Index(fields=["dimension", "metric", "day"], name="rollup_dimension_day"),
            models.Index(fields=["day"], name="rollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.dimension}={self.key}"


class RollupDay(models.Model):
    """A day whose rollups are complete; a ticket change on a day deletes its row, so the
    engine computes that day directly until the sweep rolls it up again."""

    day = models.DateField(_("day"), unique=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")

    def __str__(self) -> str:
        return str(self.day)
