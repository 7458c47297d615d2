"""Training and assessment services: assign, start, complete, overdue, refreshers, results."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.core.clock import frozen_at
from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition
from closeloop.people.events import AlreadyExists, add_months
from closeloop.people.models import AgentSkill, PeopleEvent, TrainingRecord
from closeloop.people.selectors import refreshers_due, training_overdue
from closeloop.people.services_training import (
    assessment_result_record,
    training_assign,
    training_cancel,
    training_complete,
    training_refreshers_assign,
    training_start,
)
from closeloop.people.tests.factories import (
    AgentFactory,
    AssessmentFactory,
    CourseFactory,
    SkillFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)
    assert add_months(date(2026, 12, 1), 12) == date(2027, 12, 1)


def test_assign_defaults_the_due_date_and_logs_it():
    agent, lead = AgentFactory(), UserFactory()
    course = CourseFactory(days_to_complete=14)
    with frozen_at(MONDAY):
        record = training_assign(agent=agent, course=course, actor=lead)
    assert record.status == "assigned"
    assert record.due_on == date(2026, 3, 16)
    assert record.assigned_by == lead
    event = PeopleEvent.objects.get()
    assert (event.type, event.agent, event.actor) == ("training_assigned", agent, lead)
    assert event.data["due_on"] == "2026-03-16"


def test_second_open_enrolment_is_refused_and_nothing_written():
    agent, course = AgentFactory(), CourseFactory()
    training_assign(agent=agent, course=course, actor=None)
    with pytest.raises(AlreadyExists) as refused:
        training_assign(agent=agent, course=course, actor=None)
    assert refused.value.code == "already_exists"
    assert TrainingRecord.objects.count() == 1
    assert PeopleEvent.objects.count() == 1


def test_due_date_in_the_past_and_withdrawn_course_are_refused():
    agent = AgentFactory()
    with frozen_at(MONDAY), pytest.raises(InvalidInput) as past:
        training_assign(agent=agent, course=CourseFactory(), actor=None, due_on=date(2026, 3, 1))
    assert past.value.details == {"field": "due_on"}
    with pytest.raises(InvalidInput):
        training_assign(agent=agent, course=CourseFactory(is_active=False), actor=None)
    assert not TrainingRecord.objects.exists()


def test_start_then_complete_with_a_score_sets_the_refresher():
    agent, course = AgentFactory(), CourseFactory(refresher_months=12)
    with frozen_at(MONDAY):
        record = training_assign(agent=agent, course=course, actor=None)
        training_start(record=record, actor=agent.user)
    with frozen_at(datetime(2026, 3, 10, 15, 0, tzinfo=UTC)):
        training_complete(record=record, score=88, actor=None)
    record.refresh_from_db()
    assert record.status == "completed"
    assert record.started_at == MONDAY
    assert record.score == 88
    assert record.refresher_due_on == date(2027, 3, 10)
    assert not record.is_overdue(date(2030, 1, 1))


def test_completion_score_out_of_range_is_refused():
    record = training_assign(agent=AgentFactory(), course=CourseFactory(), actor=None)
    for bad in (101, -1, True, "90"):
        with pytest.raises(InvalidInput):
            training_complete(record=record, score=bad, actor=None)
    record.refresh_from_db()
    assert record.status == "assigned"
    assert record.score is None


def test_transitions_follow_the_table():
    record = training_assign(agent=AgentFactory(), course=CourseFactory(), actor=None)
    training_complete(record=record, score=None, actor=None)
    with pytest.raises(InvalidTransition):
        training_start(record=record, actor=None)
    with pytest.raises(InvalidTransition):
        training_cancel(record=record, actor=None)
    record.refresh_from_db()
    assert record.status == "completed"


def test_stale_record_fails_loudly():
    record = training_assign(agent=AgentFactory(), course=CourseFactory(), actor=None)
    stale = TrainingRecord.objects.get(pk=record.pk)
    training_cancel(record=record, actor=None)
    with pytest.raises(ConcurrentChange):
        training_start(record=stale, actor=None)
    assert TrainingRecord.objects.get(pk=record.pk).status == "cancelled"


def test_overdue_is_open_past_the_due_date():
    agent = AgentFactory()
    with frozen_at(MONDAY):
        late = training_assign(
            agent=agent, course=CourseFactory(), actor=None, due_on=date(2026, 3, 5)
        )
        done = training_assign(
            agent=agent, course=CourseFactory(), actor=None, due_on=date(2026, 3, 5)
        )
        training_assign(agent=agent, course=CourseFactory(), actor=None, due_on=date(2026, 3, 20))
        training_complete(record=done, score=70, actor=None)
    overdue = list(training_overdue([agent.pk], today=date(2026, 3, 6)))
    assert overdue == [late]
    assert late.is_overdue(date(2026, 3, 6))
    assert not late.is_overdue(date(2026, 3, 5))
    assert list(training_overdue([agent.pk], today=date(2026, 3, 5))) == []


def test_refresher_is_assigned_when_due_and_only_once():
    agent = AgentFactory()
    course = CourseFactory(refresher_months=6, days_to_complete=30)
    with frozen_at(MONDAY):
        record = training_assign(agent=agent, course=course, actor=None)
        training_complete(record=record, score=90, actor=None)
    assert record.refresher_due_on == date(2026, 9, 2)
    # Not yet: more than 30 days before the refresher date.
    with frozen_at(datetime(2026, 8, 1, 9, 0, tzinfo=UTC)):
        assert refreshers_due(date(2026, 8, 1)) == []
        assert training_refreshers_assign() == 0
    with frozen_at(datetime(2026, 8, 5, 9, 0, tzinfo=UTC)):
        assert training_refreshers_assign() == 1
        assert training_refreshers_assign() == 0
    refresher = TrainingRecord.objects.get(status="assigned")
    assert (refresher.agent, refresher.course, refresher.due_on) == (
        agent,
        course,
        date(2026, 9, 2),
    )
    # Completing the refresher moves the next one on, and nothing is due meanwhile.
    with frozen_at(datetime(2026, 8, 20, 9, 0, tzinfo=UTC)):
        training_complete(record=refresher, score=95, actor=None)
        assert training_refreshers_assign() == 0
    assert TrainingRecord.objects.get(pk=refresher.pk).refresher_due_on == date(2027, 2, 20)


def test_passing_an_assessment_raises_the_skill_level_never_lowers():
    agent, assessor = AgentFactory(), UserFactory()
    skill = SkillFactory()
    assessment = AssessmentFactory(skill=skill, pass_mark=80, level_on_pass=3)
    failed = assessment_result_record(assessment=assessment, agent=agent, score=79, actor=assessor)
    assert (failed.attempt, failed.passed, failed.level_raised_to) == (1, False, None)
    assert not AgentSkill.objects.exists()
    passed = assessment_result_record(assessment=assessment, agent=agent, score=80, actor=assessor)
    assert (passed.attempt, passed.passed, passed.level_raised_to) == (2, True, 3)
    assert AgentSkill.objects.get(agent=agent, skill=skill).level == 3
    AgentSkill.objects.filter(agent=agent).update(level=5)
    again = assessment_result_record(assessment=assessment, agent=agent, score=100, actor=assessor)
    assert (again.attempt, again.level_raised_to) == (3, None)
    assert AgentSkill.objects.get(agent=agent, skill=skill).level == 5


def test_assessment_linked_to_a_course_uses_its_skill_and_level():
    agent = AgentFactory()
    skill = SkillFactory()
    course = CourseFactory(skill=skill, skill_level=2)
    assessment = AssessmentFactory(course=course, pass_mark=50)
    result = assessment_result_record(assessment=assessment, agent=agent, score=50, actor=None)
    assert result.level_raised_to == 2
    assert AgentSkill.objects.get(agent=agent).level == 2


def test_assessment_rejects_bad_scores_and_self_assessment():
    agent = AgentFactory()
    assessment = AssessmentFactory(max_score=20, pass_mark=15)
    with pytest.raises(InvalidInput):
        assessment_result_record(assessment=assessment, agent=agent, score=21, actor=None)
    with pytest.raises(InvalidInput) as own:
        assessment_result_record(assessment=assessment, agent=agent, score=20, actor=agent.user)
    assert own.value.details == {"field": "agent"}
    assert not agent.assessment_results.exists()
    assert not PeopleEvent.objects.exists()


def test_a_cancelled_refresher_is_not_reassigned_and_withdrawn_courses_are_skipped():
    agent = AgentFactory()
    kept = CourseFactory(refresher_months=1, days_to_complete=10)
    withdrawn = CourseFactory(refresher_months=1, days_to_complete=10)
    with frozen_at(MONDAY):
        for course in (kept, withdrawn):
            record = training_assign(agent=agent, course=course, actor=None)
            training_complete(record=record, score=None, actor=None)
    withdrawn.is_active = False
    withdrawn.save()
    with frozen_at(datetime(2026, 3, 25, 9, 0, tzinfo=UTC)):
        assert training_refreshers_assign() == 1
        refresher = TrainingRecord.objects.get(status="assigned")
        assert refresher.course == kept
        training_cancel(record=refresher, actor=None)
        assert training_refreshers_assign() == 0
    assert TrainingRecord.objects.count() == 3


def test_the_refresher_sweep_is_registered_and_runs():
    from closeloop.core import schedule
    from closeloop.people.tasks import training_refreshers_sweep

    assert schedule._registry["people.training_refreshers"] is training_refreshers_sweep
    agent, course = AgentFactory(), CourseFactory(refresher_months=1, days_to_complete=60)
    record = training_assign(agent=agent, course=course, actor=None)
    training_complete(record=record, score=80, actor=None)
    assert training_refreshers_sweep.call() == 1
    assert training_refreshers_sweep.call() == 0


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    months=st.integers(min_value=0, max_value=240),
)
def test_add_months_properties(day, months):
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(days=1)).day == 1)
