"""Changing tickets: every change is one service that writes the row, appends events and
announces the change (``signals.ticket_changed`` inside the transaction, ``ticket_committed``
after it). Status changes go through ``_transition`` only: table check plus guarded UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from closeloop.core import clock, sql
from closeloop.core.errors import CloseloopError, ConcurrentChange, InvalidInput, InvalidTransition
from closeloop.core.models import Organization
from closeloop.customers.identities import refuse_control_characters
from closeloop.customers.models import Customer
from closeloop.people.models import Agent, Team, TeamRole
from closeloop.tickets.lifecycle import check_transition
from closeloop.tickets.models import (
    AuthorKind,
    Channel,
    EventType,
    Kind,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    Touchpoint,
)
from closeloop.tickets.signals import ticket_changed, ticket_committed, ticket_opening

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


class _Change:
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
        transaction.on_commit(
            lambda: ticket_committed.send(
                sender=Ticket, ticket_id=ticket_id, event_types=event_types
            )
        )


def _transition(change: _Change, target: Status, *, reason: str = "", **fields: Any) -> None:
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


def _save_fields(change: _Change, **fields: Any) -> None:
    """Write plain (non-status) fields of the ticket and keep the instance in step."""
    fields["updated_at"] = change.at
    sql.update(Ticket, change.ticket.pk, fields)
    for name, value in fields.items():
        setattr(change.ticket, name, value)


def _clean_text(value: str, *, field: str, max_length: int) -> str:
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


def _choice(value: str, choices: type, *, field: str) -> str:
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


TICKET_NUMBER_SEQUENCE = "closeloop_ticket_number"


def _next_ticket_number() -> int:
    """Hand out the next ticket number: unique and increasing, in one statement.

    PostgreSQL takes it from a sequence, which holds no lock until commit (a rolled-back
    intake leaves a gap); SQLite, whose writers are serialised anyway, from the organisation's
    counter with UPDATE … RETURNING.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [TICKET_NUMBER_SEQUENCE])
            return int(cursor.fetchone()[0])
    table = connection.ops.quote_name(Organization._meta.db_table)
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET next_ticket_number = next_ticket_number + 1 "  # noqa: S608
                "WHERE id = %s RETURNING next_ticket_number - 1",
                [Organization.SINGLETON_ID],
            )
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        Organization.current()  # the row is made by a migration; a flushed database lacks it
    raise RuntimeError("could not allocate a ticket number")


def _existing_message(channel: str, external_id: str | None) -> Message | None:
    if not external_id:
        return None
    return (
        Message.objects.select_related("ticket")
        .filter(channel=channel, external_id=external_id)
        .first()
    )


def ticket_create(
    *,
    customer: Customer,
    subject: str,
    body: str,
    channel: str,
    actor: Actor,
    kind: str = Kind.INQUIRY,
    priority: str = Priority.MEDIUM,
    touchpoint: str = Touchpoint.AFTER_SALE,
    team: Team | None = None,
    external_id: str | None = None,
    related_to: Ticket | None = None,
) -> Ticket:
    """Open a ticket with the customer's first message.

    With an ``external_id`` (the channel's own message id) the call is idempotent: a second
    call with the same channel and id returns the ticket the first one opened.
    """
    subject = _clean_text(subject, field="subject", max_length=MAX_SUBJECT_LENGTH)
    body = _clean_text(body, field="body", max_length=MAX_BODY_LENGTH)
    _choice(channel, Channel, field="channel")
    _choice(kind, Kind, field="kind")
    _choice(priority, Priority, field="priority")
    _choice(touchpoint, Touchpoint, field="touchpoint")
    existing = _existing_message(channel, external_id)
    if existing is not None:
        return existing.ticket

    if external_id:
        # A channel retrying the same message at the same moment: the loser's unique-key
        # error is caught in its own savepoint and answered with the winner's ticket.
        try:
            with transaction.atomic():
                return _insert_new_ticket(
                    customer,
                    subject,
                    body,
                    channel,
                    actor,
                    kind,
                    priority,
                    touchpoint,
                    team,
                    external_id,
                    related_to,
                )
        except IntegrityError:
            existing = _existing_message(channel, external_id)
            if existing is None:
                raise
            return existing.ticket
    # Everything above only reads, so the writes can join the caller's transaction without a
    # savepoint of their own (two statements fewer on every intake); an error below fails the
    # whole surrounding transaction, as it should.
    with transaction.atomic(savepoint=False):
        return _insert_new_ticket(
            customer,
            subject,
            body,
            channel,
            actor,
            kind,
            priority,
            touchpoint,
            team,
            external_id,
            related_to,
        )


