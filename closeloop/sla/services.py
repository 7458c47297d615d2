"""Changing SLA state: re-deriving a ticket's clocks, and the sweep that fires warnings and
breaches (each claimed with a guarded UPDATE, so two workers never fire one twice)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import F, Q

from closeloop.core import clock, sql
from closeloop.core.errors import CloseloopError
from closeloop.people.models import TeamMembership, TeamRole
from closeloop.sla.clocks import ClockState, Fact, FactKind, derive_clocks
from closeloop.sla.models import TicketClock
from closeloop.sla.policies import LoadedPolicy, active_policies, policy_for
from closeloop.sla.signals import sla_breached
from closeloop.tickets.models import AuthorKind, EventType, Status, Ticket, TicketEvent
from closeloop.tickets.services import Actor, ticket_escalate, ticket_record_sla

logger = logging.getLogger(__name__)

# Events that never move a clock: recomputing after them would change nothing.
CLOCK_NEUTRAL_EVENTS = frozenset(
    {
        EventType.SLA_WARNING,
        EventType.SLA_BREACHED,
        EventType.ESCALATED,
        EventType.ASSIGNED,
        EventType.DELIVERY_FAILED,
        EventType.CUSTOMER_MERGED,
    }
)


def facts_from_events(events: Iterable[TicketEvent]) -> list[Fact]:
    """Translate ticket events into the facts clocks are derived from."""
    facts: list[Fact] = []
    for event in events:
        kind = _fact_kind(event.type, event.before, event.after)
        if kind is not None:
            facts.append(Fact(at=event.created_at, kind=kind))
    return facts


def _fact_kind(event_type: str, before: dict[str, Any], after: dict[str, Any]) -> FactKind | None:
    if event_type == EventType.CREATED:
        return FactKind.OPENED
    if event_type == EventType.MESSAGE_ADDED:
        author = after.get("author_kind")
        if author == AuthorKind.CUSTOMER:
            return FactKind.CUSTOMER_MESSAGE
        if author == AuthorKind.AGENT and after.get("is_public"):
            return FactKind.AGENT_REPLY
        return None
    if event_type == EventType.BOT_HOLD:
        # The FAQ bot holds the conversation: no person is expected to act until it lets go.
        return FactKind.PAUSED if after["is_with_bot"] else FactKind.RESUMED
    if event_type == EventType.STATUS_CHANGED:
        old, new = before.get("status"), after.get("status")
        if new == Status.PENDING_CUSTOMER:
            return FactKind.PAUSED
        if new == Status.RESOLVED:
            return FactKind.RESOLVED
        if new == Status.CLOSED:
            return FactKind.CLOSED
        if new == Status.IN_PROGRESS and old in (Status.RESOLVED, Status.CLOSED):
            return FactKind.REOPENED
        if new == Status.IN_PROGRESS and old == Status.PENDING_CUSTOMER:
            return FactKind.RESUMED
    return None


def policy_for_ticket(ticket: Ticket) -> LoadedPolicy | None:
    """Return the policy that governs this ticket now: the one pinned to it (by its problem
    type) while that policy is active, else the first that matches."""
    if ticket.sla_policy_pin:
        for loaded in active_policies():
            if loaded.policy.name == ticket.sla_policy_pin:
                return loaded
    return policy_for(
        priority=ticket.priority,
        kind=ticket.kind,
        channel=ticket.channel,
        segment=ticket.customer.segment,
    )


CLOCK_EVENT_TYPES = (
    EventType.CREATED,
    EventType.MESSAGE_ADDED,
    EventType.STATUS_CHANGED,
    EventType.BOT_HOLD,
)
_CLOCK_COLUMNS = (
    "id",
    "ticket_id",
    "metric",
    "policy_id",
    "cycle",
    "started_at",
    "due_at",
    "warn_at",
    "stopped_at",
    "paused_since",
    "paused_minutes",
    "warned_at",
    "breached_at",
)
_TIME_COLUMNS = frozenset(
    {"started_at", "due_at", "warn_at", "stopped_at", "paused_since", "warned_at", "breached_at"}
)


def _stored_facts(ticket_id: int) -> list[Fact]:
    """The clock facts of a ticket's stored events, oldest first (a hot-path read)."""
    rows = sql.select(
        f"SELECT type, created_at, before, after FROM {sql.table(TicketEvent)} "  # noqa: S608
        "WHERE ticket_id = %s AND type IN (%s, %s, %s, %s) ORDER BY created_at, id",
        [ticket_id, *CLOCK_EVENT_TYPES],
    )
    facts = []
    for event_type, created_at, before, after in rows:
        kind = _fact_kind(event_type, sql.json_value(before), sql.json_value(after))
        if kind is not None:
            facts.append(Fact(at=sql.aware(created_at), kind=kind))
    return facts


