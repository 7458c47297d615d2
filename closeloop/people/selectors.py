"""Reads for the people pages and API: training due and overdue, refreshers coming due,
the skill coverage matrix, onboarding progress."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet

from closeloop.people.models import Agent, AgentSkill, Availability, Skill
from closeloop.people.models_development import (
    OPEN_TRAINING,
    AssessmentResult,
    Mentorship,
    OnboardingProgress,
    TrainingCourse,
    TrainingRecord,
    TrainingStatus,
)

# An agent at this level or above counts as competent in a skill.
COMPETENT_LEVEL = 3
# A skill routing needs is a gap with fewer competent agents online than this.
MIN_COMPETENT_ONLINE = 2


AgentIds = Iterable[int] | QuerySet[Any, Any]


def _ids(agent_ids: AgentIds) -> list[int] | QuerySet[Any, Any]:
    """A subquery stays a subquery (one SQL statement); anything else becomes a list."""
    return agent_ids if isinstance(agent_ids, QuerySet) else list(agent_ids)


def training_records(agent_ids: AgentIds) -> QuerySet[TrainingRecord]:
    """The agents' training, open first by due date, then the rest newest first."""
    return (
        TrainingRecord.objects.filter(agent_id__in=_ids(agent_ids))
        .select_related("agent", "course")
        .order_by(
            F("completed_at").desc(nulls_first=True),
            "due_on",
            "pk",
        )
    )


def training_open(agent_ids: AgentIds) -> QuerySet[TrainingRecord]:
    """The agents' assigned and started courses, soonest due first."""
    return (
        TrainingRecord.objects.filter(agent_id__in=_ids(agent_ids), status__in=OPEN_TRAINING)
        .select_related("agent", "course")
        .order_by("due_on", "pk")
    )


def training_overdue(agent_ids: AgentIds, *, today: date) -> QuerySet[TrainingRecord]:
    """Open courses past their due date."""
    return training_open(agent_ids).filter(due_on__lt=today)


def refreshers_due(today: date) -> list[TrainingRecord]:
    """Each agent's latest completion of an active course with a refresher interval whose
    refresher falls due within the course's days to complete, and after which the agent was
    not enrolled again (an open, completed or cancelled enrolment since means it is handled:
    a lead who cancels a refresher is not overruled by the sweep)."""
    longest = TrainingCourse.objects.filter(refresher_months__isnull=False).aggregate(
        days=Max("days_to_complete")
    )["days"]
    if longest is None:
        return []
    same = {"agent_id": OuterRef("agent_id"), "course_id": OuterRef("course_id")}
    enrolled_since = TrainingRecord.objects.filter(**same, assigned_at__gt=OuterRef("completed_at"))
    still_open = TrainingRecord.objects.filter(**same, status__in=OPEN_TRAINING)
    candidates = (
        TrainingRecord.objects.filter(
            status=TrainingStatus.COMPLETED,
            course__refresher_months__isnull=False,
            course__is_active=True,
            refresher_due_on__lte=today + timedelta(days=longest),
        )
        .exclude(Exists(enrolled_since))
        .exclude(Exists(still_open))
        .select_related("agent", "course")
        .order_by("refresher_due_on", "pk")
    )
    return [
        record
        for record in candidates
        if record.refresher_due_on is not None
        and record.refresher_due_on - timedelta(days=record.course.days_to_complete) <= today
    ]


def assessment_results(agent_ids: AgentIds) -> QuerySet[AssessmentResult]:
    """The agents' assessment attempts, newest first."""
    return AssessmentResult.objects.filter(agent_id__in=_ids(agent_ids)).select_related(
        "agent", "assessment", "assessed_by"
    )


def mentorships(agent_ids: AgentIds, *, active_only: bool = False) -> QuerySet[Mentorship]:
    """Pairs where one of the agents is the mentor or the mentee."""
    ids = _ids(agent_ids)
    pairs = Mentorship.objects.filter(Q(mentor_id__in=ids) | Q(mentee_id__in=ids))
    if active_only:
        pairs = pairs.filter(is_active=True)
    return pairs.select_related("mentor", "mentee")


