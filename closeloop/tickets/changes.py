"""The plumbing every ticket service shares: who acts, the events of one change, the guarded
status UPDATE, input checks. Services (``services.py``, ``escalation.py``) build on it; nothing
outside the tickets app should call these directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.core import clock, sql
from closeloop.core.errors import CloseloopError, ConcurrentChange, InvalidInput
from closeloop.customers.identities import refuse_control_characters
from closeloop.people.access import Requester
from closeloop.people.models import Agent
from closeloop.tickets.lifecycle import check_transition
from closeloop.tickets.models import AuthorKind, EventType, Status, Ticket, TicketEvent
from closeloop.tickets.signals import ticket_changed, ticket_committed

MAX_ESCALATION_LEVEL = 3
MAX_SUBJECT_LENGTH = 300
MAX_BODY_LENGTH = 200_000


class EscalationRefused(CloseloopError):
    """The escalation asked for is not possible (top level reached, nobody to escalate to)."""

    code = "escalation_refused"
    http_status = 409


class TicketClosed(CloseloopError):
    """The ticket is archived and its reopen window has passed."""

    code = "ticket_closed"
    http_status = 409


@dataclass(frozen=True)
class Actor:
    """Who performs a change: an agent, the ticket's customer, the bot, or the system."""

    kind: AuthorKind
    agent: Agent | None = None

    @classmethod
    def of_agent(cls, agent: Agent) -> Actor:
        """An agent acting in the workspace or through the API."""
        return cls(kind=AuthorKind.AGENT, agent=agent)

    @classmethod
    def of_requester(cls, requester: Requester) -> Actor:
        """The staff member behind a request; an administrator without an agent profile
        cannot act on tickets (InvalidInput)."""
        if requester.agent is None:
            raise InvalidInput(_("This account has no agent profile, so it cannot act on tickets."))
        return cls.of_agent(requester.agent)

    @classmethod
    def customer(cls) -> Actor:
        """The ticket's customer (through a channel or the portal)."""
        return cls(kind=AuthorKind.CUSTOMER)

    @classmethod
    def bot(cls) -> Actor:
        """The FAQ bot."""
        return cls(kind=AuthorKind.BOT)

    @classmethod
    def system(cls) -> Actor:
        """Closeloop itself (sweeps, automations)."""
        return cls(kind=AuthorKind.SYSTEM)


class Change:
    """Collects the events of one service call and announces them once at the end."""

    def __init__(self, ticket: Ticket, actor: Actor) -> None:
        self.ticket = ticket
        self.actor = actor
        self.at = clock.now()
        self.events: list[TicketEvent] = []

    def record(
        self,
        event_type: EventType,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str = "",
    ) -> None:
        self.events.append(
            TicketEvent(
                ticket=self.ticket,
                type=event_type,
                actor_kind=self.actor.kind,
                actor_agent=self.actor.agent,
                before=before or {},
                after=after or {},
                reason=reason,
                created_at=self.at,
            )
        )

    def finish(self) -> None:
        if not self.events:
            return
        sql.insert(self.events)
        ticket_changed.send(sender=Ticket, ticket=self.ticket, events=self.events)
        ticket_id = self.ticket.pk
        event_types = [event.type for event in self.events]
        # robust: what listens after commit (live updates) must never fail a committed change.
        transaction.on_commit(
            lambda: ticket_committed.send(
                sender=Ticket, ticket_id=ticket_id, event_types=event_types
            ),
            robust=True,
        )


def transition(change: Change, target: Status, *, reason: str = "", **fields: Any) -> None:
    """Move the ticket to ``target`` with a guarded UPDATE; refuse stale or invalid moves."""
    ticket = change.ticket
    current = ticket.status
    check_transition(current, target)
    updates = {"status": target, "updated_at": change.at, **fields}
    rows = sql.update(Ticket, ticket.pk, updates, expect={"status": current})
    if rows != 1:
        raise ConcurrentChange(
            _("Ticket %(number)s was changed by someone else; reload and try again.")
            % {"number": ticket.number},
            details={"expected_status": str(current)},
        )
    for name, value in updates.items():
        setattr(ticket, name, value)
    after: dict[str, Any] = {"status": str(target)}
    if fields.get("confirmed_at") is not None:
        # Closing on the customer's word and closing without it are different facts.
        after["confirmed"] = True
    change.record(
        EventType.STATUS_CHANGED,
        before={"status": str(current)},
        after=after,
        reason=reason,
    )


def save_fields(change: Change, **fields: Any) -> None:
    """Write plain (non-status) fields of the ticket and keep the instance in step."""
    fields["updated_at"] = change.at
    sql.update(Ticket, change.ticket.pk, fields)
    for name, value in fields.items():
        setattr(change.ticket, name, value)


def clean_text(value: str, *, field: str, max_length: int) -> str:
    text = (value or "").strip()
    refuse_control_characters(text, field=field)
    if not text:
        raise InvalidInput(
            _("%(field)s must not be empty.") % {"field": field}, details={"field": field}
        )
    if len(text) > max_length:
        raise InvalidInput(
            _("%(field)s is longer than %(limit)d characters.")
            % {"field": field, "limit": max_length},
            details={"field": field, "limit": max_length},
        )
    return text


_ALLOWED_VALUES: dict[type, frozenset[str]] = {}


def choice(value: str, choices: type, *, field: str) -> str:
    allowed = _ALLOWED_VALUES.get(choices)
    if allowed is None:
        # TextChoices.values builds a new list on every read; this runs on every intake.
        allowed = _ALLOWED_VALUES[choices] = frozenset(choices.values)  # type: ignore[attr-defined]
    if value not in allowed:
        raise InvalidInput(
            _("%(value)s is not a valid %(field)s.") % {"value": value, "field": field},
            details={"field": field, "allowed": list(choices.values)},  # type: ignore[attr-defined]
        )
    return value


def lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock (PostgreSQL; SQLite serialises writers anyway)."""
    locked = sql.get(Ticket, ticket.pk, for_update=True)
    # The SLA policy match needs the customer's segment; reuse the customer already loaded
    # with the caller's copy instead of reading it again (one statement per change).
    if ticket.customer_id == locked.customer_id and "customer" in ticket._state.fields_cache:
        locked.customer = ticket.customer
    return locked
