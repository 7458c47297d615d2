"""Rows the metric and alert tests count: tickets, clocks, survey responses and QA reviews
written directly at given times (a metric reads columns, not the services that wrote them;
the sweep test writes its tickets through the services instead)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from closeloop.analytics.models import AlertRule
from closeloop.core import clock
from closeloop.customers.models import Customer
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.feedback.models import Invitation, InvitationStatus, Response, Survey
from closeloop.quality.models import Review, ReviewStatus, Scorecard
from closeloop.sla.models import Calendar, SlaPolicy, TicketClock
from closeloop.tickets.models import Ticket
from closeloop.triage.models import Category, TicketTriage

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
_numbers = itertools.count(900_000)


def at(hours: float = 0, *, days: float = 0) -> datetime:
    """T0 plus the given hours and days."""
    return T0 + timedelta(days=days, hours=hours)


def ticket(
    *,
    created: datetime,
    customer: Customer | None = None,
    category: Category | None = None,
    **fields: Any,
) -> Ticket:
    """A ticket row opened at ``created`` with ``fields`` set as given."""
    values: dict[str, Any] = {
        "number": next(_numbers),
        "subject": "Test",
        "channel": "email",
        "customer": customer or CustomerFactory(),
        "created_at": created,
        "updated_at": created,
        **fields,
    }
    row = Ticket.objects.create(**values)
    if category is not None:
        TicketTriage.objects.create(ticket=row, category=category, decided_at=created)
    return row


def category(code: str, parent: Category | None = None) -> Category:
    """A category under ``parent`` (a family when there is none)."""
    return Category.objects.create(
        code=code, name_en=code, name_zh=code, family="product", parent=parent
    )


def clock_row(
    row: Ticket,
    *,
    metric: str,
    started: datetime,
    due: datetime,
    stopped: datetime | None = None,
    paused_minutes: float = 0,
    calendar: str = "24x7",
) -> TicketClock:
    """An SLA clock of ``row`` on a policy of the named calendar."""
    policy, _created = SlaPolicy.objects.get_or_create(
        name=f"test {calendar}",
        defaults={"calendar": Calendar.objects.get(name=calendar), "order": 999},
    )
    return TicketClock.objects.create(
        ticket=row,
        metric=metric,
        policy=policy,
        started_at=started,
        due_at=due,
        warn_at=due,
        stopped_at=stopped,
        paused_minutes=paused_minutes,
    )


def survey(survey_type: str) -> Survey:
    """A survey of the given type."""
    now = clock.now()
    return Survey.objects.create(
        name=f"test {survey_type}",
        survey_type=survey_type,
        question_en="?",
        question_zh="？",
        created_at=now,
        updated_at=now,
    )


def response(
    of: Survey, score: int, *, answered: datetime, ticket_row: Ticket | None = None, **fields: Any
) -> Response:
    """One answered invitation of ``of`` scoring ``score``."""
    customer = ticket_row.customer if ticket_row else CustomerFactory()
    invitation = Invitation.objects.create(
        survey=of,
        ticket=ticket_row,
        customer=customer,
        status=InvitationStatus.ANSWERED,
        scheduled_at=answered,
        answered_at=answered,
        round="" if ticket_row else f"r{next(_numbers)}",
        created_at=answered,
    )
    return Response.objects.create(
        invitation=invitation,
        survey=of,
        survey_type=of.survey_type,
        score=score,
        ticket=ticket_row,
        customer=customer,
        channel=fields.pop("channel", ticket_row.channel if ticket_row else "email"),
        answered_at=answered,
        updated_at=answered,
        **fields,
    )


def review(row: Ticket, agent: Any, *, passed: bool, submitted: datetime, **fields: Any) -> Review:
    """A submitted QA review of ``row``."""
    return Review.objects.create(
        ticket=row,
        agent=agent,
        reviewer=agent,
        scorecard=Scorecard.objects.filter(is_current=True).first(),
        status=ReviewStatus.SUBMITTED,
        score=90 if passed else 50,
        passed=passed,
        assigned_at=submitted,
        submitted_at=submitted,
        **fields,
    )


def rule(**fields: Any) -> AlertRule:
    """An alert rule (through the service, so it is validated as a user's would be)."""
    from closeloop.analytics.services import alert_rule_create

    values: dict[str, Any] = {
        "name": f"rule {next(_numbers)}",
        "metric": "complaint_rate",
        "comparison": "above",
        "threshold": 10.0,
        "clear_threshold": 8.0,
        "window_hours": 24,
        "min_sample": 10,
        "actor": None,
    }
    values.update(fields)
    return alert_rule_create(**values)
