"""Changing tickets: every change is one service that writes the row, appends events and
announces the change (``signals.ticket_changed`` inside the transaction, ``ticket_committed``
after it). Status changes go through ``transition`` only: table check plus guarded UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from closeloop.core import clock, sql
from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition
from closeloop.core.models import Organization
from closeloop.customers.identities import refuse_control_characters
from closeloop.customers.models import Customer
from closeloop.people.models import Agent, Team
from closeloop.tickets.changes import (
    MAX_BODY_LENGTH,
    MAX_SUBJECT_LENGTH,
    Actor,
    Change,
    EscalationRefused,
    TicketClosed,
    choice,
    clean_text,
    lock,
    save_fields,
    transition,
)
from closeloop.tickets.escalation import ticket_escalate
from closeloop.tickets.lifecycle import check_transition
from closeloop.tickets.merge import ticket_merge
from closeloop.tickets.models import (
    AuthorKind,
    Channel,
    EventType,
    Kind,
    Message,
    Priority,
    Status,
    Ticket,
    Touchpoint,
)
from closeloop.tickets.signals import ticket_opening

__all__ = [  # re-exported
    "Actor",
    "EscalationRefused",
    "TicketClosed",
    "ticket_escalate",
    "ticket_merge",
]

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
    # Asked on every channel message and nearly always answered "no": one compiled read.
    found = sql.select(
        f"SELECT id FROM {sql.table(Message)} WHERE channel = %s AND external_id = %s",  # noqa: S608
        [channel, external_id],
    )
    if not found:
        return None
    return Message.objects.select_related("ticket").get(pk=found[0][0])


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
    content: MessageContent | None = None,
) -> Ticket:
    """Open a ticket with the customer's first message.

    With an ``external_id`` (the channel's own message id) the call is idempotent: a second
    call with the same channel and id returns the ticket the first one opened.
    """
    ticket, _message = ticket_open(
        customer=customer,
        subject=subject,
        body=body,
        channel=channel,
        actor=actor,
        kind=kind,
        priority=priority,
        touchpoint=touchpoint,
        team=team,
        external_id=external_id,
        related_to=related_to,
        content=content,
    )
    return ticket


def ticket_open(
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
    content: MessageContent | None = None,
) -> tuple[Ticket, Message]:
    """``ticket_create``, returning the first message too (for channel intake)."""
    subject = clean_text(subject, field="subject", max_length=MAX_SUBJECT_LENGTH)
    body = clean_text(body, field="body", max_length=MAX_BODY_LENGTH)
    choice(channel, Channel, field="channel")
    choice(kind, Kind, field="kind")
    choice(priority, Priority, field="priority")
    choice(touchpoint, Touchpoint, field="touchpoint")
    write = partial(
        _insert_new_ticket,
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
        content or MessageContent(),
    )
    if external_id:
        # A channel sending the same message again (a retry, or two at the same moment): the
        # unique key on (channel, external_id) refuses the second message, its savepoint
        # undoes the whole second ticket, and the caller gets the first one. Cheaper than
        # looking first, since repeats are rare.
        try:
            with transaction.atomic():
                return write()
        except IntegrityError:
            existing = _existing_message(channel, external_id)
            if existing is None:
                raise
            return existing.ticket, existing
    # Everything above only reads, so the writes can join the caller's transaction without a
    # savepoint of their own (two statements fewer on every intake); an error below fails the
    # whole surrounding transaction, as it should.
    with transaction.atomic(savepoint=False):
        return write()


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
    content: MessageContent,
) -> tuple[Ticket, Message]:
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
        html=content.html,
        quoted_text=content.quoted_text,
        meta=content.meta,
        is_public=True,
        channel=channel,
        external_id=external_id or None,
        created_at=now,
    )
    sql.insert([message])
    change = Change(ticket, actor)
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
    return ticket, message


@dataclass(frozen=True)
class MessageContent:
    """What a rich channel adds to a message's text (see the Message fields of the same name)."""

    html: str = ""
    quoted_text: str = ""
    meta: dict[str, Any] = dataclass_field(default_factory=dict)


def reply_channel(ticket: Ticket) -> str:
    """The channel a reply on this ticket goes out through: the customer's latest one."""
    latest = (
        Message.objects.filter(ticket_id=ticket.pk, author_kind=AuthorKind.CUSTOMER)
        .order_by("-created_at", "-id")
        .values_list("channel", flat=True)
        .first()
    )
    return latest or ticket.channel


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
    content: MessageContent | None = None,
    allow_closed: bool = False,
) -> Message:
    """Add a message to a ticket and move the lifecycle the way the message implies.

    A customer's message resumes a ticket waiting on them and reopens a resolved or recently
    closed one. An agent's first public reply stops the first-response clock; replying to a
    new or assigned ticket takes it into work. Idempotent on (channel, external_id).

    Without a ``channel``, a reply goes back through the channel of the customer's latest
    message (they may have moved from WeChat to email on the same ticket).

    ``allow_closed`` lets a system message onto a closed ticket without reopening it (the
    satisfaction survey, sent after a customer confirmed and so closed the ticket).
    """
    body = clean_text(body, field="body", max_length=MAX_BODY_LENGTH)
    content = content or MessageContent()
    channel = choice(channel or reply_channel(ticket), Channel, field="channel")
    existing = _existing_message(channel, external_id)
    if existing is not None:
        return existing
    if actor.kind == AuthorKind.CUSTOMER:
        is_public = True
    if actor.kind == AuthorKind.AGENT and actor.agent is None:
        raise InvalidInput(_("An agent message needs its agent."))

    ticket = lock(ticket)
    change = Change(ticket, actor)
    if actor.kind == AuthorKind.CUSTOMER:
        _before_customer_message(change)
    elif actor.kind == AuthorKind.AGENT and is_public:
        _before_agent_reply(change)
    elif ticket.status == Status.CLOSED and not (allow_closed and actor.kind == AuthorKind.SYSTEM):
        raise TicketClosed(_("Ticket %(number)s is closed.") % {"number": ticket.number})

    message = Message(
        ticket=ticket,
        author_kind=actor.kind,
        author_agent=actor.agent,
        body=body,
        html=content.html,
        quoted_text=content.quoted_text,
        meta=content.meta,
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
        save_fields(change, last_customer_message_at=change.at)
    elif actor.kind == AuthorKind.AGENT and is_public:
        fields: dict[str, Any] = {
            "last_agent_reply_at": change.at,
            "public_agent_reply_count": ticket.public_agent_reply_count + 1,
        }
        if ticket.first_responded_at is None:
            fields["first_responded_at"] = change.at
        save_fields(change, **fields)
    change.finish()
    return message


def _before_customer_message(change: Change) -> None:
    ticket = change.ticket
    if ticket.status == Status.PENDING_CUSTOMER:
        transition(change, Status.IN_PROGRESS, reason="customer replied", pending_since=None)
    elif ticket.status in (Status.RESOLVED, Status.CLOSED):
        _reopen(change, reason="customer wrote again")


def _before_agent_reply(change: Change) -> None:
    ticket = change.ticket
    agent = change.actor.agent
    if agent is None:
        raise InvalidInput(_("An agent reply needs its agent."))
    if ticket.status == Status.CLOSED:
        raise TicketClosed(_("Ticket %(number)s is closed.") % {"number": ticket.number})
    if ticket.status == Status.NEW:
        _assign(change, agent, reason="replied")
    if ticket.status == Status.ASSIGNED:
        transition(change, Status.IN_PROGRESS, reason="replied")


def _assign(change: Change, assignee: Agent, *, team: Team | None = None, reason: str = "") -> None:
    ticket = change.ticket
    before = {"assignee_id": ticket.assignee_id, "team_id": ticket.team_id}
    new_team = team or ticket.team or assignee.teams.order_by("pk").first()
    if ticket.status == Status.NEW:
        transition(
            change,
            Status.ASSIGNED,
            reason=reason,
            assignee=assignee,
            team=new_team,
            assigned_at=change.at,
        )
    else:
        save_fields(change, assignee=assignee, team=new_team, assigned_at=change.at)
    change.record(
        EventType.ASSIGNED,
        before=before,
        after={"assignee_id": assignee.pk, "team_id": new_team.pk if new_team else None},
        reason=reason,
    )


def _reopen(change: Change, *, reason: str) -> None:
    ticket = change.ticket
    window = timedelta(days=Organization.cached().reopen_window_days)
    resolved_at: datetime | None = ticket.resolved_at
    if resolved_at is not None and change.at - resolved_at > window:
        raise TicketClosed(
            _("Ticket %(number)s was resolved more than %(days)d days ago; open a new ticket.")
            % {"number": ticket.number, "days": window.days},
            details={"resolved_at": resolved_at.isoformat(), "reopen_window_days": window.days},
        )
    transition(
        change,
        Status.IN_PROGRESS,
        reason=reason,
        reopened_at=change.at,
        reopen_count=ticket.reopen_count + 1,
        resolved_at=None,
        confirmed_at=None,
        closed_at=None,
    )


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee: Agent, actor: Actor, team: Team | None = None, reason: str = ""
) -> Ticket:
    """Give the ticket to an agent (a new ticket becomes assigned; others change owner)."""
    ticket = lock(ticket)
    if ticket.status == Status.CLOSED:
        raise TicketClosed(_("Ticket %(number)s is closed.") % {"number": ticket.number})
    if not assignee.user.is_active:
        raise InvalidInput(
            _("%(agent)s cannot take tickets.") % {"agent": assignee},
            details={"field": "assignee_id"},
        )
    change = Change(ticket, actor)
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
    ticket = lock(ticket)
    if sources is not None and ticket.status not in sources:
        # The table allows resolved/closed -> in_progress for reopening only; an action may
        # narrow it further, so e.g. "start" cannot sidestep the reopen window.
        raise InvalidTransition(
            _("A ticket cannot go from %(current)s to %(target)s.")
            % {"current": Status(ticket.status).label, "target": Status(target).label},
            details={"from": str(ticket.status), "to": str(target)},
        )
    change = Change(ticket, actor)
    resolved_fields = {
        name: (value(change) if callable(value) else value) for name, value in fields.items()
    }
    transition(change, target, reason=reason, **resolved_fields)
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


