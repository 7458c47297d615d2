"""Tickets, messages and the append-only events every history and metric is computed from."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """Where a ticket is in the closed loop (DESIGN.md, "Ticket lifecycle")."""

    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING_CUSTOMER = "pending_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING_CUSTOMER)


class Kind(models.TextChoices):
    """What the customer came for."""

    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")
    REQUEST = "request", _("Request")
    FEEDBACK = "feedback", _("Feedback")
    INCIDENT = "incident", _("Incident")


class Priority(models.TextChoices):
    """How urgent the ticket is; the default SLA policies are keyed on it."""

    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Channel(models.TextChoices):
    """Where a contact came from or a reply goes to."""

    EMAIL = "email", _("Email")
    CHAT = "chat", _("Web chat")
    WECHAT = "wechat", _("WeChat")
    APP = "app", _("Mobile app")
    PHONE = "phone", _("Phone")
    PORTAL = "portal", _("Self-service portal")
    API = "api", _("API")
    SMS = "sms", _("SMS")  # outbound only: a reply sent through the SMS gateway


class Touchpoint(models.TextChoices):
    """The stage of the customer journey the contact belongs to."""

    PRE_SALE = "pre_sale", _("Pre-sale")
    IN_SALE = "in_sale", _("In-sale")
    AFTER_SALE = "after_sale", _("After-sale")
    MAINTENANCE = "maintenance", _("Maintenance")


class AuthorKind(models.TextChoices):
    """Who wrote a message or acted in an event."""

    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class Ticket(models.Model):
    """One customer matter, followed from first contact to archive."""

    number = models.PositiveBigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INQUIRY)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    touchpoint = models.CharField(
        _("touchpoint"), max_length=20, choices=Touchpoint.choices, default=Touchpoint.AFTER_SALE
    )
    # Foreign keys led by a composite index below carry no index of their own (one fewer
    # B-tree to write per ticket).
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    assignee = models.ForeignKey(
        "people.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # The FAQ bot holds the conversation: triage and routing wait until it hands off (or the
    # conversation ends without a person).
    is_with_bot = models.BooleanField(_("with the bot"), default=False)
    escalated_to = models.ForeignKey(
        "people.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_tickets",
        db_index=False,  # a partial index below: most tickets are never escalated
    )
    # A later contact about a closed matter opens a new ticket that points at the old one.
    related_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        db_index=False,  # a partial index below
    )
    # The ticket's reference in the file it was imported from (``closeloop import``): a second
    # import of the same line finds it and changes nothing.
    import_ref = models.CharField(_("import reference"), max_length=200, null=True, blank=True)

    # Lifecycle milestones (each also recorded as a TicketEvent).
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    public_agent_reply_count = models.PositiveIntegerField(default=0)

    # SLA summary for the inbox, written by the sla app whenever it recomputes the clocks:
    # the earliest due time and warning time among running clocks, and the first breach.
    sla_policy_name = models.CharField(max_length=100, blank=True)
    # A policy chosen for the ticket (by its problem type) instead of the first match by
    # priority, kind, channel and segment; empty: matched as usual.
    sla_policy_pin = models.CharField(_("SLA policy (pinned)"), max_length=100, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_warning_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "sla_due_at"], name="ticket_status_due"),
            models.Index(fields=["team", "status", "sla_due_at"], name="ticket_team_status_due"),
            models.Index(
                fields=["assignee", "status", "sla_due_at"], name="ticket_assignee_status_due"
            ),
            models.Index(fields=["customer", "created_at"], name="ticket_customer_created"),
            models.Index(fields=["created_at"], name="ticket_created"),
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved"),
            # Partial: rows where the column is NULL (nearly all) cost no index write.
            models.Index(
                fields=["escalated_to"],
                name="ticket_escalated_to",
                condition=models.Q(escalated_to__isnull=False),
            ),
            models.Index(
                fields=["related_to"],
                name="ticket_related_to",
                condition=models.Q(related_to__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["import_ref"],
                name="ticket_unique_import_ref",
                condition=models.Q(import_ref__isnull=False),
            ),
            models.CheckConstraint(
                condition=models.Q(escalation_level__lte=3), name="ticket_escalation_level_0_3"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in Status]),
                name="ticket_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        """Still being worked on (not resolved or closed)."""
        return self.status in OPEN_STATUSES


class Message(models.Model):
    """One message on a ticket: a customer's words, a reply, a bot answer or an internal note."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_agent = models.ForeignKey(
        "people.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_index=False,  # partial index in Meta: customer messages have no agent
    )
    body = models.TextField(_("body"))
    # What a rich channel carried besides the new text: sanitised HTML (email), the quoted
    # history and signature separated from the new text, and channel facts (a WeChat location,
    # a call record, device data, the address a reply must go to).
    html = models.TextField(_("HTML"), blank=True, default="")
    quoted_text = models.TextField(_("quoted text"), blank=True, default="")
    meta = models.JSONField(_("channel data"), default=dict, blank=True)
    is_public = models.BooleanField(_("public"), default=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # The channel's own id (email Message-ID, WeChat MsgId …): a message sent twice is stored once.
    external_id = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_created"),
            models.Index(
                fields=["author_agent", "created_at"],
                name="message_agent_created",
                condition=models.Q(author_agent__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="message_unique_external_id",
            ),
            models.CheckConstraint(
                condition=~models.Q(author_kind="customer", is_public=False),
                name="message_customer_always_public",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_kind} on #{self.ticket_id}"


class EventType(models.TextChoices):
    """What a TicketEvent records."""

    CREATED = "created", _("Created")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    MESSAGE_ADDED = "message_added", _("Message added")
    FIELD_CHANGED = "field_changed", _("Field changed")
    ESCALATED = "escalated", _("Escalated")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    DELIVERY_FAILED = "delivery_failed", _("Reply not delivered")
    CUSTOMER_MERGED = "customer_merged", _("Customer merged")
    BOT_HOLD = "bot_hold", _("FAQ bot took or released the conversation")


class TicketEvent(models.Model):
    """An append-only record of one change to a ticket: who, what, before, after, why, when."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    type = models.CharField(max_length=20, choices=EventType.choices)
    actor_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    actor_agent = models.ForeignKey(
        "people.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial index in Meta: most events are the customer's or the system's
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_created"),
            models.Index(fields=["type", "created_at"], name="event_type_created"),
            models.Index(
                fields=["actor_agent", "created_at"],
                name="event_agent_created",
                condition=models.Q(actor_agent__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} on #{self.ticket_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: an event, once written, is history."""
        if self.pk is not None and not self._state.adding:
            raise ValueError("TicketEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Refuse: events are never deleted on their own (only with their ticket)."""
        raise ValueError("TicketEvent is append-only")


class Attachment(models.Model):
    """A file that came with a message; one refused for its size is kept as a note without it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=150)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to="attachments/%Y/%m/", max_length=300, blank=True)
    content_id = models.CharField(
        _("content id"), max_length=255, blank=True, help_text=_("Inline image reference (cid:).")
    )
    is_inline = models.BooleanField(_("inline"), default=False)
    refused_reason = models.CharField(_("refused"), max_length=40, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
