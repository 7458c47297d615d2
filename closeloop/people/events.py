"""The people app's audit log and small shared helpers (today's date, errors)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.people.models import Agent, PeopleEvent


class AlreadyExists(CloseloopError):
    """The thing asked for already exists and only one may (an open enrolment, an active
    mentor)."""

    code = "already_exists"
    http_status = 409


def today() -> date:
    """Today in the site's time zone, by the one clock."""
    return timezone.localdate(clock.now())


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on, clamped to the month's last day
    (31 January + 1 month = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - date(year, month, 1)).days
    return date(year, month, min(day.day, last_day))


def people_event_append(*, agent: Agent, type: str, actor: User | None, **data: Any) -> None:
    """Append one audit row about ``agent`` (call inside the service's transaction)."""
    PeopleEvent.objects.create(
        agent=agent,
        type=type,
        actor=actor if actor is not None and actor.pk is not None else None,
        data=data,
        created_at=clock.now(),
    )
