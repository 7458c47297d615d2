"""Deriving a ticket's SLA clocks from the facts of its history (pure, no database).

Like Zendesk's and Zammad's, our clocks are not counters that a process ticks: they are a
function of the ticket's events on a calendar, so any clock can be recomputed and explained.

- First response starts when the ticket opens and stops at the first public reply by a person
  (a resolution without a reply stops it too).
- Next response starts at a customer's message once the first response was given and stops
  at the next public reply by a person; each such run is a new cycle.
- Resolution starts when the ticket opens, stops at resolution and resumes on reopen (the time
  spent resolved does not count).
- Every clock pauses while the ticket waits on the customer.

A clock's due time is the start plus the target on the calendar, pushed later by the business
minutes it spent paused; its warning time is the same at ``warning_percent`` of the target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from closeloop.sla.calendar import BusinessCalendar


class FactKind(StrEnum):
    """A kind of moment in a ticket's history that moves clocks."""

    OPENED = "opened"
    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"
    PAUSED = "paused"
    RESUMED = "resumed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"


@dataclass(frozen=True)
class Fact:
    """One moment of a ticket's history, as the clocks see it."""

    at: datetime
    kind: FactKind


@dataclass(frozen=True)
class Target:
    """A target in business minutes or in working days (exactly one is set)."""

    minutes: int | None = None
    working_days: int | None = None

    def __post_init__(self) -> None:
        if (self.minutes is None) == (self.working_days is None):
            raise ValueError("a target has either minutes or working days")


@dataclass(frozen=True)
class Targets:
    """What a policy asks for."""

    first_response: Target | None = None
    next_response: Target | None = None
    resolution: Target | None = None
    warning_percent: int = 80


@dataclass(frozen=True)
class ClockState:
    """A clock derived from the facts: when it started, is due, warns, stopped or paused."""

    metric: str
    cycle: int
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    stopped_at: datetime | None
    paused_since: datetime | None
    paused_minutes: float

    def is_breached(self, now: datetime) -> bool:
        """Whether the clock ran past its due time (by stopping late or not yet stopping)."""
        end = self.stopped_at or self.paused_since or now
        return end > self.due_at


@dataclass
class _RunningClock:
    started_at: datetime
    cycle: int = 1
    stopped_at: datetime | None = None
    paused_since: datetime | None = None
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None and self.paused_since is None

    def pause(self, at: datetime) -> None:
        if self.is_running:
            self.paused_since = at

    def resume(self, at: datetime) -> None:
        if self.stopped_at is None and self.paused_since is not None:
            self.pauses.append((self.paused_since, at))
            self.paused_since = None

    def stop(self, at: datetime) -> None:
        if self.stopped_at is not None:
            return
        self.resume(at)
        self.stopped_at = at

    def restart(self, at: datetime) -> None:
        """Continue after a stop (reopen): the stopped span counts as a pause."""
        if self.stopped_at is not None:
            self.pauses.append((self.stopped_at, at))
            self.stopped_at = None


def derive_clocks(
    facts: Iterable[Fact],
    targets: Targets,
    *,
    calendar: BusinessCalendar,
    working_day_calendar: BusinessCalendar | None = None,
) -> dict[str, ClockState]:
    """Return the current state of every targeted clock, keyed by metric name."""
    ordered = sorted(facts, key=lambda fact: fact.at)
    opened = next((fact for fact in ordered if fact.kind == FactKind.OPENED), None)
    if opened is None:
        return {}
    first = _RunningClock(opened.at)
    resolution = _RunningClock(opened.at)
    next_response: _RunningClock | None = None
    for fact in ordered:
        running = [clock for clock in (first, resolution, next_response) if clock is not None]
        if fact.kind == FactKind.PAUSED:
            for clock in running:
                clock.pause(fact.at)
        elif fact.kind == FactKind.RESUMED:
            for clock in running:
                clock.resume(fact.at)
        elif fact.kind == FactKind.CUSTOMER_MESSAGE:
            needs_new_cycle = next_response is None or next_response.stopped_at is not None
            if first.stopped_at is not None and resolution.stopped_at is None and needs_new_cycle:
                cycle = 1 if next_response is None else next_response.cycle + 1
                next_response = _RunningClock(fact.at, cycle=cycle)
        elif fact.kind == FactKind.AGENT_REPLY:
            first.stop(fact.at)
            if next_response is not None:
                next_response.stop(fact.at)
        elif fact.kind in (FactKind.RESOLVED, FactKind.CLOSED):
            for clock in running:
                clock.stop(fact.at)
        elif fact.kind == FactKind.REOPENED:
            resolution.restart(fact.at)

    working = working_day_calendar or calendar
    states: dict[str, ClockState] = {}
    candidates: tuple[tuple[str, _RunningClock | None, Target | None], ...] = (
        ("first_response", first, targets.first_response),
        ("next_response", next_response, targets.next_response),
        ("resolution", resolution, targets.resolution),
    )
    for metric, run, target in candidates:
        if run is None or target is None:
            continue
        target_calendar = calendar if target.minutes is not None else working
        states[metric] = _state(metric, run, target, target_calendar, targets.warning_percent)
    return states


def _state(
    metric: str,
    clock: _RunningClock,
    target: Target,
    calendar: BusinessCalendar,
    warning_percent: int,
) -> ClockState:
    paused = sum(calendar.minutes_between(start, end) for start, end in clock.pauses)
    if target.minutes is not None:
        total = float(target.minutes)
        base_due = calendar.add_minutes(clock.started_at, total)
    else:
        base_due = calendar.add_working_days(clock.started_at, int(target.working_days or 0))
        total = calendar.minutes_between(clock.started_at, base_due)
    due_at = calendar.add_minutes(base_due, paused) if paused > 0 else base_due
    warn_at = calendar.add_minutes(clock.started_at, total * warning_percent / 100 + paused)
    return ClockState(
        metric=metric,
        cycle=clock.cycle,
        started_at=clock.started_at,
        due_at=due_at,
        warn_at=warn_at,
        stopped_at=clock.stopped_at,
        paused_since=clock.paused_since,
        paused_minutes=paused,
    )
