"""The organisation running this Closeloop deployment and its global service settings."""

from __future__ import annotations

import threading
import time

from django.db import models
from django.utils.translation import gettext_lazy as _

# Read on every ticket and contact, changed a few times a year: each process keeps a copy,
# dropped on a local save and re-read at most this many seconds after a change elsewhere.
ORGANIZATION_CACHE_SECONDS = 10.0
_organization_cache: dict[str, tuple[float, Organization]] = {}
_organization_lock = threading.Lock()


def initial_phone_region() -> str:
    """The region a new installation starts with (CLOSELOOP_DEFAULT_PHONE_REGION, else CN)."""
    from django.conf import settings

    region: str = settings.CLOSELOOP["DEFAULT_PHONE_REGION"]
    return region.upper()


class Organization(models.Model):
    """The one organisation a deployment serves: its name, numbering and lifecycle windows."""

    SINGLETON_ID = 1

    name = models.CharField(_("name"), max_length=200, default="Closeloop")
    ticket_number_prefix = models.CharField(_("ticket number prefix"), max_length=10, default="CL")
    # The next ticket number to hand out on SQLite, taken with UPDATE … RETURNING (writers are
    # serialised there anyway). PostgreSQL uses the sequence closeloop_ticket_number instead,
    # so concurrent intakes never queue on this row.
    next_ticket_number = models.PositiveBigIntegerField(default=10001)
    default_phone_region = models.CharField(
        _("default phone region"),
        max_length=2,
        default=initial_phone_region,
        help_text=_("ISO country used to read phone numbers written without a country code."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    confirmation_window_hours = models.PositiveIntegerField(
        _("confirmation window (hours)"),
        default=72,
        help_text=_(
            "A resolved ticket is closed automatically when the customer has not "
            "confirmed or rejected the solution within this time."
        ),
    )
    reopen_window_days = models.PositiveIntegerField(
        _("reopen window (days)"),
        default=7,
        help_text=_(
            "Within this time after resolution a customer's reply reopens the ticket; "
            "later it opens a new ticket linked to the old one."
        ),
    )
    thread_window_hours = models.PositiveIntegerField(
        _("threading window (hours)"),
        default=72,
        help_text=_(
            "A new contact from a customer with an open ticket active within this time "
            "joins that ticket instead of opening another, whatever channel it comes "
            "through (0 turns this off)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisation")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="organization_singleton"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Organization:
        """Return the organisation row, creating it with defaults on first use."""
        organization, _created = cls.objects.get_or_create(id=cls.SINGLETON_ID)
        return organization

    @classmethod
    def cached(cls) -> Organization:
        """Return the organisation's settings from this process's cache (read-only use)."""
        with _organization_lock:
            entry = _organization_cache.get("current")
        if entry is not None and time.monotonic() - entry[0] <= ORGANIZATION_CACHE_SECONDS:
            return entry[1]
        # Read (or create) outside the lock: creating the row saves it, and the save's
        # receiver clears this cache, which takes the lock.
        organization = cls.current()
        with _organization_lock:
            _organization_cache["current"] = (time.monotonic(), organization)
        return organization

    @staticmethod
    def clear_cache(**_kwargs: object) -> None:
        """Forget the cached organisation (after a save, and between tests)."""
        with _organization_lock:
            _organization_cache.clear()


class ApiToken(models.Model):
    """A bearer token for the HTTP API; only its SHA-256 digest is stored."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text=_("First characters, to recognise it."))
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
