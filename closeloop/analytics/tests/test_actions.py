"""Corrective actions: due times on the calendar, the status flow, the effect check."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from closeloop.analytics.actions import (
    ALLOWED,
    action_due_at,
    corrective_action_check_effect,
    corrective_action_create,
    corrective_action_transition,
    corrective_action_update,
    corrective_actions_check_due,
)
from closeloop.analytics.metrics import Scope
from closeloop.analytics.models import ActionStatus, CorrectiveAction
from closeloop.analytics.services import alert_rule_evaluate
from closeloop.analytics.tests.factories import at, rule, ticket
from closeloop.core import clock
from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition
from closeloop.sla.calendar import calendar_24x7, calendar_cn_workdays
from closeloop.sla.models import Calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("fired", "due"),
    [
        # Friday evening → close of business on the second working day: Tuesday 18:00.
        (shanghai(2026, 3, 6, 20, 0), shanghai(2026, 3, 10, 18, 0)),
        # Friday morning → the same Tuesday evening (the day it fired does not count).
        (shanghai(2026, 3, 6, 10, 0), shanghai(2026, 3, 10, 18, 0)),
        # Saturday → Monday, Tuesday.
        (shanghai(2026, 3, 7, 12, 0), shanghai(2026, 3, 10, 18, 0)),
        # Wednesday 30 September, eve of National Day: 1–7 October are holidays (3–4 a
        # weekend) → Thursday 8 and Friday 9 October.
        (shanghai(2026, 9, 30, 20, 0), shanghai(2026, 10, 9, 18, 0)),
        # Labour Day: Thu 30 April → Wed 6 May (1–5 May off, 2–3 a weekend) … 6 May is the
        # first working day, 7 May the second.
        (shanghai(2026, 4, 30, 15, 0), shanghai(2026, 5, 7, 18, 0)),
    ],
)
def test_due_on_the_working_day_calendar(fired: datetime, due: datetime) -> None:
    assert action_due_at(fired, calendar_cn_workdays()) == due


def test_due_around_the_clock_is_exactly_48_hours() -> None:
    friday_evening = shanghai(2026, 3, 6, 20, 0)
    assert action_due_at(friday_evening, calendar_24x7()) == friday_evening + timedelta(hours=48)


@pytest.mark.django_db
def test_an_alert_on_a_rule_with_the_working_day_calendar_is_due_on_tuesday() -> None:
    watched = rule(calendar=Calendar.objects.get(name="cn-workdays"))
    friday_evening = shanghai(2026, 3, 6, 20, 0)
    for _ in range(10):
        ticket(created=friday_evening - timedelta(hours=2), kind="complaint")
    alert = alert_rule_evaluate(rule=watched, now=friday_evening).alert
    action = CorrectiveAction.objects.get(alert=alert)
    assert action.due_at == shanghai(2026, 3, 10, 18, 0)
    assert action.is_overdue(shanghai(2026, 3, 10, 18, 1))
    assert not action.is_overdue(shanghai(2026, 3, 10, 17, 59))


def test_allowed_table_covers_every_status() -> None:
    assert set(ALLOWED) == set(ActionStatus.values)
    assert ALLOWED[ActionStatus.CLOSED] == frozenset()


@pytest.mark.django_db
def test_measures_need_a_cause_and_transitions_follow_the_table() -> None:
    with clock.frozen_at(at(0)):
        action = corrective_action_create(actor=None, title="Late deliveries")
    assert action.due_at == at(48)
    with pytest.raises(InvalidInput) as missing:
        corrective_action_transition(action=action, actor=None, to=ActionStatus.MEASURES_SET)
    assert missing.value.details == {"field": "root_cause"}
    with pytest.raises(InvalidTransition):
        corrective_action_transition(action=action, actor=None, to=ActionStatus.EFFECTIVE)
    with pytest.raises(InvalidInput):
        corrective_action_update(action=action, actor=None, root_cause="bad luck")
    action = corrective_action_update(
        action=action, actor=None, root_cause="process_gap", measures="Courier SLA check daily"
    )
    with clock.frozen_at(at(10)):
        action = corrective_action_transition(
            action=action, actor=None, to=ActionStatus.MEASURES_SET
        )
    assert action.measures_set_at == at(10)
    assert action.effect_check_at == at(10) + timedelta(days=14)
    with pytest.raises(InvalidInput):
        corrective_action_update(action=action, actor=None, measures="")
    assert [entry["to"] for entry in action.history] == ["open", "measures_set"]


@pytest.mark.django_db
def test_a_stale_transition_fails_loudly() -> None:
    action = corrective_action_create(actor=None, title="Stale")
    stale = CorrectiveAction.objects.get(pk=action.pk)
    corrective_action_transition(action=action, actor=None, to=ActionStatus.CLOSED)
    with pytest.raises(ConcurrentChange):
        corrective_action_transition(action=stale, actor=None, to=ActionStatus.CLOSED)
    with pytest.raises(InvalidTransition):
        corrective_action_update(action=stale, actor=None, title="New")


@pytest.mark.django_db
def test_effect_check_compares_the_window_before_and_after() -> None:
    # Complaint rate at after-sale, 7-day windows. Before measures (days 0–7): 5 of 10
    # complaints = 50 %. Measures set on day 7, checked 14 days later (day 21): the window
    # before the check (days 14–21) has 1 of 10 = 10 % → improved → effective.
    for index in range(10):
        ticket(
            created=at(days=3),
            kind="complaint" if index < 5 else "inquiry",
            touchpoint="after_sale",
        )
        ticket(
            created=at(days=16),
            kind="complaint" if index < 1 else "inquiry",
            touchpoint="after_sale",
        )
    with clock.frozen_at(at(days=6)):
        action = corrective_action_create(
            actor=None,
            title="Complaints after sale",
            metric="complaint_rate",
            scope=Scope(touchpoint="after_sale"),
        )
        action = corrective_action_update(
            action=action, actor=None, root_cause="training_gap", measures="Returns training"
        )
    with clock.frozen_at(at(days=7)):
        action = corrective_action_transition(
            action=action, actor=None, to=ActionStatus.MEASURES_SET
        )
    # Not due on day 20.
    assert corrective_actions_check_due(now=at(days=20)) == 0
    with clock.frozen_at(at(days=21, hours=1)):
        assert corrective_actions_check_due() == 1
    action.refresh_from_db()
    assert (action.value_before, action.sample_before) == (50.0, 10)
    assert (action.value_after, action.sample_after) == (10.0, 10)
    assert action.is_improved is True
    assert action.status == ActionStatus.EFFECTIVE
    assert [entry["to"] for entry in action.history][-2:] == ["effect_check_due", "effective"]


@pytest.mark.django_db
def test_effect_check_without_data_waits_for_a_person() -> None:
    with clock.frozen_at(at(0)):
        action = corrective_action_create(actor=None, title="Quiet", metric="csat")
        action = corrective_action_update(
            action=action, actor=None, root_cause="other", measures="Watch", check_after_days=1
        )
        action = corrective_action_transition(
            action=action, actor=None, to=ActionStatus.MEASURES_SET
        )
    with clock.frozen_at(at(days=2)):
        action = corrective_action_check_effect(action=action)
    assert action.status == ActionStatus.EFFECT_CHECK_DUE
    assert (action.value_before, action.value_after, action.is_improved) == (None, None, None)
    action = corrective_action_transition(
        action=action, actor=None, to=ActionStatus.NOT_EFFECTIVE, note="judged by the lead"
    )
    assert ActionStatus.MEASURES_SET in ALLOWED[action.status]