def _insert_new_ticket(
    customer: Customer,
    subject: str,
    body: str,
    channel: str,
    actor: Actor,
    kind: str,
    priority: str,
    touchpoint: str,
    team: Team | None,
    external_id: str | None,
    related_to: Ticket | None,
) -> Ticket:
    """The writes of ticket_create (inputs already checked)."""
    now = clock.now()
    ticket = Ticket(
        number=_next_ticket_number(),
        subject=subject,
        kind=kind,
        priority=priority,
        channel=channel,
        touchpoint=touchpoint,
        customer=customer,
        team=team,
        related_to=related_to,
        created_at=now,
        updated_at=now,
        last_customer_message_at=now,
    )
    ticket_opening.send(sender=Ticket, ticket=ticket)
    sql.insert([ticket])
    message = Message(
        ticket=ticket,
        author_kind=AuthorKind.CUSTOMER,
        body=body,
        is_public=True,
        channel=channel,
        external_id=external_id or None,
        created_at=now,
    )
    sql.insert([message])
    change = _Change(ticket, actor)
    change.at = now
    change.record(
        EventType.CREATED,
        after={
            "subject": subject,
            "kind": kind,
            "priority": priority,
            "channel": channel,
            "touchpoint": touchpoint,
            "customer_id": customer.pk,
            "team_id": team.pk if team else None,
            "related_to_id": related_to.pk if related_to else None,
        },
    )
    change.record(EventType.MESSAGE_ADDED, after=_message_facts(message))
    change.finish()
    return ticket


def _message_facts(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.pk,
        "author_kind": message.author_kind,
        "is_public": message.is_public,
        "channel": message.channel,
    }


@transaction.atomic
def message_add(
    *,
    ticket: Ticket,
    body: str,
    actor: Actor,
    is_public: bool = True,
    channel: str | None = None,
    external_id: str | None = None,
) -> Message:
    """Add a message to a ticket and move the lifecycle the way the message implies.

    A customer's message resumes a ticket waiting on them and reopens a resolved or recently
    closed one. An agent's first public reply stops the first-response clock; replying to a
    new or assigned ticket takes it into work. Idempotent on (channel, external_id).
    """
    body = _clean_text(body, field="body", max_length=MAX_BODY_LENGTH)
    channel = _choice(channel or ticket.channel, Channel, field="channel")
    existing = _existing_message(channel, external_id)
    if existing is not None:
        return existing
    if actor.kind == AuthorKind.CUSTOMER:
        is_public = True
    if actor.kind == AuthorKind.AGENT and actor.agent is None:
        raise InvalidInput(_("An agent message needs its agent."))

    ticket = _lock(ticket)
    change = _Change(ticket, actor)
    if actor.kind == AuthorKind.CUSTOMER:
        _before_customer_message(change)
    elif actor.kind == AuthorKind.AGENT and is_public:
        _before_agent_reply(change)
    elif ticket.status == Status.CLOSED:
        raise TicketClosed(_("Ticket %(number)s is closed.") % {"number": ticket.number})

    message = Message(
        ticket=ticket,
        author_kind=actor.kind,
        author_agent=actor.agent,
        body=body,
        is_public=is_public,
        channel=channel,
        external_id=external_id or None,
        created_at=change.at,
    )
    try:
        if external_id:
            # Only a channel id can collide; the savepoint keeps a collision recoverable.
            with transaction.atomic():
                sql.insert([message])
        else:
            sql.insert([message])
    except IntegrityError:
        # The same channel message arrived twice at once; the other request stored it.
        duplicate = _existing_message(channel, external_id)
        if duplicate is None:
            raise
        return duplicate
    change.record(EventType.MESSAGE_ADDED, after=_message_facts(message))
    if actor.kind == AuthorKind.CUSTOMER:
        _save_fields(change, last_customer_message_at=change.at)
    elif actor.kind == AuthorKind.AGENT and is_public:
        fields: dict[str, Any] = {
            "last_agent_reply_at": change.at,
            "public_agent_reply_count": ticket.public_agent_reply_count + 1,
        }
        if ticket.first_responded_at is None:
            fields["first_responded_at"] = change.at
        _save_fields(change, **fields)
    change.finish()
    return message


