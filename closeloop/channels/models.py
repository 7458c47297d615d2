"""What the channels store: every raw inbound payload, every outbound delivery, and the
configuration of each channel (mailboxes, WeChat accounts, signed integrations, chat widgets).
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")  # noise (auto-replies, bounces), unknown message types
    FAILED = "failed", _("Failed")  # malformed: the raw payload is kept and flagged


class InboundMessage(models.Model):
    """One raw payload exactly as a channel delivered it, stored before anything else happens.

    Unique on (channel, external_id), the channel's own id (email Message-ID, WeChat MsgId,
    …): a retried delivery finds the row and is not stored or processed twice.
    """

    channel = models.CharField(_("channel"), max_length=20)
    external_id = models.CharField(_("channel id"), max_length=255)
    raw = models.BinaryField(_("raw payload"))
    content_type = models.CharField(max_length=100, blank=True)
    # Transport facts: which mailbox / account / integration it came through, the verified
    # sender, request metadata.
    meta = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=InboundStatus.choices, default=InboundStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"))
    processed_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="inbound_unique_id"),
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="inbound_pending",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")  # permanently: shown on the ticket
    BLOCKED = "blocked", _("Blocked")  # the channel does not allow it now (WeChat's window)


class Delivery(models.Model):
    """One agent or bot reply on its way out through one channel, retried with backoff."""

    message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, related_name="deliveries"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=20)
    recipient = models.CharField(_("recipient"), max_length=320)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The id the channel knows it by (our email Message-ID, WeChat's msgid, …).
    external_id = models.CharField(max_length=255, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["message", "channel"], name="delivery_unique"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["channel", "external_id"], name="delivery_external_id"),
            models.Index(fields=["channel", "recipient", "sent_at"], name="delivery_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient} ({self.status})"


class SmtpSecurity(models.TextChoices):
    NONE = "none", _("None")
    STARTTLS = "starttls", _("STARTTLS")
    SSL = "ssl", _("SSL/TLS")


class Mailbox(models.Model):
    """A support address: where mail is fetched from (IMAP) and replies are sent from (SMTP)."""

    address = models.EmailField(_("address"), unique=True)
    name = models.CharField(_("display name"), max_length=200, blank=True)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Sends replies when no other mailbox applies.")
    )
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("IMAP over SSL"), default=True)
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    poll_enabled = models.BooleanField(_("poll"), default=False)
    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    smtp_host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"),
        max_length=10,
        choices=SmtpSecurity.choices,
        default=SmtpSecurity.STARTTLS,
    )
    smtp_username = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password = models.CharField(_("SMTP password"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address


class WeChatAccount(models.Model):
    """A WeChat official account whose server address points at Closeloop."""

    name = models.CharField(_("name"), max_length=200)
    app_id = models.CharField(_("AppID"), max_length=64, unique=True)
    app_secret = models.CharField(_("AppSecret"), max_length=128)
    original_id = models.CharField(
        _("original id"), max_length=64, blank=True, help_text=_("gh_… (ToUserName)")
    )
    token = models.CharField(_("token"), max_length=64)
    encoding_aes_key = models.CharField(
        _("EncodingAESKey"),
        max_length=43,
        blank=True,
        help_text=_("43 characters; empty for plain-text mode."),
    )
    api_base = models.URLField(_("API base URL"), default="https://api.weixin.qq.com")
    access_token = models.CharField(max_length=512, blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("WeChat account")
        verbose_name_plural = _("WeChat accounts")

    def __str__(self) -> str:
        return self.name


class IntegrationKind(models.TextChoices):
    APP = "app", _("Mobile app")
    PHONE = "phone", _("Phone system")


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _new_key() -> str:
    return "ck_" + secrets.token_hex(8)


class Integration(models.Model):
    """A system that talks to Closeloop with HMAC-signed requests: an app backend, a PBX."""

    kind = models.CharField(_("kind"), max_length=10, choices=IntegrationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(_("key id"), max_length=64, unique=True, default=_new_key)
    secret = models.CharField(_("secret"), max_length=128, default=_new_secret)
    webhook_url = models.URLField(
        _("webhook URL"), blank=True, help_text=_("Agent replies are POSTed here, signed.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class ChatWidget(models.Model):
    """An embeddable chat widget: where it may be embedded, when people answer, its texts."""

    key = models.CharField(_("key"), max_length=64, unique=True, default=_new_key)
    name = models.CharField(_("name"), max_length=200)
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_("One origin per line (https://shop.example.com); empty allows any."),
    )
    calendar = models.ForeignKey(
        "sla.Calendar",
        verbose_name=_("opening hours"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Outside these hours the widget takes messages instead of chatting."),
    )
    identity_secret = models.CharField(
        _("identity secret"),
        max_length=128,
        default=_new_secret,
        help_text=_(
            "Signs the email or phone a signed-in page passes to the widget "
            "(data-identity-signature); only signed details merge customer records."
        ),
    )
    greeting = models.CharField(_("greeting"), max_length=300, blank=True)
    offline_message = models.CharField(_("offline message"), max_length=300, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")

    def __str__(self) -> str:
        return self.name
