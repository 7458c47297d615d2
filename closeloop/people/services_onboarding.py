"""New agents: onboarding (the checklist and the mandatory courses) and mentoring pairs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import InvalidInput, InvalidTransition
from closeloop.people.events import AlreadyExists, people_event_append, today
from closeloop.people.models import Agent
from closeloop.people.models_development import (
    OPEN_TRAINING,
    Mentorship,
    OnboardingItem,
    OnboardingProgress,
    TrainingCourse,
    TrainingRecord,
    TrainingStatus,
)
from closeloop.people.models_development import PeopleEventType as Event
from closeloop.people.services_training import training_assign


@dataclass(frozen=True)
class Onboarded:
    """What ``agent_onboard`` added: checklist steps and course enrolments."""

    steps_added: int
    courses_assigned: list[str]


@transaction.atomic
def agent_onboard(*, agent: Agent, actor: User | None, started_on: date | None = None) -> Onboarded:
    """Give a new agent the onboarding checklist and enrol them in every mandatory course
    they have not taken. Idempotent: running it again adds only steps and courses that
    are new since."""
    if started_on is not None or agent.started_on is None:
        agent.started_on = started_on or today()
        Agent.objects.filter(pk=agent.pk).update(started_on=agent.started_on)
    have = set(OnboardingProgress.objects.filter(agent=agent).values_list("item_id", flat=True))
    new_steps = [
        OnboardingProgress(agent=agent, item=item)
        for item in OnboardingItem.objects.filter(is_active=True)
        if item.pk not in have
    ]
    OnboardingProgress.objects.bulk_create(new_steps, ignore_conflicts=True)
    taken = set(
        TrainingRecord.objects.filter(
            agent=agent, status__in=[*OPEN_TRAINING, TrainingStatus.COMPLETED]
        ).values_list("course_id", flat=True)
    )
    assigned = []
    for course in TrainingCourse.objects.filter(is_mandatory_for_new_agents=True, is_active=True):
        if course.pk not in taken:
            training_assign(agent=agent, course=course, actor=actor)
            assigned.append(course.code)
    people_event_append(
        agent=agent,
        type=Event.ONBOARDED,
        actor=actor,
        steps_added=len(new_steps),
        courses=assigned,
    )
    return Onboarded(steps_added=len(new_steps), courses_assigned=assigned)


@transaction.atomic
def onboarding_step_done(*, progress: OnboardingProgress, actor: User | None) -> OnboardingProgress:
    """Tick one checklist step (ticking a ticked step changes nothing)."""
    if progress.done_at is not None:
        return progress
    done_at = clock.now()
    changed = OnboardingProgress.objects.filter(pk=progress.pk, done_at__isnull=True).update(
        done_at=done_at, done_by=actor
    )
    if changed != 1:
        progress.refresh_from_db()
        return progress
    progress.done_at, progress.done_by = done_at, actor
    people_event_append(
        agent=progress.agent, type=Event.ONBOARDING_DONE, actor=actor, item=progress.item_id
    )
    return progress


@transaction.atomic
def onboarding_step_undo(*, progress: OnboardingProgress, actor: User | None) -> OnboardingProgress:
    """Untick a step ticked by mistake."""
    if progress.done_at is None:
        return progress
    OnboardingProgress.objects.filter(pk=progress.pk).update(done_at=None, done_by=None)
    progress.done_at, progress.done_by = None, None
    people_event_append(
        agent=progress.agent, type=Event.ONBOARDING_UNDONE, actor=actor, item=progress.item_id
    )
    return progress


@transaction.atomic
def mentorship_start(
    *,
    mentor: Agent,
    mentee: Agent,
    actor: User | None,
    goals: str = "",
    started_on: date | None = None,
    ends_on: date | None = None,
) -> Mentorship:
    """Pair a mentor with a mentee. A mentor cannot mentor themselves, and a mentee has one
    active mentor at a time."""
    if mentor.pk == mentee.pk:
        raise InvalidInput(_("A mentor cannot mentor themselves."), details={"field": "mentor"})
    if not mentor.is_active:
        raise InvalidInput(_("The mentor's account is disabled."), details={"field": "mentor"})
    started_on = started_on or today()
    if ends_on is not None and ends_on < started_on:
        raise InvalidInput(_("The end cannot be before the start."), details={"field": "ends_on"})
    busy = _("%(mentee)s already has an active mentor.") % {"mentee": mentee}
    if Mentorship.objects.filter(mentee=mentee, is_active=True).exists():
        raise AlreadyExists(busy, details={"field": "mentee"})
    try:
        with transaction.atomic():
            pair = Mentorship.objects.create(
                mentor=mentor,
                mentee=mentee,
                goals=goals.strip()[:4000],
                started_on=started_on,
                ends_on=ends_on,
            )
    except IntegrityError:
        raise AlreadyExists(busy, details={"field": "mentee"}) from None
    people_event_append(
        agent=mentee, type=Event.MENTORING_STARTED, actor=actor, mentor=mentor.pk, pair=pair.pk
    )
    return pair


@transaction.atomic
def mentorship_end(*, mentorship: Mentorship, actor: User | None) -> Mentorship:
    """End an active mentoring pair (today, unless it had an earlier planned end)."""
    ended_at = clock.now()
    ends_on = mentorship.ends_on if mentorship.ends_on and mentorship.ends_on < today() else today()
    changed = Mentorship.objects.filter(pk=mentorship.pk, is_active=True).update(
        is_active=False, ended_at=ended_at, ends_on=ends_on
    )
    if changed != 1:
        raise InvalidTransition(_("This mentoring pair has already ended."))
    mentorship.is_active, mentorship.ended_at, mentorship.ends_on = False, ended_at, ends_on
    people_event_append(
        agent=mentorship.mentee, type=Event.MENTORING_ENDED, actor=actor, pair=mentorship.pk
    )
    return mentorship
