"""Alert rules on metrics, the alerts they raise, their notifications, and corrective actions.

An ``AlertRule`` watches one metric (``metrics.py``) for one scope over a rolling window. The
worker evaluates it every ``evaluate_every_minutes`` and records an ``AlertEvaluation``. When
the value crosses the threshold an ``Alert`` opens (at most one open per rule) together with a
``CorrectiveAction``; the alert clears only once the value is back past ``clear_threshold``
(hysteresis). Every fire and clear is announced by ``AlertNotification`` rows (email, signed
webhook) that a task sends and retries.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.tickets.models import Channel, Touchpoint


class Comparison(models.TextChoices):
    """Which side of the threshold is trouble."""

    ABOVE = "above", _("above")
    BELOW = "below", _("below")


class RuleState(models.TextChoices):
    """What the last evaluation of a rule found."""

    NEW = "new", _("Not evaluated yet")
    OK = "ok", _("Within threshold")
    FIRING = "firing", _("Firing")
    INSUFFICIENT = "insufficient", _("Insufficient data")


class AlertRule(models.Model):
    """A threshold on one metric for one scope over a rolling window."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    metric = models.CharField(_("metric"), max_length=60)
    comparison = models.CharField(
        _("fires when the value is"), max_length=10, choices=Comparison.choices
    )
    threshold = models.FloatField(_("threshold"))
    clear_threshold = models.FloatField(
        _("clear threshold"),
        help_text=_("The alert clears only once the value is back past this value."),
    )
    window_hours = models.PositiveIntegerField(_("window (hours)"), default=7 * 24)
    min_sample = models.PositiveIntegerField(
        _("minimum sample"),
        default=30,
        help_text=_("Below this many contacts (responses, reviews …) the rule is not evaluated."),
    )
    # Scope: empty = all.
    touchpoint = models.CharField(
        _("touchpoint"), max_length=20, choices=Touchpoint.choices, blank=True
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    category = models.ForeignKey(
        "triage.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        "people.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    evaluate_every_minutes = models.PositiveIntegerField(_("evaluate every (minutes)"), default=15)
    notify_emails = models.JSONField(_("notify by email"), default=list, blank=True)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=200, blank=True)
    owner = models.ForeignKey(
        "people.Agent",
        verbose_name=_("owner of corrective actions"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the lead of the rule's team."),
    )
    # Corrective actions are due 48 h later on this calendar (empty: around the clock).
    calendar = models.ForeignKey(
        "sla.Calendar",
        verbose_name=_("calendar for due times"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=12, choices=RuleState.choices, default=RuleState.NEW
    )
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    last_sample = models.PositiveIntegerField(_("last sample"), null=True, blank=True)
    last_evaluated_at = models.DateTimeField(_("last evaluated"), null=True, blank=True)
    # Claimed by the sweep with a guarded update, so two workers never evaluate a rule twice.
    next_evaluation_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["name"]
        indexes = [
            models.Index(
                fields=["next_evaluation_at"],
                name="alert_rule_due",
                condition=models.Q(is_active=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(comparison="above", clear_threshold__lte=models.F("threshold"))
                | models.Q(comparison="below", clear_threshold__gte=models.F("threshold")),
                name="alert_rule_clear_past_threshold",
            ),
            models.CheckConstraint(
                condition=models.Q(window_hours__gte=1), name="alert_rule_window_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(evaluate_every_minutes__gte=1),
                name="alert_rule_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def breaches(self, value: float) -> bool:
        """The value is past the firing threshold."""
        if self.comparison == Comparison.ABOVE:
            return value > self.threshold
        return value < self.threshold

    def recovered(self, value: float) -> bool:
        """The value is back past the clear threshold (hysteresis)."""
        if self.comparison == Comparison.ABOVE:
            return value < self.clear_threshold
        return value > self.clear_threshold


class AlertStatus(models.TextChoices):
    """An alert is firing until its value recovers past the clear threshold."""

    FIRING = "firing", _("Firing")
    CLEARED = "cleared", _("Cleared")


class Alert(models.Model):
    """One episode of a rule's metric past its threshold, from firing to clearing."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.FIRING
    )
    # The rule as it was when the alert fired (a later edit does not rewrite history).
    metric = models.CharField(_("metric"), max_length=60)
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    threshold = models.FloatField(_("threshold"))
    fired_at = models.DateTimeField(_("fired at"))
    fired_value = models.FloatField(_("value when fired"))
    fired_sample = models.PositiveIntegerField(_("sample when fired"))
    last_value = models.FloatField(_("last value"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_value = models.FloatField(_("value when cleared"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-fired_at", "-id"]
        indexes = [models.Index(fields=["status", "-fired_at"], name="alert_status_fired")]
        constraints = [
            # Fires once: at most one open alert per rule.
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(status="firing"),
                name="alert_one_firing_per_rule",
            ),
            models.CheckConstraint(
                condition=models.Q(status="firing", cleared_at__isnull=True)
                | models.Q(status="cleared", cleared_at__isnull=False),
                name="alert_cleared_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.status} {self.fired_at:%Y-%m-%d %H:%M}"


class EvaluationOutcome(models.TextChoices):
    """What one evaluation did."""

    OK = "ok", _("Within threshold")
    INSUFFICIENT = "insufficient", _("Insufficient data")
    FIRED = "fired", _("Fired")
    STILL_FIRING = "firing", _("Still firing")
    CLEARED = "cleared", _("Cleared")


class AlertEvaluation(models.Model):
    """One evaluation of a rule: the value, what it rested on, and what it did."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="evaluations")
    evaluated_at = models.DateTimeField(_("evaluated at"))
    window_start = models.DateTimeField(_("window start"))
    value = models.FloatField(_("value"), null=True, blank=True)
    numerator = models.FloatField(_("numerator"), default=0)
    sample = models.PositiveIntegerField(_("sample"), default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=EvaluationOutcome.choices)
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluations"
    )

    class Meta:
        verbose_name = _("alert evaluation")
        verbose_name_plural = _("alert evaluations")
        ordering = ["-evaluated_at", "-id"]
        indexes = [
            models.Index(fields=["rule", "-evaluated_at"], name="alert_evaluation_rule"),
            models.Index(fields=["evaluated_at"], name="alert_evaluation_time"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.evaluated_at:%Y-%m-%d %H:%M} {self.value}"


class NotificationChannel(models.TextChoices):
    """How an alert is announced."""

    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")


class NotificationStatus(models.TextChoices):
    """Where a notification is on its way out."""

    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AlertNotification(models.Model):
    """One announcement of an alert firing or clearing, to one email address or webhook."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(_("event"), max_length=10, choices=AlertStatus.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=NotificationChannel.choices)
    target = models.CharField(_("to"), max_length=500)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert notification")
        verbose_name_plural = _("alert notifications")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="alert_notification_due",
                condition=models.Q(status="pending"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "event", "channel", "target"], name="alert_notification_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.channel} {self.target}"


class RootCause(models.TextChoices):
    """Why the problem happened (DESIGN.md "review")."""

    PRODUCT_DESIGN = "product_design", _("Product design")
    PROCESS_GAP = "process_gap", _("Process gap")
    TRAINING_GAP = "training_gap", _("Training gap")
    STAFFING = "staffing", _("Staffing")
    EXTERNAL = "external", _("External")
    OTHER = "other", _("Other")


class ActionStatus(models.TextChoices):
    """Where a corrective action is; ``services.ALLOWED`` says what may follow what."""

    OPEN = "open", _("Open")
    MEASURES_SET = "measures_set", _("Measures set")
    EFFECT_CHECK_DUE = "effect_check_due", _("Effect check due")
    EFFECTIVE = "effective", _("Effective")
    NOT_EFFECTIVE = "not_effective", _("Not effective")
    CLOSED = "closed", _("Closed")


class CorrectiveAction(models.Model):
    """What the team does about an alert (or a problem): the cause, the measures, their effect."""

    title = models.CharField(_("title"), max_length=200)
    alert = models.OneToOneField(
        Alert,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrective_action",
    )
    # The metric and scope whose before/after the effect check compares (from the alert's rule,
    # or given by hand); empty metric: no automatic check.
    metric = models.CharField(_("metric"), max_length=60, blank=True)
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    window_hours = models.PositiveIntegerField(_("comparison window (hours)"), default=7 * 24)
    # Optional link to what else opened it (a problem of the monthly review, …).
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        "people.Agent",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrective_actions",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    due_at = models.DateTimeField(_("cause and measures due"))
    root_cause = models.CharField(
        _("root cause"), max_length=20, choices=RootCause.choices, blank=True
    )
    analysis = models.TextField(_("analysis"), blank=True)
    measures = models.TextField(_("measures"), blank=True)
    measures_set_at = models.DateTimeField(_("measures set at"), null=True, blank=True)
    check_after_days = models.PositiveSmallIntegerField(
        _("check the effect after (days)"), default=14
    )
    effect_check_at = models.DateTimeField(_("effect check at"), null=True, blank=True)
    value_before = models.FloatField(_("value before"), null=True, blank=True)
    sample_before = models.PositiveIntegerField(_("sample before"), null=True, blank=True)
    value_after = models.FloatField(_("value after"), null=True, blank=True)
    sample_after = models.PositiveIntegerField(_("sample after"), null=True, blank=True)
    is_improved = models.BooleanField(_("improved"), null=True, blank=True)
    effect_checked_at = models.DateTimeField(_("effect checked at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Who moved it when, from and to which status (append-only, newest last).
    history = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="action_status_due"),
            models.Index(
                fields=["effect_check_at"],
                name="action_effect_check_due",
                condition=models.Q(status="measures_set"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in ActionStatus]),
                name="action_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open")
                | models.Q(status="closed")
                | (~models.Q(root_cause="") & ~models.Q(measures="")),
                name="action_measures_have_cause",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, now: datetime) -> bool:
        """Still waiting for its cause and measures after the due time."""
        return self.status == ActionStatus.OPEN and self.due_at < now


from closeloop.analytics.models_diagnosis import ImprovementEffort  # noqa: E402,F401
from closeloop.analytics.models_engine import *  # noqa: F403,E402
from closeloop.analytics.models_problems import *  # noqa: F403,E402
