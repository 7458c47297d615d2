"""Loading calendars and policies from the database, cached per process.

Policies and calendars change rarely and are read on every ticket change, so each process
keeps them in memory: dropped on a local save, and re-read at most ``CACHE_SECONDS`` after
another process changed them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from datetime import time as clock_time

from django.db.models.signals import post_delete, post_save

from closeloop.sla.calendar import BusinessCalendar, CalendarSpec
from closeloop.sla.clocks import Target, Targets
from closeloop.sla.models import Calendar, CalendarException, SlaPolicy

CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class LoadedPolicy:
    """A policy with its calendars built and its targets in the clocks' terms."""

    policy: SlaPolicy
    targets: Targets
    calendar: BusinessCalendar
    working_day_calendar: BusinessCalendar

    def matches(self, *, priority: str, kind: str, channel: str, segment: str) -> bool:
        """Whether this policy applies to a ticket with these attributes."""
        policy = self.policy
        return (
            (not policy.match_priorities or priority in policy.match_priorities)
            and (not policy.match_kinds or kind in policy.match_kinds)
            and (not policy.match_channels or channel in policy.match_channels)
            and (not policy.match_segments or segment in policy.match_segments)
        )


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded_at = 0.0
        self.policies: list[LoadedPolicy] | None = None
        self.calendars: dict[str, BusinessCalendar] = {}

    def clear(self) -> None:
        with self.lock:
            self.policies = None
            self.calendars = {}


_cache = _Cache()


def clear_cache(**_kwargs: object) -> None:
    """Forget cached policies and calendars (after a change, and between tests)."""
    _cache.clear()


for _model in (Calendar, CalendarException, SlaPolicy):
    post_save.connect(clear_cache, sender=_model, dispatch_uid=f"sla-cache-save-{_model.__name__}")
    post_delete.connect(
        clear_cache, sender=_model, dispatch_uid=f"sla-cache-delete-{_model.__name__}"
    )


def _parse_time(raw: str) -> clock_time | None:
    if raw in ("24:00", "24:00:00"):
        return None
    hours, minutes = raw.split(":")[:2]
    return clock_time(int(hours), int(minutes))


def calendar_spec(row: Calendar, exceptions: list[CalendarException]) -> CalendarSpec:
    """Turn a calendar row and its exceptions into the pure calendar's spec."""
    weekly = {
        int(day): tuple(
            (_parse_time(start) or clock_time(0), _parse_time(end)) for start, end in intervals
        )
        for day, intervals in (row.weekly_hours or {}).items()
    }
    closed: set[date] = {e.date for e in exceptions if e.kind == CalendarException.Kind.CLOSED}
    working: set[date] = {e.date for e in exceptions if e.kind == CalendarException.Kind.WORKING}
    return CalendarSpec(
        name=row.name,
        time_zone=row.time_zone,
        weekly_hours=weekly,
        holiday_country=row.holiday_country or None,
        holiday_subdivision=row.holiday_subdivision or None,
        extra_working_days=frozenset(working),
        closed_dates=frozenset(closed),
    )


def _load_calendars() -> dict[int, BusinessCalendar]:
    exceptions: dict[int, list[CalendarException]] = {}
    for exception in CalendarException.objects.all():
        exceptions.setdefault(exception.calendar_id, []).append(exception)
    return {
        row.pk: BusinessCalendar(calendar_spec(row, exceptions.get(row.pk, [])))
        for row in Calendar.objects.all()
    }


def _target(minutes: int | None, working_days: int | None) -> Target | None:
    if minutes is None and working_days is None:
        return None
    return Target(minutes=minutes, working_days=working_days)


def _load() -> list[LoadedPolicy]:
    calendars = _load_calendars()
    loaded = []
    for policy in SlaPolicy.objects.filter(is_active=True).order_by("order", "pk"):
        calendar = calendars[policy.calendar_id]
        working = calendars.get(policy.working_day_calendar_id or policy.calendar_id, calendar)
        loaded.append(
            LoadedPolicy(
                policy=policy,
                targets=Targets(
                    first_response=_target(
                        policy.first_response_minutes, policy.first_response_working_days
                    ),
                    next_response=_target(
                        policy.next_response_minutes, policy.next_response_working_days
                    ),
                    resolution=_target(policy.resolution_minutes, policy.resolution_working_days),
                    warning_percent=policy.warning_percent,
                ),
                calendar=calendar,
                working_day_calendar=working,
            )
        )
    _cache.calendars = {calendar.spec.name: calendar for calendar in calendars.values()}
    return loaded


def active_policies() -> list[LoadedPolicy]:
    """Return the active policies in matching order (cached)."""
    with _cache.lock:
        fresh = time.monotonic() - _cache.loaded_at < CACHE_SECONDS
        if _cache.policies is None or not fresh:
            _cache.policies = _load()
            _cache.loaded_at = time.monotonic()
        return _cache.policies


def policy_for(*, priority: str, kind: str, channel: str, segment: str) -> LoadedPolicy | None:
    """Return the first active policy that matches, or None."""
    for loaded in active_policies():
        if loaded.matches(priority=priority, kind=kind, channel=channel, segment=segment):
            return loaded
    return None


def calendar_named(name: str) -> BusinessCalendar | None:
    """Return the business calendar called ``name`` (cached), or None."""
    active_policies()
    calendar = _cache.calendars.get(name)
    if calendar is None:
        rows = {c.spec.name: c for c in _load_calendars().values()}
        _cache.calendars.update(rows)
        calendar = rows.get(name)
    return calendar
