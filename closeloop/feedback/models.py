"""Surveys (CSAT, NPS, CES), invitations, responses, follow-ups and feedback tickets.

A ``Survey`` says what is asked and when; an ``Invitation`` is one customer asked once (after a
resolved ticket, or in a relationship NPS round); a ``Response`` is their answer, one per
invitation (a second click updates it). A low answer opens a follow-up ticket whose outcome is
recorded on the response.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyType(models.TextChoices):
    """What a survey measures, each on its own scale (see ``SCALES``)."""

    CSAT = "csat", _("Customer satisfaction (CSAT)")
    NPS = "nps", _("Net promoter score (NPS)")
    CES = "ces", _("Customer effort score (CES)")


# The inclusive score range of each survey type.
SCALES: dict[str, tuple[int, int]] = {
    SurveyType.CSAT: (1, 5),
    SurveyType.NPS: (0, 10),
    SurveyType.CES: (1, 7),
}


class Trigger(models.TextChoices):
    """When a survey is sent."""

    RESOLUTION = "resolution", _("After a ticket is resolved")
    RELATIONSHIP = "relationship", _("Periodically, to a sample of customers")


class CommentTicketPolicy(models.TextChoices):
    """Which survey comments become feedback tickets."""

    ALWAYS = "always", _("Every non-empty comment")
    LOW_ONLY = "low_only", _("Only comments with a low score")
    NEVER = "never", _("Never")


MAX_DELAY_MINUTES = 24 * 60  # the plans ask for the survey within 24 h of resolution


class Survey(models.Model):
    """A survey definition: its type, questions in Chinese and English, and when it is sent."""

    name = models.CharField(_("name"), max_length=200)
    survey_type = models.CharField(_("type"), max_length=10, choices=SurveyType.choices)
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.RESOLUTION
    )
    is_active = models.BooleanField(_("active"), default=True)
    question_en = models.CharField(_("question (English)"), max_length=500)
    question_zh = models.CharField(_("question (Chinese)"), max_length=500)
    follow_up_question_en = models.CharField(
        _("follow-up question (English)"), max_length=500, blank=True
    )
    follow_up_question_zh = models.CharField(
        _("follow-up question (Chinese)"), max_length=500, blank=True
    )
    allows_comment = models.BooleanField(_("ask for a comment"), default=True)
    delay_minutes = models.PositiveIntegerField(
        _("delay after resolution (minutes)"),
        default=60,
        validators=[MaxValueValidator(MAX_DELAY_MINUTES)],
    )
    throttle_days = models.PositiveIntegerField(
        _("throttle period (days)"),
        default=14,
        help_text=_("A customer is surveyed at most once in this many days, across all surveys."),
    )
    token_valid_days = models.PositiveIntegerField(
        _("links valid for (days)"), default=14, validators=[MinValueValidator(1)]
    )
    # CSAT scores at or below this are "low" and open a follow-up; NPS detractors (0–6) always.
    low_score_threshold = models.PositiveSmallIntegerField(_("low score (at most)"), default=2)
    comment_ticket_policy = models.CharField(
        _("comments that become feedback tickets"),
        max_length=10,
        choices=CommentTicketPolicy.choices,
        default=CommentTicketPolicy.LOW_ONLY,
    )
    relationship_period_days = models.PositiveIntegerField(
        _("relationship period (days)"), default=90, validators=[MinValueValidator(1)]
    )
    relationship_sample_percent = models.PositiveSmallIntegerField(
        _("relationship sample (%)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    last_relationship_round_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(delay_minutes__lte=MAX_DELAY_MINUTES),
                name="survey_delay_within_a_day",
            ),
            models.CheckConstraint(
                condition=models.Q(relationship_sample_percent__gte=1)
                & models.Q(relationship_sample_percent__lte=100),
                name="survey_sample_percent_1_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> tuple[int, int]:
        """The inclusive score range of this survey's type."""
        return SCALES[self.survey_type]

    def question(self, language: str) -> str:
        """The question in ``language`` (Chinese for any zh variant, else English)."""
        return self.question_zh if language.startswith("zh") else self.question_en

    def follow_up_question(self, language: str) -> str:
        """The optional follow-up question in ``language``."""
        if language.startswith("zh"):
            return self.follow_up_question_zh
        return self.follow_up_question_en

    def is_low(self, score: int) -> bool:
        """Whether ``score`` calls for a follow-up: a low CSAT/CES, or an NPS detractor."""
        if self.survey_type == SurveyType.NPS:
            return score <= 6
        # CSAT 1 = very unhappy; CES 1 = very hard: the same threshold reads "low" for both.
        return score <= self.low_score_threshold


