"""Agents and teams: who does the work and who they report to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Availability(models.TextChoices):
    """Whether an agent can take work right now."""

    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class Team(models.Model):
    """A group of agents that owns a queue (pre-sales, after-sales, technical, …)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_("Only members of the team (and administrators) can see its tickets."),
    )
    # Escalation goes team lead (level 1) -> department head (level 2) -> expert (level 3).
    department_head = models.ForeignKey(
        "people.Agent",
        verbose_name=_("department head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_teams",
    )
    expert = models.ForeignKey(
        "people.Agent",
        verbose_name=_("expert"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert_for_teams",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    """A person who answers customers; the profile beside their Django login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    display_name = models.CharField(_("display name"), max_length=100)
    availability = models.CharField(
        _("availability"),
        max_length=10,
        choices=Availability.choices,
        default=Availability.OFFLINE,
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=25, help_text=_("Open tickets this agent can carry at once.")
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    started_on = models.DateField(
        _("start date"), null=True, blank=True, help_text=_("The agent's first working day.")
    )
    teams = models.ManyToManyField(Team, through="TeamMembership", related_name="agents")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_active(self) -> bool:
        """An agent can work while their login is active."""
        return bool(self.user.is_active)


class TeamRole(models.TextChoices):
    """An agent's role inside one team."""

    MEMBER = "member", _("Member")
    LEAD = "lead", _("Team lead")


class TeamMembership(models.Model):
    """An agent's place in a team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("role"), max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER
    )

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "agent"], name="membership_unique_agent"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} in {self.team} ({self.role})"


class Skill(models.Model):
    """Something an agent can be good at (a product line, refunds, logistics …)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_en} / {self.name_zh}"

    def display_name(self, language: str) -> str:
        """The Chinese name for a Chinese language code (zh, zh-hans, zh-cn …), else English."""
        return self.name_zh if language.lower().startswith("zh") else self.name_en


SKILL_LEVEL_MIN = 1
SKILL_LEVEL_MAX = 5


class AgentSkill(models.Model):
    """How good one agent is at one skill: 1 (beginner) to 5 (expert)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="skill_levels")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agent_levels")
    level = models.PositiveSmallIntegerField(_("level"), default=1)

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="agent_skill_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=SKILL_LEVEL_MIN, level__lte=SKILL_LEVEL_MAX),
                name="agent_skill_level_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent}: {self.skill.code} {self.level}"


# The development models (training, assessments, mentoring, onboarding) live beside these.
from closeloop.people.models_development import (  # noqa: E402
    Assessment,
    AssessmentResult,
    Mentorship,
    OnboardingItem,
    OnboardingProgress,
    PeopleEvent,
    TrainingCourse,
    TrainingRecord,
)

__all__ = [
    "Agent",
    "AgentSkill",
    "Assessment",
    "AssessmentResult",
    "Availability",
    "Mentorship",
    "OnboardingItem",
    "OnboardingProgress",
    "PeopleEvent",
    "Skill",
    "Team",
    "TeamMembership",
    "TeamRole",
    "TrainingCourse",
    "TrainingRecord",
]