def _lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock (PostgreSQL; SQLite serialises writers anyway)."""
    locked = sql.get(Ticket, ticket.pk, for_update=True)
    # The SLA policy match needs the customer's segment; reuse the customer already loaded
    # with the caller's copy instead of reading it again (one statement per change).
    if ticket.customer_id == locked.customer_id and "customer" in ticket._state.fields_cache:
        locked.customer = ticket.customer
    return locked


def _before_customer_message(change: _Change) -> None:
    ticket = change.ticket
    if ticket.status == Status.PENDING_CUSTOMER:
        _transition(change, Status.IN_PROGRESS, reason="customer replied", pending_since=None)
    elif ticket.status in (Status.RESOLVED, Status.CLOSED):
        _reopen(change, reason="customer wrote again")


def _before_agent_reply(change: _Change) -> None:
    ticket = change.ticket
    agent = change.actor.agent
    if agent is None:
        raise InvalidInput(_("An agent reply needs its agent."))
    if ticket.status == Status.CLOSED:
        raise TicketClosed(_("Ticket %(number)s is closed.") % {"number": ticket.number})
    if ticket.status == Status.NEW:
        _assign(change, agent, reason="replied")
    if ticket.status == Status.ASSIGNED:
        _transition(change, Status.IN_PROGRESS, reason="replied")


def _assign(
    change: _Change, assignee: Agent, *, team: Team | None = None, reason: str = ""
) -> None:
    ticket = change.ticket
    before = {"assignee_id": ticket.assignee_id, "team_id": ticket.team_id}
    new_team = team or ticket.team or assignee.teams.order_by("pk").first()
    if ticket.status == Status.NEW:
        _transition(
            change,
            Status.ASSIGNED,
            reason=reason,
            assignee=assignee,
            team=new_team,
            assigned_at=change.at,
        )
    else:
        _save_fields(change, assignee=assignee, team=new_team, assigned_at=change.at)
    change.record(
        EventType.ASSIGNED,
        before=before,
        after={"assignee_id": assignee.pk, "team_id": new_team.pk if new_team else None},
        reason=reason,
    )


def _reopen(change: _Change, *, reason: str) -> None:
    ticket = change.ticket
    window = timedelta(days=Organization.cached().reopen_window_days)
    resolved_at: datetime | None = ticket.resolved_at
    if resolved_at is not None and change.at - resolved_at > window:
        raise TicketClosed(
            _("Ticket %(number)s was resolved more than %(days)d days ago; open a new ticket.")
            % {"number": ticket.number, "days": window.days},
            details={"resolved_at": resolved_at.isoformat(), "reopen_window_days": window.days},
        )
    _transition(
        change,
        Status.IN_PROGRESS,
        reason=reason,
        reopened_at=change.at,
        reopen_count=ticket.reopen_count + 1,
        resolved_at=None,
        confirmed_at=None,
        closed_at=None,
    )


def _refuse_unless_open(ticket: Ticket) -> None:
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        raise InvalidTransition(
            _("Ticket %(number)s is %(status)s.")
            % {"number": ticket.number, "status": Status(ticket.status).label},
            details={"status": ticket.status},
        )


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee: Agent, actor: Actor, team: Team | None = None, reason: str = ""
) -> Ticket:
    """Give the ticket to an agent (a new ticket becomes assigned; others change owner)."""
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise TicketClosed(_("Ticket %(number)s is closed.") % {"number": ticket.number})
    if not assignee.user.is_active:
        raise InvalidInput(
            _("%(agent)s cannot take tickets.") % {"agent": assignee},
            details={"field": "assignee_id"},
        )
    change = _Change(ticket, actor)
    _assign(change, assignee, team=team, reason=reason)
    change.finish()
    return ticket


def _simple_transition(
    ticket: Ticket,
    actor: Actor,
    target: Status,
    reason: str,
    sources: frozenset[Status] | None = None,
    **fields: Any,
) -> Ticket:
    ticket = _lock(ticket)
    if sources is not None and ticket.status not in sources:
        # The table allows resolved/closed -> in_progress for reopening only; an action may
        # narrow it further, so e.g. "start" cannot sidestep the reopen window.
        raise InvalidTransition(
            _("A ticket cannot go from %(current)s to %(target)s.")
            % {"current": Status(ticket.status).label, "target": Status(target).label},
            details={"from": str(ticket.status), "to": str(target)},
        )
    change = _Change(ticket, actor)
    resolved_fields = {
        name: (value(change) if callable(value) else value) for name, value in fields.items()
    }
    _transition(change, target, reason=reason, **resolved_fields)
    change.finish()
    return ticket


@transaction.atomic
def ticket_start(*, ticket: Ticket, actor: Actor, reason: str = "") -> Ticket:
    """An assigned ticket goes into work (or one waiting on the customer goes back to it)."""
    return _simple_transition(
        ticket,
        actor,
        Status.IN_PROGRESS,
        reason,
        sources=frozenset({Status.ASSIGNED, Status.PENDING_CUSTOMER}),
        pending_since=None,
    )


@transaction.atomic
def ticket_pend(*, ticket: Ticket, actor: Actor, reason: str = "") -> Ticket:
    """Wait on the customer: SLA clocks pause until they write."""
    return _simple_transition(
        ticket, actor, Status.PENDING_CUSTOMER, reason, pending_since=lambda change: change.at
    )


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, actor: Actor, reason: str = "") -> Ticket:
    """The team considers the matter solved; the customer is asked to confirm."""
    return _simple_transition(
        ticket,
        actor,
        Status.RESOLVED,
        reason,
        pending_since=None,
        resolved_at=lambda change: change.at,
    )


@transaction.atomic
def ticket_confirm(*, ticket: Ticket, actor: Actor, reason: str = "") -> Ticket:
    """The customer confirms the solution: the ticket is archived."""
    return _simple_transition(
        ticket,
        actor,
        Status.CLOSED,
        reason or "customer confirmed",
        confirmed_at=lambda change: change.at,
        closed_at=lambda change: change.at,
    )


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor: Actor, reason: str = "") -> Ticket:
    """Archive a resolved ticket without the customer's confirmation."""
    return _simple_transition(
        ticket, actor, Status.CLOSED, reason, closed_at=lambda change: change.at
    )


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor: Actor, reason: str = "") -> Ticket:
    """The solution did not hold: back into work (within the reopen window)."""
    ticket = _lock(ticket)
    change = _Change(ticket, actor)
    check_transition(ticket.status, Status.IN_PROGRESS)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise InvalidTransition(
            _("Only a resolved or closed ticket can be reopened."),
            details={"status": ticket.status},
        )
    _reopen(change, reason=reason or "reopened")
    change.finish()
    return ticket


