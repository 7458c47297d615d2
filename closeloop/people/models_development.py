"""Developing agents: training courses and records, assessments and results, mentoring,
the onboarding checklist, and an append-only log of every change to them.

Imported at the end of ``models.py`` so Django finds these models with the app's others.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.people.models import SKILL_LEVEL_MAX, SKILL_LEVEL_MIN, Agent, Skill

SCORE_MAX = 100


def _localised(language: str, english: str, chinese: str) -> str:
    return chinese if language.lower().startswith("zh") and chinese else english


class TrainingCourse(models.Model):
    """A course agents take: what skill it trains, to what level, and how often to repeat it."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    skill = models.ForeignKey(
        Skill,
        verbose_name=_("skill"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses",
    )
    skill_level = models.PositiveSmallIntegerField(
        _("level it brings"), null=True, blank=True, help_text=_("1 (beginner) to 5 (expert).")
    )
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, default=1)
    is_mandatory_for_new_agents = models.BooleanField(
        _("mandatory for new agents"),
        default=False,
        help_text=_("Assigned to every new agent when they are onboarded."),
    )
    days_to_complete = models.PositiveSmallIntegerField(
        _("days to complete"),
        default=30,
        help_text=_("When assigned without a due date, it is due this many days later."),
    )
    refresher_months = models.PositiveSmallIntegerField(
        _("refresher interval (months)"),
        null=True,
        blank=True,
        help_text=_("Take it again this many months after completing it; empty for never."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(skill_level__isnull=True)
                | models.Q(skill_level__gte=SKILL_LEVEL_MIN, skill_level__lte=SKILL_LEVEL_MAX),
                name="course_skill_level_1_5",
            ),
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="course_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title_en}"

    def title(self, language: str) -> str:
        """The Chinese title for a Chinese language code, else the English one."""
        return _localised(language, self.title_en, self.title_zh)


class TrainingStatus(models.TextChoices):
    """Where one agent is with one course."""

    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_TRAINING = frozenset({TrainingStatus.ASSIGNED, TrainingStatus.IN_PROGRESS})

# The only changes a training record may go through (services enforce it with guarded updates).
TRAINING_ALLOWED: dict[TrainingStatus, frozenset[TrainingStatus]] = {
    TrainingStatus.ASSIGNED: frozenset(
        {TrainingStatus.IN_PROGRESS, TrainingStatus.COMPLETED, TrainingStatus.CANCELLED}
    ),
    TrainingStatus.IN_PROGRESS: frozenset({TrainingStatus.COMPLETED, TrainingStatus.CANCELLED}),
    TrainingStatus.COMPLETED: frozenset(),
    TrainingStatus.CANCELLED: frozenset(),
}


class TrainingRecord(models.Model):
    """One agent's enrolment in one course: assigned, due, started, completed with a score."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="training_records")
    course = models.ForeignKey(TrainingCourse, on_delete=models.PROTECT, related_name="records")
    status = models.CharField(
        _("status"), max_length=12, choices=TrainingStatus.choices, default=TrainingStatus.ASSIGNED
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    # The day the course is to be taken again (completion + the course's refresher interval).
    refresher_due_on = models.DateField(_("refresher due on"), null=True, blank=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "course"],
                condition=models.Q(status__in=["assigned", "in_progress"]),
                name="training_one_open_per_course",
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=SCORE_MAX),
                name="training_score_0_100",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="training_status_due")]

    def __str__(self) -> str:
        return f"{self.agent}: {self.course.code} ({self.status})"

    def is_overdue(self, today: date) -> bool:
        """Still open after its due date."""
        return self.status in OPEN_TRAINING and self.due_on < today


class Assessment(models.Model):
    """A test of a skill or a course, with a maximum score and a pass mark."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    skill = models.ForeignKey(
        Skill,
        verbose_name=_("skill"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assessments",
    )
    course = models.ForeignKey(
        TrainingCourse,
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assessments",
    )
    max_score = models.PositiveSmallIntegerField(_("maximum score"), default=100)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark"), default=60)
    level_on_pass = models.PositiveSmallIntegerField(
        _("skill level on pass"),
        null=True,
        blank=True,
        help_text=_(
            "Passing raises the agent's level in the skill to this (never lowers it). "
            "Empty: the course's level, if a course is linked."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_score__gte=1, pass_mark__lte=models.F("max_score")),
                name="assessment_pass_mark_within_max",
            ),
            models.CheckConstraint(
                condition=models.Q(level_on_pass__isnull=True)
                | models.Q(level_on_pass__gte=SKILL_LEVEL_MIN, level_on_pass__lte=SKILL_LEVEL_MAX),
                name="assessment_level_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title_en}"

    def title(self, language: str) -> str:
        """The Chinese title for a Chinese language code, else the English one."""
        return _localised(language, self.title_en, self.title_zh)

    @property
    def trained_skill(self) -> Skill | None:
        """The skill a pass counts for: the assessment's own, else its course's."""
        if self.skill_id is not None:
            return self.skill
        return self.course.skill if self.course is not None else None

    @property
    def awarded_level(self) -> int | None:
        """The level a pass brings: the assessment's own, else its course's."""
        if self.level_on_pass is not None:
            return self.level_on_pass
        return self.course.skill_level if self.course is not None else None


class AssessmentResult(models.Model):
    """One attempt by one agent at one assessment."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="results")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="assessment_results")
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    score = models.PositiveSmallIntegerField(_("score"))
    passed = models.BooleanField(_("passed"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_at = models.DateTimeField(_("assessed at"))
    notes = models.TextField(_("notes"), blank=True)
    # What the pass did to the skill level (empty when it changed nothing).
    level_raised_to = models.PositiveSmallIntegerField(_("level raised to"), null=True, blank=True)

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        ordering = ["-assessed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "agent", "attempt"], name="assessment_result_attempt"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent}: {self.assessment.code} #{self.attempt} {self.score}"


class Mentorship(models.Model):
    """A mentor paired with a (new) agent for a while, with goals."""

    mentor = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="mentoring")
    mentee = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="mentored_by")
    started_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"), null=True, blank=True)
    goals = models.TextField(_("goals"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mentorship")
        verbose_name_plural = _("mentorships")
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(mentor=models.F("mentee")), name="mentorship_not_self"
            ),
            models.UniqueConstraint(
                fields=["mentee"],
                condition=models.Q(is_active=True),
                name="mentorship_one_active_mentor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.mentee}"


class OnboardingItem(models.Model):
    """One step of the onboarding checklist every new agent works through, in order."""

    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("onboarding item")
        verbose_name_plural = _("onboarding items")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.title_en}"

    def title(self, language: str) -> str:
        """The Chinese title for a Chinese language code, else the English one."""
        return _localised(language, self.title_en, self.title_zh)


class OnboardingProgress(models.Model):
    """One agent's state on one checklist item: done (when, by whom) or still to do."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="onboarding")
    item = models.ForeignKey(OnboardingItem, on_delete=models.CASCADE, related_name="progress")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("onboarding progress")
        verbose_name_plural = _("onboarding progress")
        ordering = ["item__position", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "item"], name="onboarding_unique_item"),
        ]

    def __str__(self) -> str:
        return f"{self.agent}: {self.item} ({'done' if self.done_at else 'to do'})"


