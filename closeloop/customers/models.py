"""Customers and their identities: one customer record across every channel."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Segment(models.TextChoices):
    """A customer's value segment: VIPs get a dedicated agent, others efficient self-service."""

    VIP = "vip", _("VIP")
    HIGH_VALUE = "high_value", _("High value")
    STANDARD = "standard", _("Standard")
    NEW = "new", pgettext_lazy("customer segment", "New")


class Customer(models.Model):
    """A person or company the team serves, whatever channel they come through."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    segment = models.CharField(
        _("segment"), max_length=20, choices=Segment.choices, default=Segment.STANDARD
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    dedicated_agent = models.ForeignKey(
        "people.Agent",
        verbose_name=_("dedicated agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dedicated_customers",
        db_index=False,  # partial index in Meta: few customers have one
    )
    notes = models.TextField(_("notes"), blank=True)
    # Set when this record was merged into another; its identities and tickets moved there.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["segment"], name="customer_segment"),
            models.Index(
                fields=["dedicated_agent"],
                name="customer_dedicated_agent",
                condition=models.Q(dedicated_agent__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"Customer {self.pk}"


class IdentityKind(models.TextChoices):
    """The channel-specific handle a customer is recognised by."""

    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat openid")
    APP = "app", _("App user id")
    CHAT_VISITOR = "chat_visitor", _("Chat visitor")


class Identity(models.Model):
    """One normalised handle (an email, an E.164 phone, an openid …) owned by one customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_value"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class CustomerMerge(models.Model):
    """One merge of two customer records, with exactly what moved, so it can be undone."""

    source = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merged_away")
    target = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merged_in")
    reason = models.CharField(_("reason"), max_length=300)
    # {"app_label.Model.field": [primary keys moved from source to target], ...}
    moved = models.JSONField(default=dict)
    merged_by = models.CharField(_("merged by"), max_length=150, blank=True)
    created_at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"
