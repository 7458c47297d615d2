"""Each ticket's category decision: what the classifier said, how sure it was, whether a
person must look, and a person's correction, which becomes training data for the next model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.people.access import Requester
from closeloop.people.models import Agent
from closeloop.tickets.models import OPEN_STATUSES, AuthorKind, Message, Ticket
from closeloop.tickets.selectors import tickets_visible_to
from closeloop.tickets.services import Actor, ticket_record_field_change
from closeloop.triage.models import (
    Category,
    ClassifierVersion,
    TicketTriage,
    TriageCorrection,
    TriageSettings,
    TriageSource,
)


def ticket_text(subject: str, body: str | None) -> str:
    """The text a ticket is classified on: its subject and the customer's first message."""
    return f"{subject}\n{body or ''}".strip()


def _unit_interval(value: float, *, field: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise InvalidInput(
            _("%(field)s must be between 0 and 1.") % {"field": field}, details={"field": field}
        )
    return float(value)


def _version_number(version: ClassifierVersion | int | None) -> int | None:
    if isinstance(version, ClassifierVersion):
        return version.number
    return version


@transaction.atomic
def triage_record(
    *,
    ticket: Ticket,
    category: Category | None,
    confidence: float | None,
    version: ClassifierVersion | int | None,
    threshold: float | None = None,
    reason: dict[str, Any] | None = None,
) -> TicketTriage:
    """Store the classifier's decision for a ticket; below the confidence threshold (the
    triage settings' unless given) or without a category, the ticket needs a person.

    A category an agent already set stands: the classifier does not overwrite a person.
    """
    if confidence is not None:
        confidence = _unit_interval(confidence, field="confidence")
    if threshold is None:
        threshold = TriageSettings.cached().confidence_threshold
    threshold = _unit_interval(threshold, field="threshold")
    existing = TicketTriage.objects.select_for_update().filter(ticket=ticket).first()
    if existing is not None and existing.source == TriageSource.AGENT:
        return existing
    needs_triage = category is None or confidence is None or confidence < threshold
    record, _created = TicketTriage.objects.update_or_create(
        ticket=ticket,
        defaults={
            "category": category,
            "confidence": confidence,
            "classifier_version": _version_number(version),
            "source": TriageSource.CLASSIFIER,
            "needs_triage": needs_triage,
            "decided_at": clock.now(),
            "reason": {**(reason or {}), "threshold": threshold},
        },
    )
    return record


@transaction.atomic
def triage_correct(*, ticket: Ticket, category: Category, agent: Agent) -> TicketTriage:
    """An agent sets (or confirms) the ticket's problem type: the ticket leaves the
    needs-triage list and the correction is kept as training data. Setting the category an
    agent already set changes nothing."""
    if not category.is_active:
        raise InvalidInput(
            _("%(code)s is not an active category.") % {"code": category.code},
            details={"field": "category"},
        )
    if category.children.filter(is_active=True).exists():
        raise InvalidInput(
            _("%(code)s is a group; choose one of its problem types.") % {"code": category.code},
            details={"field": "category"},
        )
    existing = (
        TicketTriage.objects.select_for_update(of=("self",))
        .select_related("category")
        .filter(ticket=ticket)
        .first()
    )
    if (
        existing is not None
        and existing.source == TriageSource.AGENT
        and existing.category_id == category.pk
    ):
        return existing
    now = clock.now()
    previous = existing.category if existing is not None else None
    TriageCorrection.objects.create(
        ticket=ticket, from_category=previous, to_category=category, agent=agent, created_at=now
    )
    reason: dict[str, Any] = {
        "corrected_by_agent_id": agent.pk,
        "from_category": previous.code if previous is not None else None,
    }
    if existing is not None and existing.confidence is not None:
        reason["classifier_confidence"] = existing.confidence
    record, _created = TicketTriage.objects.update_or_create(
        ticket=ticket,
        defaults={
            "category": category,
            "confidence": 1.0,
            "classifier_version": existing.classifier_version if existing else None,
            "source": TriageSource.AGENT,
            "needs_triage": False,
            "decided_at": now,
            "reason": reason,
        },
    )
    ticket_record_field_change(
        ticket=ticket,
        actor=Actor.of_agent(agent),
        field="category",
        before=previous.code if previous is not None else None,
        after=category.code,
        reason="triage correction",
    )
    return record


def training_examples() -> Iterator[tuple[str, str]]:
    """(ticket text, category code) for every ticket whose category a person set or the
    classifier was sure of, under an active category; oldest ticket first."""
    first_body = (
        Message.objects.filter(ticket=OuterRef("ticket_id"), author_kind=AuthorKind.CUSTOMER)
        .order_by("created_at", "id")
        .values("body")[:1]
    )
    rows = (
        TicketTriage.objects.filter(category__isnull=False, category__is_active=True)
        .filter(Q(source=TriageSource.AGENT) | Q(needs_triage=False))
        .annotate(body=Subquery(first_body))
        .order_by("ticket_id")
        .values_list("ticket__subject", "body", "category__code")
    )
    for subject, body, code in rows.iterator(chunk_size=500):
        yield ticket_text(subject, body), code


def needs_triage_tickets(requester: Requester) -> QuerySet[Ticket]:
    """Open tickets the requester may see whose category a person still has to decide,
    the longest-waiting first."""
    return (
        tickets_visible_to(requester)
        .filter(triage__needs_triage=True, status__in=OPEN_STATUSES)
        .select_related("triage", "triage__category")
        .order_by("triage__decided_at", "id")
    )
