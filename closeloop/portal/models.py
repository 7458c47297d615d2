"""The portal's own records: one-time sign-in links and the order systems customers can look
their orders up in (DESIGN.md, "portal")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Our order fields, each mapped to a dotted path in an order system's JSON answer.
ORDER_FIELDS = (
    "number",
    "status",
    "placed_at",
    "items",
    "total",
    "currency",
    "tracking_number",
    "carrier",
    "estimated_delivery",
    "email",
    "phone",
)


class PortalLoginToken(models.Model):
    """A one-time sign-in link sent by email; only its SHA-256 is kept."""

    email = models.CharField(_("email"), max_length=320)
    digest = models.CharField(max_length=64, unique=True)
    # A digest of the requesting address, for the per-address rate limit (not the address).
    requested_from = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")
        indexes = [
            models.Index(fields=["email", "created_at"], name="portal_login_email"),
            models.Index(fields=["requested_from", "created_at"], name="portal_login_from"),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.created_at:%Y-%m-%d %H:%M}"


class OrderSourceKind(models.TextChoices):
    """Where orders are read from."""

    HTTP = "http", _("HTTP (the shop's order system)")
    DEMO = "demo", _("Built-in demo orders")


class OrderSource(models.Model):
    """An order system customers can look their orders up in, over HTTP (or the demo one)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=OrderSourceKind.choices, default=OrderSourceKind.HTTP
    )
    url_template = models.CharField(
        _("URL"),
        max_length=500,
        blank=True,
        help_text=_("GET address of one order, with {order_number} where the number goes."),
    )
    auth_header_name = models.CharField(
        _("auth header name"), max_length=100, blank=True, help_text=_("e.g. Authorization")
    )
    auth_header_value = models.CharField(
        _("auth header value"), max_length=500, blank=True, help_text=_("e.g. Bearer s3cr3t")
    )
    field_mapping = models.JSONField(
        _("field mapping"),
        default=dict,
        blank=True,
        help_text=_(
            "Our field → dotted path in the answer, e.g. "
            '{"status": "order.state", "email": "order.buyer.email"}. Missing fields are '
            "read from the path of the same name."
        ),
    )
    timeout_seconds = models.FloatField(_("timeout (seconds)"), default=5)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("order source")
        verbose_name_plural = _("order sources")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in OrderSourceKind]),
                name="order_source_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(timeout_seconds__gt=0, timeout_seconds__lte=60),
                name="order_source_timeout_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name