def _stored_clocks(ticket_id: int) -> dict[str, TicketClock]:
    """The ticket's clock rows by metric (a hot-path read)."""
    columns = ", ".join(_CLOCK_COLUMNS)
    rows = sql.select(
        f"SELECT {columns} FROM {sql.table(TicketClock)} WHERE ticket_id = %s",  # noqa: S608
        [ticket_id],
    )
    clocks = {}
    for row in rows:
        values = [
            sql.aware(value) if name in _TIME_COLUMNS else value
            for name, value in zip(_CLOCK_COLUMNS, row, strict=True)
        ]
        clock_row = TicketClock.from_db(DEFAULT_DB_ALIAS, _CLOCK_COLUMNS, values)
        clocks[clock_row.metric] = clock_row
    return clocks


_PREPARED = "_sla_prepared"


def sla_prepare_new(*, ticket: Ticket) -> None:
    """Derive a ticket's clocks before its row exists and put the inbox summary on it.

    A new ticket has one clock-moving fact, its opening; the clock rows themselves are
    written by ``sla_recompute`` once the ticket has its key.
    """
    loaded = policy_for_ticket(ticket)
    states = (
        derive_clocks(
            [Fact(at=ticket.created_at, kind=FactKind.OPENED)],
            loaded.targets,
            calendar=loaded.calendar,
            working_day_calendar=loaded.working_day_calendar,
        )
        if loaded
        else {}
    )
    summary = _summary(loaded.policy.name if loaded else "", states)
    for name, value in summary.items():
        setattr(ticket, name, value)
    setattr(ticket, _PREPARED, (loaded, states))


def sla_recompute(
    *, ticket: Ticket, new_events: Sequence[TicketEvent] | None = None
) -> dict[str, ClockState]:
    """Re-derive the ticket's clocks from its events, store them and the inbox summary."""
    is_new_ticket = bool(new_events) and new_events[0].type == EventType.CREATED  # type: ignore[index]
    prepared = ticket.__dict__.pop(_PREPARED, None) if is_new_ticket else None
    if prepared is not None:
        loaded_new, states = prepared
        if loaded_new is not None:
            sql.insert([_new_clock(ticket, loaded_new, state) for state in states.values()])
        return states  # type: ignore[no-any-return]
    loaded = policy_for_ticket(ticket)
    if loaded is None:
        TicketClock.objects.filter(ticket=ticket).delete()
        _store_summary(ticket, policy_name="", states={})
        return {}
    facts = facts_from_events(new_events or ()) if is_new_ticket else _stored_facts(ticket.pk)
    states = derive_clocks(
        facts,
        loaded.targets,
        calendar=loaded.calendar,
        working_day_calendar=loaded.working_day_calendar,
    )
    existing = {} if is_new_ticket else _stored_clocks(ticket.pk)
    to_create = []
    for metric, state in states.items():
        row = existing.pop(metric, None)
        if row is None:
            to_create.append(_new_clock(ticket, loaded, state))
        elif row.stopped_at is not None and row.stopped_at == state.stopped_at:
            # A clock that already stopped keeps the target it was judged against, even if
            # the ticket now matches another policy (as in Zendesk: new targets apply to
            # running clocks only).
            states[metric] = _state_of(row)
        else:
            _update_clock(row, loaded, state)
    sql.insert(to_create)
    if existing:
        TicketClock.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    _store_summary(ticket, policy_name=loaded.policy.name, states=states)
    return states


