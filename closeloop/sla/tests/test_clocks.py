"""Deriving clocks from facts: pure, no database."""

from datetime import UTC, datetime, timedelta

import pytest

from closeloop.sla.calendar import calendar_24x7, calendar_cn_workdays
from closeloop.sla.clocks import Fact, FactKind, Target, Targets, derive_clocks

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday; 16:00 in Shanghai
HIGH = Targets(first_response=Target(minutes=60), resolution=Target(minutes=24 * 60))


def at(minutes: float, kind: FactKind) -> Fact:
    return Fact(at=T0 + timedelta(minutes=minutes), kind=kind)


def test_first_response_and_resolution_due_on_24x7():
    clocks = derive_clocks([at(0, FactKind.OPENED)], HIGH, calendar=calendar_24x7())
    assert clocks["first_response"].due_at == T0 + timedelta(hours=1)
    assert clocks["first_response"].warn_at == T0 + timedelta(minutes=48)
    assert clocks["resolution"].due_at == T0 + timedelta(hours=24)
    assert "next_response" not in clocks


def test_agent_reply_stops_first_response_only():
    facts = [at(0, FactKind.OPENED), at(30, FactKind.AGENT_REPLY)]
    clocks = derive_clocks(facts, HIGH, calendar=calendar_24x7())
    assert clocks["first_response"].stopped_at == T0 + timedelta(minutes=30)
    assert not clocks["first_response"].is_breached(T0 + timedelta(days=9))
    assert clocks["resolution"].stopped_at is None


def test_late_reply_is_a_breach():
    facts = [at(0, FactKind.OPENED), at(61, FactKind.AGENT_REPLY)]
    clocks = derive_clocks(facts, HIGH, calendar=calendar_24x7())
    assert clocks["first_response"].is_breached(T0 + timedelta(minutes=61))


def test_pause_while_waiting_on_customer_pushes_due_time():
    facts = [
        at(0, FactKind.OPENED),
        at(10, FactKind.AGENT_REPLY),
        at(20, FactKind.PAUSED),
        at(200, FactKind.RESUMED),
    ]
    clocks = derive_clocks(facts, HIGH, calendar=calendar_24x7())
    resolution = clocks["resolution"]
    assert resolution.paused_minutes == 180
    assert resolution.due_at == T0 + timedelta(hours=24, minutes=180)
    assert resolution.paused_since is None


def test_clock_still_paused_reports_since_when():
    facts = [at(0, FactKind.OPENED), at(10, FactKind.AGENT_REPLY), at(20, FactKind.PAUSED)]
    resolution = derive_clocks(facts, HIGH, calendar=calendar_24x7())["resolution"]
    assert resolution.paused_since == T0 + timedelta(minutes=20)
    assert resolution.due_at == T0 + timedelta(hours=24)
    assert not resolution.is_breached(T0 + timedelta(days=30))


def test_next_response_cycles_start_on_customer_messages():
    targets = Targets(first_response=Target(minutes=10), next_response=Target(minutes=10))
    facts = [
        at(0, FactKind.OPENED),
        at(1, FactKind.CUSTOMER_MESSAGE),  # before the first response: no cycle
        at(5, FactKind.AGENT_REPLY),
        at(20, FactKind.CUSTOMER_MESSAGE),
        at(22, FactKind.CUSTOMER_MESSAGE),  # same cycle still running
        at(25, FactKind.AGENT_REPLY),
        at(40, FactKind.CUSTOMER_MESSAGE),
    ]
    clock = derive_clocks(facts, targets, calendar=calendar_24x7())["next_response"]
    assert clock.cycle == 2
    assert clock.started_at == T0 + timedelta(minutes=40)
    assert clock.due_at == T0 + timedelta(minutes=50)
    assert clock.stopped_at is None


def test_reopen_resumes_resolution_without_counting_resolved_time():
    facts = [
        at(0, FactKind.OPENED),
        at(10, FactKind.AGENT_REPLY),
        at(60, FactKind.RESOLVED),
        at(60 + 600, FactKind.REOPENED),
    ]
    resolution = derive_clocks(facts, HIGH, calendar=calendar_24x7())["resolution"]
    assert resolution.stopped_at is None
    assert resolution.due_at == T0 + timedelta(hours=24, minutes=600)


def test_resolution_without_reply_stops_first_response():
    facts = [at(0, FactKind.OPENED), at(30, FactKind.RESOLVED)]
    clocks = derive_clocks(facts, HIGH, calendar=calendar_24x7())
    assert clocks["first_response"].stopped_at == T0 + timedelta(minutes=30)


def test_working_day_target_on_china_calendar():
    """Feedback: 24 h to answer on 24x7, 7 working days to resolve on cn-workdays."""
    targets = Targets(first_response=Target(minutes=24 * 60), resolution=Target(working_days=7))
    opened = datetime(2025, 9, 30, 10, 0, tzinfo=UTC)
    clocks = derive_clocks(
        [Fact(at=opened, kind=FactKind.OPENED)],
        targets,
        calendar=calendar_24x7(),
        working_day_calendar=calendar_cn_workdays(),
    )
    assert clocks["first_response"].due_at == opened + timedelta(hours=24)
    # Oct 1-8 are holidays, Sat Oct 11 is a make-up day: day 7 is Thu Oct 16, 18:00 Shanghai.
    assert clocks["resolution"].due_at == datetime(2025, 10, 16, 10, 0, tzinfo=UTC)


def test_no_opening_fact_no_clocks():
    assert derive_clocks([at(5, FactKind.AGENT_REPLY)], HIGH, calendar=calendar_24x7()) == {}


def test_target_needs_exactly_one_unit():
    with pytest.raises(ValueError, match="either"):
        Target(minutes=5, working_days=1)
    with pytest.raises(ValueError, match="either"):
        Target()
