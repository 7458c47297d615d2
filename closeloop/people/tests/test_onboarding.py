"""Onboarding (checklist and mandatory courses) and the mentoring rules."""

from datetime import UTC, date, datetime

import pytest

from closeloop.core.clock import frozen_at
from closeloop.core.errors import InvalidInput, InvalidTransition
from closeloop.people.events import AlreadyExists
from closeloop.people.models import Mentorship, OnboardingProgress, TrainingRecord
from closeloop.people.selectors import onboarding_steps, onboarding_summaries
from closeloop.people.services_onboarding import (
    agent_onboard,
    mentorship_end,
    mentorship_start,
    onboarding_step_done,
    onboarding_step_undo,
)
from closeloop.people.services_training import training_assign, training_complete
from closeloop.people.tests.factories import (
    AgentFactory,
    CourseFactory,
    OnboardingItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)


def test_onboard_gives_checklist_and_mandatory_courses_once():
    agent, lead = AgentFactory(), UserFactory()
    first = OnboardingItemFactory(position=2, title_en="Meet the team")
    second = OnboardingItemFactory(position=1, title_en="Read the service standards")
    OnboardingItemFactory(is_active=False)
    mandatory = CourseFactory(code="basics", is_mandatory_for_new_agents=True, days_to_complete=7)
    CourseFactory(code="optional")
    CourseFactory(code="retired", is_mandatory_for_new_agents=True, is_active=False)
    with frozen_at(NOW):
        onboarded = agent_onboard(agent=agent, actor=lead)
    assert onboarded.steps_added == 2
    assert onboarded.courses_assigned == ["basics"]
    assert [step.item for step in onboarding_steps(agent)] == [second, first]
    record = TrainingRecord.objects.get(agent=agent)
    assert (record.course, record.due_on, record.assigned_by) == (mandatory, date(2026, 4, 8), lead)
    agent.refresh_from_db()
    assert agent.started_on == date(2026, 4, 1)
    # Again: nothing new. A new step and a new mandatory course are added on the next run.
    again = agent_onboard(agent=agent, actor=lead)
    assert (again.steps_added, again.courses_assigned) == (0, [])
    OnboardingItemFactory(position=3)
    CourseFactory(code="safety", is_mandatory_for_new_agents=True)
    later = agent_onboard(agent=agent, actor=lead)
    assert (later.steps_added, later.courses_assigned) == (1, ["safety"])
    assert OnboardingProgress.objects.filter(agent=agent).count() == 3


def test_onboard_does_not_reassign_a_completed_mandatory_course():
    agent = AgentFactory()
    course = CourseFactory(is_mandatory_for_new_agents=True)
    record = training_assign(agent=agent, course=course, actor=None)
    training_complete(record=record, score=90, actor=None)
    assert agent_onboard(agent=agent, actor=None).courses_assigned == []
    assert TrainingRecord.objects.filter(agent=agent).count() == 1


def test_steps_are_ticked_with_who_and_when_and_can_be_undone():
    agent, lead = AgentFactory(), UserFactory()
    OnboardingItemFactory()
    OnboardingItemFactory()
    agent_onboard(agent=agent, actor=None)
    step = onboarding_steps(agent).first()
    with frozen_at(NOW):
        onboarding_step_done(progress=step, actor=lead)
        onboarding_step_done(progress=step, actor=agent.user)  # already done: unchanged
    step.refresh_from_db()
    assert (step.done_at, step.done_by) == (NOW, lead)
    [summary] = onboarding_summaries([agent])
    assert (summary.done, summary.total, summary.percent) == (1, 2, 50)
    onboarding_step_undo(progress=step, actor=lead)
    step.refresh_from_db()
    assert (step.done_at, step.done_by) == (None, None)


def test_mentoring_rules():
    mentor, mentee, other = AgentFactory(), AgentFactory(), AgentFactory()
    with pytest.raises(InvalidInput) as own:
        mentorship_start(mentor=mentee, mentee=mentee, actor=None)
    assert own.value.details == {"field": "mentor"}
    with pytest.raises(InvalidInput):
        mentorship_start(
            mentor=mentor,
            mentee=mentee,
            actor=None,
            started_on=date(2026, 5, 1),
            ends_on=date(2026, 4, 1),
        )
    assert not Mentorship.objects.exists()
    with frozen_at(NOW):
        pair = mentorship_start(mentor=mentor, mentee=mentee, actor=None, goals="  Refunds  ")
    assert (pair.started_on, pair.goals, pair.is_active) == (date(2026, 4, 1), "Refunds", True)
    with pytest.raises(AlreadyExists):
        mentorship_start(mentor=other, mentee=mentee, actor=None)
    # One mentor may have several mentees.
    mentorship_start(mentor=mentor, mentee=other, actor=None)
    with frozen_at(datetime(2026, 6, 1, 2, 0, tzinfo=UTC)):
        mentorship_end(mentorship=pair, actor=None)
    pair.refresh_from_db()
    assert (pair.is_active, pair.ends_on) == (False, date(2026, 6, 1))
    with pytest.raises(InvalidTransition):
        mentorship_end(mentorship=pair, actor=None)
    # Once the pair ended, the mentee can have a new mentor.
    assert mentorship_start(mentor=other, mentee=mentee, actor=None).is_active
    assert Mentorship.objects.filter(mentee=mentee, is_active=True).count() == 1


def test_disabled_mentor_is_refused():
    mentor = AgentFactory(user__is_active=False)
    with pytest.raises(InvalidInput):
        mentorship_start(mentor=mentor, mentee=AgentFactory(), actor=None)
    assert not Mentorship.objects.exists()