def _state_of(row: TicketClock) -> ClockState:
    return ClockState(
        metric=row.metric,
        cycle=row.cycle,
        started_at=row.started_at,
        due_at=row.due_at,
        warn_at=row.warn_at,
        stopped_at=row.stopped_at,
        paused_since=row.paused_since,
        paused_minutes=row.paused_minutes,
    )


def _new_clock(ticket: Ticket, loaded: LoadedPolicy, state: ClockState) -> TicketClock:
    return TicketClock(
        ticket=ticket,
        metric=state.metric,
        policy=loaded.policy,
        cycle=state.cycle,
        started_at=state.started_at,
        due_at=state.due_at,
        warn_at=state.warn_at,
        stopped_at=state.stopped_at,
        paused_since=state.paused_since,
        paused_minutes=state.paused_minutes,
    )


def _update_clock(row: TicketClock, loaded: LoadedPolicy, state: ClockState) -> None:
    fields = {
        "policy_id": loaded.policy.pk,
        "cycle": state.cycle,
        "started_at": state.started_at,
        "due_at": state.due_at,
        "warn_at": state.warn_at,
        "stopped_at": state.stopped_at,
        "paused_since": state.paused_since,
        "paused_minutes": state.paused_minutes,
    }
    if row.cycle != state.cycle or row.started_at != state.started_at:
        # A new run of the clock: its warning and breach are still to come.
        fields["warned_at"] = None
        fields["breached_at"] = None
    elif (
        row.breached_at is None
        and row.warned_at is not None
        and state.warn_at > row.warn_at
        and state.warn_at > clock.now()
    ):
        # Pushed later by a pause that began before the warning point: the warning fires
        # again when the new time comes. A pause after the warning fired leaves it fired.
        fields["warned_at"] = None
    changed = {name: value for name, value in fields.items() if getattr(row, name) != value}
    if changed:
        sql.update(TicketClock, row.pk, {_field_name(name): v for name, v in changed.items()})
        for name, value in changed.items():
            setattr(row, name, value)


def _field_name(attribute: str) -> str:
    return "policy" if attribute == "policy_id" else attribute


def _summary(policy_name: str, states: dict[str, ClockState]) -> dict[str, Any]:
    running = [s for s in states.values() if s.stopped_at is None and s.paused_since is None]
    return {
        "sla_policy_name": policy_name,
        "sla_due_at": min((s.due_at for s in running), default=None),
        "sla_warning_at": min((s.warn_at for s in running), default=None),
    }


def _store_summary(ticket: Ticket, *, policy_name: str, states: dict[str, ClockState]) -> None:
    summary = _summary(policy_name, states)
    changed = {name: value for name, value in summary.items() if getattr(ticket, name) != value}
    if changed:
        sql.update(Ticket, ticket.pk, changed)
        for name, value in changed.items():
            setattr(ticket, name, value)