def _escalation_target(ticket: Ticket, level: int) -> Agent | None:
    team = ticket.team
    if team is None:
        return None
    if level == 1:
        lead = team.memberships.filter(role=TeamRole.LEAD).select_related("agent").first()
        return lead.agent if lead else None
    if level == 2:
        return team.department_head
    return team.expert or team.department_head


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    to_agent: Agent | None = None,
    level: int | None = None,
) -> Ticket:
    """Raise the escalation level (team lead → department head → expert) with a reason.

    Manual escalation names a reason and goes to ``to_agent`` or, when not given, to the
    person the ticket's team names for that level. Automatic escalation (SLA breach) passes
    a ``level``; escalating to a level the ticket already has changes nothing.
    """
    ticket = _lock(ticket)
    _refuse_unless_open(ticket)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("An escalation needs a reason."), details={"field": "reason"})
    target_level = ticket.escalation_level + 1 if level is None else level
    if not 1 <= target_level <= MAX_ESCALATION_LEVEL:
        raise EscalationRefused(
            _("Escalation level must be between 1 and %(max)d.") % {"max": MAX_ESCALATION_LEVEL},
            details={"level": target_level, "current_level": ticket.escalation_level},
        )
    if target_level <= ticket.escalation_level:
        if level is not None and actor.kind == AuthorKind.SYSTEM:
            return ticket
        raise EscalationRefused(
            _("Ticket %(number)s is already at escalation level %(level)d.")
            % {"number": ticket.number, "level": ticket.escalation_level},
            details={"current_level": ticket.escalation_level},
        )
    target = to_agent or _escalation_target(ticket, target_level)
    if target is None and actor.kind != AuthorKind.SYSTEM:
        raise EscalationRefused(
            _("Nobody is named for escalation level %(level)d of this team; choose a person.")
            % {"level": target_level},
            details={"level": target_level},
        )
    change = _Change(ticket, actor)
    before = {
        "escalation_level": ticket.escalation_level,
        "escalated_to_id": ticket.escalated_to_id,
    }
    _save_fields(change, escalation_level=target_level, escalated_to=target, escalated_at=change.at)
    change.record(
        EventType.ESCALATED,
        before=before,
        after={"escalation_level": target_level, "escalated_to_id": target.pk if target else None},
        reason=reason,
    )
    change.finish()
    return ticket


