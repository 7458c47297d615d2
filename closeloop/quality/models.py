"""Scorecards, QA sampling and reviews, automatic checks, calibration and disputes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scorecard(models.Model):
    """One version of a scorecard: criteria, weights and a pass mark; reviews keep their version.

    Editing a scorecard that reviews already use creates a new version with the same ``code``;
    exactly one version of a code is current (the one new reviews use).
    """

    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    name_en = models.CharField(_("name (English)"), max_length=150)
    name_zh = models.CharField(_("name (Chinese)"), max_length=150)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, help_text=_("The weighted score (in %) a review needs.")
    )
    is_current = models.BooleanField(_("current version"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="scorecard_unique_version"),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(is_current=True),
                name="scorecard_one_current",
            ),
            models.CheckConstraint(
                condition=models.Q(pass_mark__lte=100), name="scorecard_pass_mark_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def display_name(self, language: str) -> str:
        """The Chinese name for a Chinese language code, else English."""
        return self.name_zh if language.lower().startswith("zh") else self.name_en


class Criterion(models.Model):
    """One thing a reviewer scores (greeting, accuracy …), weighted, possibly critical."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(_("key"), max_length=50)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_en = models.CharField(_("name (English)"), max_length=150)
    name_zh = models.CharField(_("name (Chinese)"), max_length=150)
    guidance_en = models.TextField(_("guidance (English)"), blank=True)
    guidance_zh = models.TextField(_("guidance (Chinese)"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    # 1: pass/fail (0 or 1); N: a scale 0..N.
    max_points = models.PositiveSmallIntegerField(_("maximum points"), default=1)
    is_critical = models.BooleanField(
        _("critical"),
        default=False,
        help_text=_("Failing this criterion fails the review whatever the total."),
    )
    # The written service standard (script, process rule) the criterion checks against.
    standard_article = models.ForeignKey(
        "knowledge.Article",
        verbose_name=_("service standard"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quality_criteria",
    )

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["scorecard", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "key"], name="criterion_unique_key"),
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="criterion_weight_1"),
            models.CheckConstraint(
                condition=models.Q(max_points__gte=1), name="criterion_max_points_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard}: {self.key}"

    def display_name(self, language: str) -> str:
        """The Chinese name for a Chinese language code, else English."""
        return self.name_zh if language.lower().startswith("zh") else self.name_en

    def guidance(self, language: str) -> str:
        """The Chinese guidance for a Chinese language code, else English."""
        return self.guidance_zh if language.lower().startswith("zh") else self.guidance_en


class SampleMode(models.TextChoices):
    """How many conversations a plan samples per agent per week."""

    COUNT = "count", _("A number of conversations")
    PERCENT = "percent", _("A percentage of conversations")


class SamplingPlan(models.Model):
    """Which conversations are reviewed each week: n or x % per agent, stratified by channel."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    scorecard_code = models.SlugField(_("scorecard"), max_length=50, default="default")
    mode = models.CharField(
        _("mode"), max_length=10, choices=SampleMode.choices, default=SampleMode.COUNT
    )
    amount = models.PositiveSmallIntegerField(
        _("amount"), default=5, help_text=_("Conversations (or percent) per agent per week.")
    )
    seed = models.CharField(_("seed"), max_length=64, default="closeloop")
    # Only agents of this team are sampled; empty: every agent.
    team = models.ForeignKey(
        "people.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sampling_plans",
    )
    reviewers = models.ManyToManyField(
        "people.Agent", verbose_name=_("reviewers"), related_name="reviewer_of_plans", blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("sampling plan")
        verbose_name_plural = _("sampling plans")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=1), name="plan_amount_1"),
            models.CheckConstraint(
                condition=~models.Q(mode="percent") | models.Q(amount__lte=100),
                name="plan_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SampleDraw(models.Model):
    """The record that a plan's sample for one week was drawn (so drawing again changes nothing)."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="draws")
    week = models.DateField(_("week (Monday)"))
    drawn_at = models.DateTimeField(_("drawn at"))
    drawn_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("sample draw")
        verbose_name_plural = _("sample draws")
        constraints = [
            models.UniqueConstraint(fields=["plan", "week"], name="draw_unique_week"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.week}"


class ReviewStatus(models.TextChoices):
    """Where a review is: waiting in a reviewer's queue, submitted (counted), or cancelled."""

    PENDING = "pending", _("To review")
    SUBMITTED = "submitted", _("Submitted")
    CANCELLED = "cancelled", _("Cancelled")


class CalibrationSession(models.Model):
    """Several reviewers score the same conversation with the same scorecard; the spread shows."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="qa_calibrations"
    )
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="calibrations")
    title = models.CharField(_("title"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("calibration session")
        verbose_name_plural = _("calibration sessions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title or f"calibration of #{self.ticket_id}"


class Review(models.Model):
    """One reviewer's scoring of one conversation against one scorecard version."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="qa_reviews"
    )
    # The reviewed agent (the ticket's assignee when the review was queued).
    agent = models.ForeignKey(
        "people.Agent", on_delete=models.CASCADE, related_name="qa_reviews_received"
    )
    reviewer = models.ForeignKey(
        "people.Agent", on_delete=models.CASCADE, related_name="qa_reviews_given"
    )
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="reviews")
    plan = models.ForeignKey(
        SamplingPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    week = models.DateField(_("week (Monday)"), null=True, blank=True)
    calibration = models.ForeignKey(
        CalibrationSession,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    # Weighted percentage 0..100 (after a dispute upheld with an adjusted score: that score).
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    critical_failed = models.BooleanField(_("critical criterion failed"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    assigned_at = models.DateTimeField(_("assigned at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-assigned_at", "-id"]
        indexes = [
            models.Index(fields=["reviewer", "status"], name="review_reviewer_status"),
            models.Index(fields=["agent", "submitted_at"], name="review_agent_submitted"),
            models.Index(fields=["status", "submitted_at"], name="review_status_submitted"),
        ]
        constraints = [
            # A sampling plan never queues the same conversation twice.
            models.UniqueConstraint(
                fields=["plan", "ticket"],
                condition=models.Q(plan__isnull=False),
                name="review_plan_unique_ticket",
            ),
            models.UniqueConstraint(
                fields=["calibration", "reviewer"],
                condition=models.Q(calibration__isnull=False),
                name="review_calibration_unique_reviewer",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="submitted")
                | models.Q(score__isnull=False, passed__isnull=False, submitted_at__isnull=False),
                name="review_submitted_has_score",
            ),
        ]

    def __str__(self) -> str:
        return f"review of #{self.ticket_id} by {self.reviewer_id}"


class CriterionScore(models.Model):
    """The points one review gave one criterion, with the reviewer's note."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    points = models.PositiveSmallIntegerField(_("points"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="criterion_score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.key}={self.points}"


class DisputeStatus(models.TextChoices):
    """A dispute is open until a lead upholds (with an adjusted score) or rejects it."""

    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class Dispute(models.Model):
    """The reviewed agent's objection to a review's score, and how a lead settled it."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="dispute")
    raised_by = models.ForeignKey(
        "people.Agent", on_delete=models.CASCADE, related_name="qa_disputes_raised"
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    original_score = models.DecimalField(max_digits=5, decimal_places=2)
    original_passed = models.BooleanField()
    adjusted_score = models.DecimalField(
        _("adjusted score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    settled_by = models.ForeignKey(
        "people.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="qa_disputes_settled",
    )
    settlement_note = models.TextField(_("settlement note"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="dispute_status_created")]

    def __str__(self) -> str:
        return f"dispute of review {self.review_id} ({self.status})"


class CheckOutcome(models.TextChoices):
    """What an automatic check found on one conversation."""

    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class CheckResult(models.Model):
    """The latest result of one automatic check on one ticket (re-running replaces it)."""

    # Indexed by the unique (ticket, code) constraint.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="qa_checks", db_index=False
    )
    # The check's code (``first_response``, ``greeting`` …); not ``check``, which is Model.check().
    code = models.CharField(_("check"), max_length=40)
    outcome = models.CharField(_("outcome"), max_length=20, choices=CheckOutcome.choices)
    # The agent the result counts for (the ticket's assignee when checked).
    agent = models.ForeignKey(
        "people.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="qa_check_results",
        db_index=False,  # the (agent, checked_at) index below
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "code"], name="check_result_unique"),
        ]
        indexes = [
            models.Index(fields=["agent", "checked_at"], name="check_result_agent_checked"),
            models.Index(fields=["code", "checked_at"], name="check_result_code_checked"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on #{self.ticket_id}: {self.outcome}"


class PhraseKind(models.TextChoices):
    """The phrase lists the automatic checks look for."""

    GREETING = "greeting", _("Greeting")
    CLOSING = "closing", _("Closing")
    FORBIDDEN = "forbidden", _("Forbidden phrase")
    APOLOGY = "apology", _("Apology")
    NEGATIVE = "negative", _("Negative word")
    POSITIVE = "positive", _("Positive word")


class Phrase(models.Model):
    """One phrase of a check's list (zh or en); defaults are installed by a data migration."""

    kind = models.CharField(_("kind"), max_length=10, choices=PhraseKind.choices)
    language = models.CharField(_("language"), max_length=10, default="en")
    text = models.CharField(_("text"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("check phrase")
        verbose_name_plural = _("check phrases")
        ordering = ["kind", "language", "text"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "text"], name="phrase_unique_text"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"