_WORKED_ON = frozenset({Status.IN_PROGRESS, Status.PENDING_CUSTOMER})


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, actor: Actor, reason: str = "") -> Ticket:
    """The team considers the matter solved; the customer is asked to confirm.

    Only the FAQ bot resolves a new ticket (one it answered without a person); everyone else
    resolves a ticket that is in work or waiting on the customer.
    """
    return _simple_transition(
        ticket,
        actor,
        Status.RESOLVED,
        reason,
        sources=None if actor.kind == AuthorKind.BOT else _WORKED_ON,
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
    ticket = lock(ticket)
    change = Change(ticket, actor)
    check_transition(ticket.status, Status.IN_PROGRESS)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise InvalidTransition(
            _("Only a resolved or closed ticket can be reopened."),
            details={"status": ticket.status},
        )
    _reopen(change, reason=reason or "reopened")
    change.finish()
    return ticket


UPDATABLE_FIELDS = {
    "subject": None,
    "kind": Kind,
    "priority": Priority,
    "touchpoint": Touchpoint,
}
# Free text that may be emptied (the pinned SLA policy's name), with its length limit.
CLEARABLE_TEXT_FIELDS = {"sla_policy_pin": 100}


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
    ticket = lock(ticket)
    if ticket.status == Status.CLOSED:
        raise TicketClosed(_("Ticket %(number)s is closed.") % {"number": ticket.number})
    change = Change(ticket, actor)
    updates: dict[str, Any] = {}
    for field, value in changes.items():
        if field in CLEARABLE_TEXT_FIELDS:
            value = _clearable_text(value, field=field, limit=CLEARABLE_TEXT_FIELDS[field])
        elif field not in UPDATABLE_FIELDS:
            raise InvalidInput(
                _("%(field)s cannot be changed here.") % {"field": field}, details={"field": field}
            )
        elif (choices := UPDATABLE_FIELDS[field]) is None:
            value = clean_text(value, field=field, max_length=MAX_SUBJECT_LENGTH)
        else:
            choice(value, choices, field=field)
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
        save_fields(change, **updates)
    change.finish()
    return ticket


def _clearable_text(value: Any, *, field: str, limit: int) -> str:
    text = str(value or "").strip()
    refuse_control_characters(text, field=field)
    if len(text) > limit:
        raise InvalidInput(
            _("%(field)s is longer than %(limit)d characters.") % {"field": field, "limit": limit},
            details={"field": field, "limit": limit},
        )
    return text


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
    change = Change(ticket, Actor.system())
    after: dict[str, Any] = {"metric": metric, "due_at": due_at.isoformat(), "cycle": cycle}
    if notify_agent_ids:
        after["notify_agent_ids"] = list(notify_agent_ids)
    change.record(event_type, after=after)
    change.finish()


@transaction.atomic
def ticket_record_field_change(
    *, ticket: Ticket, actor: Actor, field: str, before: Any, after: Any, reason: str = ""
) -> None:
    """Append a FIELD_CHANGED event for a field another app keeps (tags, category), so the
    ticket's history shows it like any other change."""
    change = Change(ticket, actor)
    change.record(
        EventType.FIELD_CHANGED, before={field: before}, after={field: after}, reason=reason
    )
    change.finish()


@transaction.atomic
def ticket_bot_hold(*, ticket: Ticket, holds: bool, reason: str = "") -> Ticket:
    """The FAQ bot takes the conversation (``holds``) or lets go of it. While it holds the
    ticket, triage waits and the SLA clocks pause: the time a person has starts at hand-off."""
    if ticket.is_with_bot == holds:
        return ticket
    ticket = lock(ticket)
    if ticket.is_with_bot == holds:
        return ticket
    change = Change(ticket, Actor.bot())
    save_fields(change, is_with_bot=holds)
    change.record(
        EventType.BOT_HOLD,
        before={"is_with_bot": not holds},
        after={"is_with_bot": holds},
        reason=reason,
    )
    change.finish()
    return ticket


@transaction.atomic
def ticket_record_delivery_failure(
    *,
    ticket: Ticket,
    message_id: int,
    channel: str,
    reason: str,
    blocked: bool = False,
    alternatives: Sequence[dict[str, str]] = (),
) -> None:
    """Show on the ticket that a reply did not reach the customer, why, and what else could
    (the channels sweep calls this for permanent failures and replies a channel refuses)."""
    change = Change(ticket, Actor.system())
    after: dict[str, Any] = {"message_id": message_id, "channel": channel, "blocked": blocked}
    if alternatives:
        after["alternatives"] = list(alternatives)
    change.record(EventType.DELIVERY_FAILED, after=after, reason=reason[:1000])
    change.finish()
