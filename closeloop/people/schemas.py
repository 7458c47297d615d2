"""Input and output shapes of the people API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from closeloop.people.models import Agent, Skill
from closeloop.people.models_development import (
    Assessment,
    AssessmentResult,
    Mentorship,
    OnboardingProgress,
    TrainingCourse,
    TrainingRecord,
)
from closeloop.people.selectors import CoverageMatrix

TrainingStatusCode = Literal["assigned", "in_progress", "completed", "cancelled"]


class AgentRefOut(Schema):
    id: int
    display_name: str


def agent_ref(agent: Agent) -> AgentRefOut:
    return AgentRefOut(id=agent.pk, display_name=agent.display_name)


class SkillOut(Schema):
    id: int
    code: str
    name_en: str
    name_zh: str


def skill_out(skill: Skill) -> SkillOut:
    return SkillOut(id=skill.pk, code=skill.code, name_en=skill.name_en, name_zh=skill.name_zh)


class SkillLevelIn(Schema):
    level: int = Field(..., description="1 (beginner) to 5 (expert)")


class SkillLevelOut(Schema):
    agent_id: int
    skill: str
    level: int


class CourseIn(Schema):
    code: str = Field(..., min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    title_en: str = Field(..., min_length=1, max_length=200)
    title_zh: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    skill: str | None = Field(None, description="Skill code the course trains")
    skill_level: int | None = Field(None, ge=1, le=5)
    hours: Decimal = Field(Decimal(1), ge=0, le=9999, decimal_places=1)
    is_mandatory_for_new_agents: bool = False
    days_to_complete: int = Field(30, ge=1, le=3650)
    refresher_months: int | None = Field(None, ge=1, le=120)


class CourseOut(Schema):
    id: int
    code: str
    title_en: str
    title_zh: str
    description: str
    skill: str | None
    skill_level: int | None
    hours: Decimal
    is_mandatory_for_new_agents: bool
    days_to_complete: int
    refresher_months: int | None
    is_active: bool


def course_out(course: TrainingCourse) -> CourseOut:
    return CourseOut(
        id=course.pk,
        code=course.code,
        title_en=course.title_en,
        title_zh=course.title_zh,
        description=course.description,
        skill=course.skill.code if course.skill else None,
        skill_level=course.skill_level,
        hours=course.hours,
        is_mandatory_for_new_agents=course.is_mandatory_for_new_agents,
        days_to_complete=course.days_to_complete,
        refresher_months=course.refresher_months,
        is_active=course.is_active,
    )


class RecordIn(Schema):
    agent_id: int
    course_id: int
    due_on: date | None = Field(None, description="Default: the course's days to complete")


class CompleteIn(Schema):
    score: int | None = Field(None, description="0–100")


class RecordOut(Schema):
    id: int
    agent: AgentRefOut
    course: str
    course_id: int
    status: TrainingStatusCode
    assigned_at: datetime
    due_on: date
    is_overdue: bool
    started_at: datetime | None
    completed_at: datetime | None
    score: int | None
    refresher_due_on: date | None


def record_out(record: TrainingRecord, *, today: date) -> RecordOut:
    return RecordOut(
        id=record.pk,
        agent=agent_ref(record.agent),
        course=record.course.code,
        course_id=record.course_id,
        status=record.status,  # type: ignore[arg-type]
        assigned_at=record.assigned_at,
        due_on=record.due_on,
        is_overdue=record.is_overdue(today),
        started_at=record.started_at,
        completed_at=record.completed_at,
        score=record.score,
        refresher_due_on=record.refresher_due_on,
    )


class AssessmentIn(Schema):
    code: str = Field(..., min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    title_en: str = Field(..., min_length=1, max_length=200)
    title_zh: str = Field(..., min_length=1, max_length=200)
    skill: str | None = Field(None, description="Skill code")
    course_id: int | None = None
    max_score: int = Field(100, ge=1, le=1000)
    pass_mark: int = Field(60, ge=0, le=1000)
    level_on_pass: int | None = Field(None, ge=1, le=5)


class AssessmentOut(Schema):
    id: int
    code: str
    title_en: str
    title_zh: str
    skill: str | None
    course_id: int | None
    max_score: int
    pass_mark: int
    level_on_pass: int | None
    is_active: bool


def assessment_out(assessment: Assessment) -> AssessmentOut:
    return AssessmentOut(
        id=assessment.pk,
        code=assessment.code,
        title_en=assessment.title_en,
        title_zh=assessment.title_zh,
        skill=assessment.skill.code if assessment.skill else None,
        course_id=assessment.course_id,
        max_score=assessment.max_score,
        pass_mark=assessment.pass_mark,
        level_on_pass=assessment.level_on_pass,
        is_active=assessment.is_active,
    )


class ResultIn(Schema):
    agent_id: int
    score: int
    notes: str = Field("", max_length=2000)


class ResultOut(Schema):
    id: int
    assessment: str
    assessment_id: int
    agent: AgentRefOut
    attempt: int
    score: int
    max_score: int
    pass_mark: int
    passed: bool
    assessed_by: str | None
    assessed_at: datetime
    level_raised_to: int | None
    notes: str


def result_out(result: AssessmentResult) -> ResultOut:
    return ResultOut(
        id=result.pk,
        assessment=result.assessment.code,
        assessment_id=result.assessment_id,
        agent=agent_ref(result.agent),
        attempt=result.attempt,
        score=result.score,
        max_score=result.assessment.max_score,
        pass_mark=result.assessment.pass_mark,
        passed=result.passed,
        assessed_by=result.assessed_by.get_username() if result.assessed_by else None,
        assessed_at=result.assessed_at,
        level_raised_to=result.level_raised_to,
        notes=result.notes,
    )


class MentorshipIn(Schema):
    mentor_id: int
    mentee_id: int
    goals: str = Field("", max_length=4000)
    started_on: date | None = None
    ends_on: date | None = None


class MentorshipOut(Schema):
    id: int
    mentor: AgentRefOut
    mentee: AgentRefOut
    started_on: date
    ends_on: date | None
    goals: str
    is_active: bool


def mentorship_out(pair: Mentorship) -> MentorshipOut:
    return MentorshipOut(
        id=pair.pk,
        mentor=agent_ref(pair.mentor),
        mentee=agent_ref(pair.mentee),
        started_on=pair.started_on,
        ends_on=pair.ends_on,
        goals=pair.goals,
        is_active=pair.is_active,
    )


class OnboardIn(Schema):
    started_on: date | None = None


class OnboardOut(Schema):
    agent_id: int
    steps_added: int
    courses_assigned: list[str]


class StepOut(Schema):
    id: int
    agent_id: int
    position: int
    title_en: str
    title_zh: str
    done_at: datetime | None
    done_by: str | None


def step_out(step: OnboardingProgress) -> StepOut:
    return StepOut(
        id=step.pk,
        agent_id=step.agent_id,
        position=step.item.position,
        title_en=step.item.title_en,
        title_zh=step.item.title_zh,
        done_at=step.done_at,
        done_by=step.done_by.get_username() if step.done_by else None,
    )


class OnboardingOut(Schema):
    agent: AgentRefOut
    done: int
    total: int
    steps: list[StepOut]


class CoverageSkillOut(Schema):
    skill: SkillOut
    needed_level: int | None
    competent_level: int
    competent: int
    competent_online: int
    is_gap: bool


class MatrixRowOut(Schema):
    agent: AgentRefOut
    availability: str
    levels: list[int | None] = Field(..., description="One per skill, in the skills' order")


class MatrixOut(Schema):
    team_id: int | None
    skills: list[CoverageSkillOut]
    rows: list[MatrixRowOut]


def matrix_out(matrix: CoverageMatrix, *, team_id: int | None) -> MatrixOut:
    return MatrixOut(
        team_id=team_id,
        skills=[
            CoverageSkillOut(
                skill=skill_out(cov.skill),
                needed_level=cov.needed_level,
                competent_level=cov.threshold,
                competent=cov.competent,
                competent_online=cov.competent_online,
                is_gap=cov.is_gap,
            )
            for cov in matrix.skills
        ],
        rows=[
            MatrixRowOut(agent=agent_ref(agent), availability=agent.availability, levels=levels)
            for agent, levels in matrix.rows()
        ],
    )