class PeopleEventType(models.TextChoices):
    """What happened to an agent's development."""

    SKILL_SET = "skill_set", _("Skill level set")
    SKILL_REMOVED = "skill_removed", _("Skill removed")
    TRAINING_ASSIGNED = "training_assigned", _("Training assigned")
    TRAINING_STARTED = "training_started", _("Training started")
    TRAINING_COMPLETED = "training_completed", _("Training completed")
    TRAINING_CANCELLED = "training_cancelled", _("Training cancelled")
    ASSESSED = "assessed", _("Assessment recorded")
    MENTORING_STARTED = "mentoring_started", _("Mentoring started")
    MENTORING_ENDED = "mentoring_ended", _("Mentoring ended")
    ONBOARDED = "onboarded", _("Onboarded")
    ONBOARDING_DONE = "onboarding_done", _("Onboarding step done")
    ONBOARDING_UNDONE = "onboarding_undone", _("Onboarding step reopened")


class PeopleEvent(models.Model):
    """Append-only audit of changes to an agent's skills, training and onboarding."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="people_events")
    type = models.CharField(_("type"), max_length=24, choices=PeopleEventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("people event")
        verbose_name_plural = _("people events")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["agent", "created_at"], name="people_event_agent_at")]

    def __str__(self) -> str:
        return f"{self.agent}: {self.type}"