def onboarding_steps(agent: Agent) -> QuerySet[OnboardingProgress]:
    """One agent's checklist, in order."""
    return OnboardingProgress.objects.filter(agent=agent).select_related("item", "done_by")


@dataclass(frozen=True)
class OnboardingSummary:
    """How far one agent is through the checklist."""

    agent: Agent
    done: int
    total: int

    @property
    def percent(self) -> int:
        """Done steps as a whole percentage (100 for an empty checklist)."""
        return round(100 * self.done / self.total) if self.total else 100


def onboarding_summaries(agents: Iterable[Agent]) -> list[OnboardingSummary]:
    """Checklist progress for each agent that has a checklist."""
    by_id = {agent.pk: agent for agent in agents}
    rows = (
        OnboardingProgress.objects.filter(agent_id__in=list(by_id))
        .values("agent_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False)))
        .order_by("agent_id")
    )
    return [
        OnboardingSummary(agent=by_id[row["agent_id"]], done=row["done"], total=row["total"])
        for row in rows
    ]


@dataclass
class SkillCoverage:
    """One skill across a set of agents."""

    skill: Skill
    needed_level: int | None  # the lowest level routing asks for, None when not needed
    competent: int = 0  # agents at the competent level or above
    competent_online: int = 0

    @property
    def threshold(self) -> int:
        """The level that counts as competent here: 3, or what routing asks if higher."""
        return max(COMPETENT_LEVEL, self.needed_level or 0)

    @property
    def is_gap(self) -> bool:
        """Nobody competent, or a skill routing needs with too few competent agents online."""
        if self.competent == 0:
            return True
        return self.needed_level is not None and self.competent_online < MIN_COMPETENT_ONLINE


@dataclass
class CoverageMatrix:
    """Agents × skills with levels, and per skill how well it is covered."""

    agents: list[Agent]
    skills: list[SkillCoverage]
    levels: dict[int, dict[int, int]] = field(default_factory=dict)  # agent → skill → level

    def rows(self) -> list[tuple[Agent, list[int | None]]]:
        """Each agent with their level in each skill (None where they have none)."""
        return [
            (agent, [self.levels.get(agent.pk, {}).get(cov.skill.pk) for cov in self.skills])
            for agent in self.agents
        ]

    @property
    def gaps(self) -> list[SkillCoverage]:
        """The skills highlighted as gaps."""
        return [cov for cov in self.skills if cov.is_gap]


def skill_coverage(
    agents: Iterable[Agent],
    *,
    needed: Mapping[int, int] | None = None,
    skills: Iterable[Skill] | None = None,
) -> CoverageMatrix:
    """The coverage matrix for ``agents`` over ``skills`` (default: every skill). ``needed``
    maps skill id → the lowest level routing asks for (the caller reads it from triage's
    category needs)."""
    needed = dict(needed or {})
    members = sorted(agents, key=lambda agent: (agent.display_name, agent.pk))
    levels: dict[int, dict[int, int]] = {}
    for agent_id, skill_id, level in AgentSkill.objects.filter(
        agent_id__in=[agent.pk for agent in members]
    ).values_list("agent_id", "skill_id", "level"):
        levels.setdefault(agent_id, {})[skill_id] = level
    coverage = [
        SkillCoverage(skill=skill, needed_level=needed.get(skill.pk))
        for skill in (Skill.objects.order_by("code") if skills is None else skills)
    ]
    for cov in coverage:
        for agent in members:
            level = levels.get(agent.pk, {}).get(cov.skill.pk, 0)
            if level >= cov.threshold:
                cov.competent += 1
                if agent.availability == Availability.ONLINE and agent.user.is_active:
                    cov.competent_online += 1
    return CoverageMatrix(agents=members, skills=coverage, levels=levels)
