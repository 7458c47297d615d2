"""Business calendars, SLA policies and per-ticket clocks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Calendar(models.Model):
    """Opening hours, holidays and exceptions that business minutes are counted on."""

    name = models.SlugField(_("name"), max_length=50, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # {"0": [["09:00", "12:00"], ["13:00", "18:00"]], ...}: weekday 0 = Monday; "24:00" = midnight.
    weekly_hours = models.JSONField(_("weekly hours"), default=dict)
    holiday_country = models.CharField(_("holiday country"), max_length=2, blank=True)
    holiday_subdivision = models.CharField(_("holiday subdivision"), max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarException(models.Model):
    """A date that differs from the weekly pattern: closed, or an extra working day."""

    class Kind(models.TextChoices):
        CLOSED = "closed", pgettext_lazy("calendar day", "Closed")
        WORKING = "working", _("Extra working day")

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_exception_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.calendar} {self.date} {self.kind}"


class SlaPolicy(models.Model):
    """Targets for a class of tickets; the first active policy that matches (by order) wins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    # Empty list = any value.
    match_priorities = models.JSONField(_("priorities"), default=list, blank=True)
    match_kinds = models.JSONField(_("kinds"), default=list, blank=True)
    match_channels = models.JSONField(_("channels"), default=list, blank=True)
    match_segments = models.JSONField(_("customer segments"), default=list, blank=True)

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="policies"
    )
    # Working-day targets are counted on this calendar's working days (defaults to `calendar`),
    # so a policy can answer within 24 clock hours yet resolve within 7 Chinese working days.
    working_day_calendar = models.ForeignKey(
        Calendar,
        verbose_name=_("working-day calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="working_day_policies",
    )
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    first_response_working_days = models.PositiveSmallIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_working_days = models.PositiveSmallIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_working_days = models.PositiveSmallIntegerField(null=True, blank=True)
    warning_percent = models.PositiveSmallIntegerField(_("warning at %"), default=80)
    breach_escalation_level = models.PositiveSmallIntegerField(
        _("escalate to level on breach"),
        default=1,
        help_text=_("0 = do not escalate; 1 team lead, 2 department head, 3 expert."),
    )
    notify_on_breach = models.BooleanField(_("notify on breach"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(
                    first_response_minutes__isnull=False, first_response_working_days__isnull=False
                ),
                name="policy_first_response_one_unit",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    next_response_minutes__isnull=False, next_response_working_days__isnull=False
                ),
                name="policy_next_response_one_unit",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    resolution_minutes__isnull=False, resolution_working_days__isnull=False
                ),
                name="policy_resolution_one_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(warning_percent__gte=1, warning_percent__lte=99),
                name="policy_warning_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(breach_escalation_level__lte=3),
                name="policy_breach_level_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Metric(models.TextChoices):
    """The clocks a ticket can run."""

    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class TicketClock(models.Model):
    """One SLA clock of one ticket, as last derived from the ticket's events."""

    # Indexed by the unique (ticket, metric) constraint.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="clocks", db_index=False
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    # Next-response clocks run once per customer message; each run is a new cycle.
    cycle = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.FloatField(default=0)
    # Claimed by the sweeper with a guarded UPDATE, so a warning or breach fires exactly once.
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket clock")
        verbose_name_plural = _("ticket clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="clock_unique_metric"),
        ]
        indexes = [
            models.Index(
                fields=["warn_at"],
                name="clock_warn_pending",
                condition=models.Q(
                    stopped_at__isnull=True, paused_since__isnull=True, warned_at__isnull=True
                ),
            ),
            models.Index(
                fields=["due_at"],
                name="clock_breach_pending",
                condition=models.Q(breached_at__isnull=True),
            ),
            # The on-time rates count the running overdue clocks of a period's tickets
            # (analytics); with the ticket in it, PostgreSQL answers from the index alone.
            models.Index(
                fields=["metric", "due_at", "ticket"],
                name="clock_running_due",
                condition=models.Q(stopped_at__isnull=True, paused_since__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} of ticket {self.ticket_id}"

    @property
    def is_running(self) -> bool:
        """Counting now: started, not stopped, not paused."""
        return self.stopped_at is None and self.paused_since is None

    @property
    def met(self) -> bool | None:
        """Whether the clock stopped in time; None while it has not stopped."""
        if self.stopped_at is None:
            return None
        return self.stopped_at <= self.due_at
