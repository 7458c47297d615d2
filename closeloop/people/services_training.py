"""Training and assessments: assign a course, start and complete it, assign refreshers when
they come due, and record assessment results (a pass can raise the skill level)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition
from closeloop.people.events import AlreadyExists, add_months, people_event_append, today
from closeloop.people.models import Agent, AgentSkill, Skill
from closeloop.people.models_development import (
    OPEN_TRAINING,
    SCORE_MAX,
    TRAINING_ALLOWED,
    Assessment,
    AssessmentResult,
    TrainingCourse,
    TrainingRecord,
    TrainingStatus,
)
from closeloop.people.models_development import PeopleEventType as Event


def _check_score(score: Any, *, maximum: int) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= maximum:
        raise InvalidInput(
            _("The score must be a whole number from 0 to %(max)s.") % {"max": maximum},
            details={"field": "score"},
        )
    return score


@transaction.atomic
def training_assign(
    *, agent: Agent, course: TrainingCourse, actor: User | None, due_on: date | None = None
) -> TrainingRecord:
    """Enrol ``agent`` in ``course``, due on ``due_on`` (default: the course's days to
    complete from today); refuse a second open enrolment in the same course."""
    if not course.is_active:
        raise InvalidInput(_("This course is no longer offered."), details={"field": "course"})
    start = today()
    if due_on is None:
        due_on = start + timedelta(days=course.days_to_complete)
    elif due_on < start:
        raise InvalidInput(_("The due date cannot be in the past."), details={"field": "due_on"})
    if TrainingRecord.objects.filter(agent=agent, course=course, status__in=OPEN_TRAINING).exists():
        raise AlreadyExists(
            _("%(agent)s is already enrolled in %(course)s.")
            % {"agent": agent, "course": course.code},
            details={"field": "course"},
        )
    try:
        with transaction.atomic():
            record = TrainingRecord.objects.create(
                agent=agent,
                course=course,
                assigned_at=clock.now(),
                assigned_by=actor,
                due_on=due_on,
            )
    except IntegrityError:  # a concurrent assignment won the race
        raise AlreadyExists(
            _("%(agent)s is already enrolled in %(course)s.")
            % {"agent": agent, "course": course.code},
            details={"field": "course"},
        ) from None
    people_event_append(
        agent=agent,
        type=Event.TRAINING_ASSIGNED,
        actor=actor,
        record=record.pk,
        course=course.code,
        due_on=due_on.isoformat(),
    )
    return record


def _move(record: TrainingRecord, to: TrainingStatus, **fields: Any) -> None:
    current = TrainingStatus(record.status)
    if to not in TRAINING_ALLOWED[current]:
        raise InvalidTransition(
            _("Training that is %(from)s cannot become %(to)s.")
            % {"from": current.label, "to": to.label},
            details={"from": current.value, "to": to.value},
        )
    changed = TrainingRecord.objects.filter(pk=record.pk, status=current).update(
        status=to, **fields
    )
    if changed != 1:
        raise ConcurrentChange(_("Someone else changed this training record; reload it."))
    record.status = to
    for name, value in fields.items():
        setattr(record, name, value)


@transaction.atomic
def training_start(*, record: TrainingRecord, actor: User | None) -> TrainingRecord:
    """Mark an assigned course as started."""
    _move(record, TrainingStatus.IN_PROGRESS, started_at=clock.now())
    people_event_append(
        agent=record.agent, type=Event.TRAINING_STARTED, actor=actor, record=record.pk
    )
    return record


@transaction.atomic
def training_complete(
    *, record: TrainingRecord, score: int | None, actor: User | None
) -> TrainingRecord:
    """Record a course as completed with its score (0–100, optional) and set when it is to
    be refreshed. Completing a course does not change skill levels: passing an assessment
    does."""
    if score is not None:
        _check_score(score, maximum=SCORE_MAX)
    completed_at = clock.now()
    course = record.course
    refresher = add_months(today(), course.refresher_months) if course.refresher_months else None
    started_at = record.started_at or completed_at
    _move(
        record,
        TrainingStatus.COMPLETED,
        completed_at=completed_at,
        started_at=started_at,
        score=score,
        refresher_due_on=refresher,
    )
    people_event_append(
        agent=record.agent,
        type=Event.TRAINING_COMPLETED,
        actor=actor,
        record=record.pk,
        score=score,
    )
    return record


@transaction.atomic
def training_cancel(*, record: TrainingRecord, actor: User | None) -> TrainingRecord:
    """Withdraw an open enrolment (the record stays, cancelled)."""
    _move(record, TrainingStatus.CANCELLED)
    people_event_append(
        agent=record.agent, type=Event.TRAINING_CANCELLED, actor=actor, record=record.pk
    )
    return record


def training_refreshers_assign(*, actor: User | None = None) -> int:
    """Enrol agents again in courses whose refresher comes due within the course's days to
    complete; due on the refresher date. Idempotent: an open enrolment blocks another.
    Returns how many enrolments it made."""
    from closeloop.people.selectors import refreshers_due

    made = 0
    for record in refreshers_due(today()):
        due_on = max(record.refresher_due_on or today(), today())
        try:
            training_assign(agent=record.agent, course=record.course, actor=actor, due_on=due_on)
        except AlreadyExists:
            continue
        except InvalidInput:  # the course was withdrawn meanwhile
            continue
        made += 1
    return made


@transaction.atomic
def agent_skill_level_raise(
    *, agent: Agent, skill_id: int, level: int, actor: User | None
) -> int | None:
    """Raise ``agent``'s level in a skill to ``level`` (never lower it); return the new level,
    or None when it was already there."""
    current = AgentSkill.objects.select_for_update().filter(agent=agent, skill_id=skill_id).first()
    if current is not None and current.level >= level:
        return None
    if current is None:
        # save(), not a bulk write: routing's cache listens for AgentSkill saves.
        current = AgentSkill(agent=agent, skill_id=skill_id, level=level)
    else:
        current.level = level
    current.save()
    people_event_append(
        agent=agent, type=Event.SKILL_SET, actor=actor, skill=skill_id, level=level, reason="pass"
    )
    return level


@transaction.atomic
def assessment_result_record(
    *,
    assessment: Assessment,
    agent: Agent,
    score: int,
    actor: User | None,
    notes: str = "",
) -> AssessmentResult:
    """Record an attempt: its number, whether it passed (score ≥ pass mark), and on a pass
    raise the agent's skill level to the level the assessment awards. An agent cannot assess
    themselves."""
    if not assessment.is_active:
        raise InvalidInput(_("This assessment is no longer used."), details={"field": "assessment"})
    _check_score(score, maximum=assessment.max_score)
    if actor is not None and actor.pk == agent.user_id:
        raise InvalidInput(_("Nobody can assess themselves."), details={"field": "agent"})
    # Lock the agent's row so two results recorded at once get different attempt numbers.
    Agent.objects.select_for_update().filter(pk=agent.pk).first()
    attempt = AssessmentResult.objects.filter(assessment=assessment, agent=agent).count() + 1
    passed = score >= assessment.pass_mark
    result = AssessmentResult(
        assessment=assessment,
        agent=agent,
        attempt=attempt,
        score=score,
        passed=passed,
        assessed_by=actor,
        assessed_at=clock.now(),
        notes=notes.strip()[:2000],
    )
    skill = assessment.trained_skill
    level = assessment.awarded_level
    if passed and skill is not None and level is not None:
        result.level_raised_to = agent_skill_level_raise(
            agent=agent, skill_id=skill.pk, level=level, actor=actor
        )
    try:
        with transaction.atomic():
            result.save()
    except IntegrityError:
        raise ConcurrentChange(_("Another result was recorded at the same time; retry.")) from None
    people_event_append(
        agent=agent,
        type=Event.ASSESSED,
        actor=actor,
        assessment=assessment.code,
        attempt=attempt,
        score=score,
        passed=passed,
    )
    return result


def _skill(code: str | None) -> Skill | None:
    if not code:
        return None
    skill = Skill.objects.filter(code=code).first()
    if skill is None:
        raise InvalidInput(
            _("No skill with code %(code)s.") % {"code": code}, details={"field": "skill"}
        )
    return skill


@transaction.atomic
def course_create(
    *,
    actor: User | None,
    code: str,
    title_en: str,
    title_zh: str,
    description: str = "",
    skill: str | None = None,
    skill_level: int | None = None,
    hours: Decimal = Decimal(1),
    is_mandatory_for_new_agents: bool = False,
    days_to_complete: int = 30,
    refresher_months: int | None = None,
) -> TrainingCourse:
    """Add a training course to the catalogue (codes are unique)."""
    if TrainingCourse.objects.filter(code=code).exists():
        raise AlreadyExists(
            _("A course with code %(code)s exists.") % {"code": code}, details={"field": "code"}
        )
    return TrainingCourse.objects.create(
        code=code,
        title_en=title_en.strip(),
        title_zh=title_zh.strip(),
        description=description.strip(),
        skill=_skill(skill),
        skill_level=skill_level,
        hours=hours,
        is_mandatory_for_new_agents=is_mandatory_for_new_agents,
        days_to_complete=days_to_complete,
        refresher_months=refresher_months,
    )


@transaction.atomic
def assessment_create(
    *,
    actor: User | None,
    code: str,
    title_en: str,
    title_zh: str,
    skill: str | None = None,
    course: TrainingCourse | None = None,
    max_score: int = 100,
    pass_mark: int = 60,
    level_on_pass: int | None = None,
) -> Assessment:
    """Add an assessment: a pass mark no higher than the maximum score."""
    if pass_mark > max_score:
        raise InvalidInput(
            _("The pass mark cannot exceed the maximum score."), details={"field": "pass_mark"}
        )
    if Assessment.objects.filter(code=code).exists():
        raise AlreadyExists(
            _("An assessment with code %(code)s exists.") % {"code": code},
            details={"field": "code"},
        )
    return Assessment.objects.create(
        code=code,
        title_en=title_en.strip(),
        title_zh=title_zh.strip(),
        skill=_skill(skill),
        course=course,
        max_score=max_score,
        pass_mark=pass_mark,
        level_on_pass=level_on_pass,
    )