def sla_sweep(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Fire due warnings and breaches once each; escalate breaches per policy."""
    now = now or clock.now()
    return {"warnings": _fire_warnings(now, limit), "breaches": _fire_breaches(now, limit)}


def _fire_warnings(now: datetime, limit: int) -> int:
    due = TicketClock.objects.filter(
        warned_at__isnull=True,
        stopped_at__isnull=True,
        paused_since__isnull=True,
        warn_at__lte=now,
    ).order_by("warn_at")[:limit]
    return fire_warnings(list(due), now)


def fire_warnings(candidates: Sequence[TicketClock], now: datetime) -> int:
    """Claim and fire the warnings of clocks read as due; a row claimed elsewhere is skipped."""
    fired = 0
    for clock_row in candidates:
        with transaction.atomic():
            claimed = TicketClock.objects.filter(
                pk=clock_row.pk, warned_at__isnull=True, warn_at=clock_row.warn_at
            ).update(warned_at=now)
            if claimed != 1 or clock_row.due_at <= now:
                # Someone else fired it, or it is already past due: the breach says it all.
                continue
            ticket = Ticket.objects.get(pk=clock_row.ticket_id)
            ticket_record_sla(
                ticket=ticket,
                event_type=EventType.SLA_WARNING,
                metric=clock_row.metric,
                due_at=clock_row.due_at,
                cycle=clock_row.cycle,
            )
            fired += 1
    return fired


def _fire_breaches(now: datetime, limit: int) -> int:
    late = (
        Q(stopped_at__isnull=True, paused_since__isnull=True)
        | Q(stopped_at__gt=F("due_at"))
        | Q(paused_since__gt=F("due_at"))
    )
    due = (
        TicketClock.objects.filter(late, breached_at__isnull=True, due_at__lte=now)
        .select_related("policy")
        .order_by("due_at")[:limit]
    )
    return fire_breaches(list(due), now)


def fire_breaches(candidates: Sequence[TicketClock], now: datetime) -> int:
    """Claim and fire the breaches of clocks read as due; a row claimed elsewhere is skipped."""
    fired = 0
    for clock_row in candidates:
        with transaction.atomic():
            claimed = TicketClock.objects.filter(
                pk=clock_row.pk, breached_at__isnull=True, due_at=clock_row.due_at
            ).update(breached_at=now)
            if claimed != 1:
                continue
            ticket = Ticket.objects.select_related("customer").get(pk=clock_row.ticket_id)
            recipients = _breach_recipients(ticket) if clock_row.policy.notify_on_breach else []
            ticket_record_sla(
                ticket=ticket,
                event_type=EventType.SLA_BREACHED,
                metric=clock_row.metric,
                due_at=clock_row.due_at,
                cycle=clock_row.cycle,
                notify_agent_ids=recipients,
            )
            Ticket.objects.filter(pk=ticket.pk, sla_breached_at__isnull=True).update(
                sla_breached_at=now
            )
            _escalate_on_breach(ticket, clock_row)
            if recipients:
                _announce_breach(ticket.pk, clock_row.metric, recipients)
            fired += 1
    return fired


def _breach_recipients(ticket: Ticket) -> list[int]:
    """Who hears of a breach: the assignee and the leads of the ticket's team."""
    recipients = [ticket.assignee_id] if ticket.assignee_id else []
    if ticket.team_id:
        recipients += TeamMembership.objects.filter(
            team_id=ticket.team_id, role=TeamRole.LEAD
        ).values_list("agent_id", flat=True)
    return sorted(set(recipients))


def _announce_breach(ticket_id: int, metric: str, agent_ids: list[int]) -> None:
    logger.info("SLA breach on ticket %s (%s): notifying agents %s", ticket_id, metric, agent_ids)
    transaction.on_commit(
        lambda: sla_breached.send(
            sender=TicketClock, ticket_id=ticket_id, metric=metric, agent_ids=agent_ids
        ),
        robust=True,
    )


def _escalate_on_breach(ticket: Ticket, clock_row: TicketClock) -> None:
    level = clock_row.policy.breach_escalation_level
    if level == 0 or not ticket.is_open:
        return
    try:
        with transaction.atomic():
            ticket_escalate(
                ticket=ticket,
                actor=Actor.system(),
                level=level,
                reason=f"SLA breached: {clock_row.metric} was due {clock_row.due_at.isoformat()}",
            )
    except CloseloopError as error:
        logger.info("Ticket %s not escalated on breach: %s", ticket.number, error.message)