class InvitationStatus(models.TextChoices):
    """Where an invitation is (``ALLOWED`` in services.py holds the transitions)."""

    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    SKIPPED = "skipped", _("Skipped")
    BLOCKED = "blocked", _("Blocked by the channel")


class Invitation(models.Model):
    """One customer asked once: after a resolved ticket, or in a relationship NPS round."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        db_index=False,  # led by the unique constraint below
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    # The resolving agent and their team, kept for the response (the ticket may move on).
    agent = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.SCHEDULED,
    )
    # The channel it went (or will go) out through; empty until sent.
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    scheduled_at = models.DateTimeField(_("send at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    skip_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The public system message on the ticket that carried it (chat, WeChat, email, portal).
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Relationship rounds: the round's date, so a customer is asked once per round.
    round = models.CharField(_("round"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "survey"],
                condition=models.Q(ticket__isnull=False),
                name="invitation_unique_ticket",
            ),
            models.UniqueConstraint(
                fields=["survey", "customer", "round"],
                condition=models.Q(ticket__isnull=True),
                name="invitation_unique_round",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in InvitationStatus]),
                name="invitation_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["scheduled_at"],
                name="invitation_due",
                condition=models.Q(status="scheduled"),
            ),
            models.Index(fields=["customer", "sent_at"], name="invitation_customer_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} → {self.customer} ({self.status})"


class FollowUpOutcome(models.TextChoices):
    """What the team lead's follow-up of a low score achieved."""

    RECOVERED = "recovered", _("Recovered")
    NOT_RECOVERED = "not_recovered", _("Not recovered")
    UNREACHABLE = "unreachable", _("Customer unreachable")


class Response(models.Model):
    """A customer's answer to one invitation; answering again updates it (never a second row)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    survey_type = models.CharField(_("type"), max_length=10, choices=SurveyType.choices)
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    follow_up_answer = models.TextField(_("answer to the follow-up question"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_responses"
    )
    # The assignee when the ticket was resolved, and their team (what CSAT is reported by).
    agent = models.ForeignKey(
        "people.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    channel = models.CharField(_("channel"), max_length=20)
    language = models.CharField(_("language"), max_length=10, default="en")
    answered_at = models.DateTimeField(_("answered at"))
    updated_at = models.DateTimeField(_("updated at"))
    # Earlier scores when the customer answered again: [{"score": 3, "at": "…"}, …].
    history = models.JSONField(default=list, blank=True)
    # The closed loop: the follow-up ticket a low score opened, and what it achieved.
    follow_up_ticket = models.OneToOneField(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_follow_up_of",
    )
    follow_up_outcome = models.CharField(
        _("follow-up outcome"), max_length=20, choices=FollowUpOutcome.choices, blank=True
    )
    follow_up_note = models.TextField(_("follow-up note"), blank=True)
    follow_up_recorded_at = models.DateTimeField(null=True, blank=True)
    follow_up_recorded_by = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The feedback ticket the comment became.
    comment_ticket = models.OneToOneField(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_comment_of",
    )

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["survey_type", "answered_at"], name="response_type_answered"),
            models.Index(fields=["customer", "answered_at"], name="response_customer_answered"),
            models.Index(fields=["agent", "answered_at"], name="response_agent_answered"),
            models.Index(fields=["team", "answered_at"], name="response_team_answered"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(survey_type="csat", score__gte=1, score__lte=5)
                    | models.Q(survey_type="nps", score__gte=0, score__lte=10)
                    | models.Q(survey_type="ces", score__gte=1, score__lte=7)
                ),
                name="response_score_in_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_type} {self.score} by {self.customer}"


class SurveyWebhook(models.Model):
    """An endpoint told about every survey response (``survey.response``), signed HMAC-SHA256."""

    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("survey webhook")
        verbose_name_plural = _("survey webhooks")

    def __str__(self) -> str:
        return self.url
