"""Problem records: a recurring issue behind many tickets (problem management).

A ``Problem`` links many tickets (a ticket may belong to several problems), names its root
cause (the corrective-action root causes), has an owner and a status that moves along
``problems.ALLOWED`` (proposed → open → known error / fixing → resolved → closed, or rejected).
Corrective actions attach to a problem through ``CorrectiveAction``'s generic subject link.
Emerging-problem detection (``detection.py``) proposes problems from category spikes and clusters
of similar new tickets; ``fingerprint`` keeps it from proposing the same thing twice.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.analytics.models import RootCause

__all__ = [
    "DetectionSource",
    "Problem",
    "ProblemStatus",
    "ProblemTicket",
]


class ProblemStatus(models.TextChoices):
    """Where a problem is; ``problems.ALLOWED`` says what may follow what."""

    PROPOSED = "proposed", _("Proposed")
    OPEN = "open", _("Open")
    KNOWN_ERROR = "known_error", _("Known error")
    FIXING = "fixing", _("Fixing")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


class DetectionSource(models.TextChoices):
    """How the problem came to be recorded."""

    MANUAL = "manual", _("Recorded by hand")
    SPIKE = "spike", _("Category spike")
    CLUSTER = "cluster", _("Cluster of similar tickets")


class Problem(models.Model):
    """A recurring issue linking many tickets, its root cause, owner, status and actions."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        "triage.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    root_cause = models.CharField(
        _("root cause"), max_length=20, choices=RootCause.choices, blank=True
    )
    root_cause_notes = models.TextField(_("root cause analysis"), blank=True)
    owner = models.ForeignKey(
        "people.Agent",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_problems",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    source = models.CharField(
        _("detected by"),
        max_length=10,
        choices=DetectionSource.choices,
        default=DetectionSource.MANUAL,
    )
    # What detection saw (the spike's counts and bound, the cluster's terms and similarity).
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    # Detection's identity for what it proposed (spike: category + day; cluster: sorted ticket
    # ids hash), so the same spike or cluster is never proposed twice. Empty for manual records.
    fingerprint = models.CharField(max_length=64, blank=True)
    tickets = models.ManyToManyField(
        "tickets.Ticket",
        through="ProblemTicket",
        related_name="problems",
        blank=True,
    )
    created_by = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Who moved it when, from and to which status (append-only, newest last).
    history = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="problem_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in ProblemStatus]),
                name="problem_status_valid",
            ),
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=~models.Q(fingerprint=""),
                name="problem_fingerprint_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProblemTicket(models.Model):
    """One ticket linked to one problem, by whom and when."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="problem_links"
    )
    linked_by = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(_("linked at"))

    class Meta:
        verbose_name = _("problem ticket")
        verbose_name_plural = _("problem tickets")
        constraints = [
            models.UniqueConstraint(fields=["problem", "ticket"], name="problem_ticket_once"),
        ]
        indexes = [models.Index(fields=["ticket"], name="problem_ticket_ticket")]

    def __str__(self) -> str:
        return f"{self.problem_id} ← #{self.ticket_id}"