UPDATABLE_FIELDS = {
    "subject": None,
    "kind": Kind,
    "priority": Priority,
    "touchpoint": Touchpoint,
}


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: Actor,
    changes: dict[str, Any],
    team: Team | None = None,
    reason: str = "",
) -> Ticket:
    """Change subject, kind, priority, touchpoint or team; one event per changed field."""
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise TicketClosed(_("Ticket %(number)s is closed.") % {"number": ticket.number})
    change = _Change(ticket, actor)
    updates: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in UPDATABLE_FIELDS:
            raise InvalidInput(
                _("%(field)s cannot be changed here.") % {"field": field}, details={"field": field}
            )
        choices = UPDATABLE_FIELDS[field]
        if choices is None:
            value = _clean_text(value, field=field, max_length=MAX_SUBJECT_LENGTH)
        else:
            _choice(value, choices, field=field)
        if getattr(ticket, field) != value:
            change.record(
                EventType.FIELD_CHANGED,
                before={field: getattr(ticket, field)},
                after={field: value},
                reason=reason,
            )
            updates[field] = value
    if team is not None and team.pk != ticket.team_id:
        change.record(
            EventType.FIELD_CHANGED,
            before={"team_id": ticket.team_id},
            after={"team_id": team.pk},
            reason=reason,
        )
        updates["team"] = team
    if updates:
        _save_fields(change, **updates)
    change.finish()
    return ticket


def tickets_autoclose_due(*, limit: int = 500) -> int:
    """Close resolved tickets whose confirmation window has passed; return how many."""
    window = timedelta(hours=Organization.cached().confirmation_window_hours)
    cutoff = clock.now() - window
    closed = 0
    due = (
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:limit]
    )
    for ticket_id in list(due):
        try:
            with transaction.atomic():
                ticket = Ticket.objects.get(pk=ticket_id)
                ticket_close(
                    ticket=ticket, actor=Actor.system(), reason="confirmation window elapsed"
                )
            closed += 1
        except (ConcurrentChange, InvalidTransition):
            # Another worker or the customer got there first; nothing to do.
            continue
    return closed


@transaction.atomic
def ticket_record_sla(
    *,
    ticket: Ticket,
    event_type: EventType,
    metric: str,
    due_at: datetime,
    cycle: int = 1,
    notify_agent_ids: Sequence[int] = (),
) -> None:
    """Append an SLA warning or breach to the ticket's history (the sla sweeper calls this)."""
    if event_type not in (EventType.SLA_WARNING, EventType.SLA_BREACHED):
        raise ValueError(f"not an SLA event: {event_type}")
    change = _Change(ticket, Actor.system())
    after: dict[str, Any] = {"metric": metric, "due_at": due_at.isoformat(), "cycle": cycle}
    if notify_agent_ids:
        after["notify_agent_ids"] = list(notify_agent_ids)
    change.record(event_type, after=after)
    change.finish()
