"""Reading tickets: the inbox query, visibility, a customer's timeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import NotFound
from closeloop.people.access import Requester
from closeloop.tickets.models import OPEN_STATUSES, Message, Ticket

ORDERINGS: dict[str, tuple[Any, ...]] = {
    "due": (F("sla_due_at").asc(nulls_last=True), "id"),
    "-due": (F("sla_due_at").desc(nulls_last=True), "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "number": ("number",),
    "-number": ("-number",),
}


def tickets_visible_to(requester: Requester) -> QuerySet[Ticket]:
    """Tickets the requester may see: all, less restricted teams they are not part of."""
    tickets = Ticket.objects.all()
    if requester.is_admin:
        return tickets
    return tickets.filter(
        Q(team__isnull=True) | Q(team__is_restricted=False) | Q(team_id__in=requester.team_ids)
    )


def ticket_visible(requester: Requester, *, related: tuple[str, ...] = (), **lookup: Any) -> Ticket:
    """The ticket matching ``lookup`` (``pk=`` or ``number=``) if the requester may see it;
    NotFound otherwise, so a hidden ticket reads exactly like a missing one."""
    ticket = tickets_visible_to(requester).select_related(*related).filter(**lookup).first()
    if ticket is None:
        raise NotFound(
            _("Ticket %(id)s not found.") % {"id": next(iter(lookup.values()), "")},
        )
    return ticket


def sla_state_filter(state: str, *, now: datetime) -> Q:
    """The condition for an inbox SLA state: breached, warning (at risk), or ok."""
    breached = Q(sla_breached_at__isnull=False) | Q(sla_due_at__lte=now)
    if state == "breached":
        return breached
    warning = Q(sla_warning_at__lte=now)
    if state == "warning":
        return ~breached & warning
    return ~breached & ~warning


def ticket_sla_state(ticket: Ticket, *, now: datetime | None = None) -> str:
    """The ticket's SLA state now: ok, warning or breached."""
    now = now or clock.now()
    if ticket.sla_breached_at is not None or (ticket.sla_due_at and ticket.sla_due_at <= now):
        return "breached"
    if ticket.sla_warning_at is not None and ticket.sla_warning_at <= now:
        return "warning"
    return "ok"


def ticket_inbox(
    tickets: QuerySet[Ticket],
    *,
    statuses: Iterable[str] = (),
    priorities: Iterable[str] = (),
    kinds: Iterable[str] = (),
    channels: Iterable[str] = (),
    assignee_id: int | None = None,
    is_unassigned: bool = False,
    customer_id: int | None = None,
    team_id: int | None = None,
    sla_state: str | None = None,
    ordering: str = "due",
    now: datetime | None = None,
) -> QuerySet[Ticket]:
    """Filter and order tickets the way the inbox lists them (indexed on status and due)."""
    statuses = list(statuses)
    if "open" in statuses:
        statuses = [s for s in statuses if s != "open"] + [str(s) for s in OPEN_STATUSES]
    if statuses:
        tickets = tickets.filter(status__in=statuses)
    if priorities := list(priorities):
        tickets = tickets.filter(priority__in=priorities)
    if kinds := list(kinds):
        tickets = tickets.filter(kind__in=kinds)
    if channels := list(channels):
        tickets = tickets.filter(channel__in=channels)
    if assignee_id is not None:
        tickets = tickets.filter(assignee_id=assignee_id)
    if is_unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    if customer_id is not None:
        tickets = tickets.filter(customer_id=customer_id)
    if team_id is not None:
        tickets = tickets.filter(team_id=team_id)
    if sla_state:
        tickets = tickets.filter(sla_state_filter(sla_state, now=now or clock.now()))
    return tickets.select_related("customer", "team", "assignee", "escalated_to").order_by(
        *ORDERINGS[ordering]
    )


def customer_timeline(
    *, customer_id: int, tickets: QuerySet[Ticket], limit: int = 200
) -> list[tuple[datetime, str, Ticket, Message | None]]:
    """Every ticket opening and message of a customer across channels, newest first."""
    customer_tickets = {
        ticket.pk: ticket
        for ticket in tickets.filter(customer_id=customer_id).order_by("-created_at")[:limit]
    }
    messages = (
        Message.objects.filter(ticket_id__in=list(customer_tickets))
        .select_related("author_agent")
        .order_by("-created_at", "-id")[:limit]
    )
    entries: list[tuple[datetime, str, Ticket, Message | None]] = [
        (ticket.created_at, "ticket", ticket, None) for ticket in customer_tickets.values()
    ]
    entries += [
        (message.created_at, "message", customer_tickets[message.ticket_id], message)
        for message in messages
    ]
    entries.sort(key=lambda entry: (entry[0], entry[1] == "message"), reverse=True)
    return entries[:limit]
