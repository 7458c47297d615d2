"""Exporting tickets as the JSON Lines that ``importer.py`` reads (format: ``docs/import.md``).

Export rebuilds each ticket's line from its TicketEvents and Messages, so export → import into
an empty database gives the same tickets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from closeloop.customers.models import Customer, IdentityKind
from closeloop.people.models import Agent, Team
from closeloop.tickets.importer import DEFAULT_ACTOR
from closeloop.tickets.models import AuthorKind, EventType, Message, Status, Ticket, TicketEvent


def _implied_by_message(status: str, author: str) -> list[tuple[str, str | None]]:
    """The events message_add writes before the message itself: (event type, new status).

    They follow from the status the ticket had and who wrote, so export folds them back into
    the message step and import lets the service write them again.
    """
    if author == AuthorKind.CUSTOMER and status in (
        Status.PENDING_CUSTOMER,
        Status.RESOLVED,
        Status.CLOSED,
    ):
        return [(EventType.STATUS_CHANGED, Status.IN_PROGRESS)]
    if author == AuthorKind.AGENT and status == Status.NEW:
        return [
            (EventType.STATUS_CHANGED, Status.ASSIGNED),
            (EventType.ASSIGNED, None),
            (EventType.STATUS_CHANGED, Status.IN_PROGRESS),
        ]
    if author == AuthorKind.AGENT and status == Status.ASSIGNED:
        return [(EventType.STATUS_CHANGED, Status.IN_PROGRESS)]
    return []


@dataclass
class _Names:
    agents: dict[int, str]
    teams: dict[int, str]

    def agent(self, agent_id: int | None) -> str | None:
        return self.agents.get(agent_id) if agent_id is not None else None

    def team(self, team_id: int | None) -> str | None:
        return self.teams.get(team_id) if team_id is not None else None


def export_ref(ticket: Ticket) -> str:
    """The external_ref a ticket is exported under: its import reference or its number."""
    return ticket.import_ref or f"closeloop-{ticket.number}"


def export_lines(*, since: datetime | None = None) -> Iterator[str]:
    """Yield one JSON line per ticket (created at or after ``since``), oldest first."""
    names = _Names(
        agents=dict(Agent.objects.values_list("pk", "user__username")),
        teams=dict(Team.objects.values_list("pk", "code")),
    )
    tickets = (
        Ticket.objects.select_related("customer", "related_to")
        .prefetch_related("events", "messages", "customer__identities")
        .order_by("created_at", "pk")
    )
    if since is not None:
        tickets = tickets.filter(created_at__gte=since)
    for ticket in tickets.iterator(chunk_size=500):
        yield json.dumps(_ticket_record(ticket, names=names), ensure_ascii=False)


def _ticket_record(ticket: Ticket, *, names: _Names) -> dict[str, Any]:
    """Rebuild the import line of one ticket from its events and messages."""
    events = list(ticket.events.all())
    messages = {message.pk: message for message in ticket.messages.all()}
    if len(events) < 2 or events[0].type != EventType.CREATED:
        raise ValueError(f"ticket {ticket.number} has no creation event")
    created, first = events[0], messages[events[1].after["message_id"]]
    initial = created.after
    record: dict[str, Any] = {
        "external_ref": export_ref(ticket),
        "subject": initial["subject"],
        "channel": initial["channel"],
        "kind": initial["kind"],
        "priority": initial["priority"],
        "touchpoint": initial["touchpoint"],
    }
    if team := names.team(initial.get("team_id")):
        record["team"] = team
    record["customer"] = _customer_block(ticket.customer)
    record["created_at"] = created.created_at.isoformat()
    record["body"] = first.body
    if first.external_id:
        record["body_external_id"] = first.external_id
    if ticket.related_to is not None:
        record["related_to"] = export_ref(ticket.related_to)
    record["history"] = list(_history(events[2:], messages, names, ticket))
    return record


def _customer_block(customer: Customer) -> dict[str, Any]:
    block: dict[str, Any] = {}
    keys = {
        IdentityKind.EMAIL: "email",
        IdentityKind.PHONE: "phone",
        IdentityKind.WECHAT: "wechat_openid",
        IdentityKind.APP: "app_user_id",
        IdentityKind.CHAT_VISITOR: "chat_visitor_id",
    }
    for identity in sorted(customer.identities.all(), key=lambda row: row.pk):
        block.setdefault(keys[IdentityKind(identity.kind)], identity.value)
    if customer.name:
        block["name"] = customer.name
    block["segment"] = customer.segment
    return block


def _same_call(first: TicketEvent, other: TicketEvent) -> bool:
    return (
        other.created_at == first.created_at
        and other.actor_kind == first.actor_kind
        and other.actor_agent_id == first.actor_agent_id
    )


def _history(
    events: list[TicketEvent], messages: dict[int, Message], names: _Names, ticket: Ticket
) -> Iterator[dict[str, Any]]:
    status: str = Status.NEW
    index = 0
    while index < len(events):
        event = events[index]
        implied = _implied_by_message(status, event.actor_kind)
        following = events[index : index + len(implied) + 1]
        if (
            implied
            and len(following) == len(implied) + 1
            and all(_same_call(event, other) for other in following)
            and all(
                other.type == event_type and (target is None or other.after.get("status") == target)
                for other, (event_type, target) in zip(following, implied, strict=False)
            )
            and following[-1].type == EventType.MESSAGE_ADDED
            and following[-1].after.get("author_kind") == event.actor_kind
            and (event.actor_kind != AuthorKind.AGENT or following[-1].after.get("is_public"))
        ):
            status = implied[-1][1] or status
            yield _message_step(following[-1], messages, names, ticket)
            index += len(following)
            continue
        if event.type == EventType.MESSAGE_ADDED:
            yield _message_step(event, messages, names, ticket)
        elif event.type == EventType.STATUS_CHANGED:
            before, status = status, event.after["status"]
            if status == Status.ASSIGNED:
                # ticket_assign on a new ticket: the status change, then the assignment, which
                # the next turn of the loop exports.
                pass
            else:
                yield _status_step(event, before, status, names, ticket)
        elif event.type == EventType.ASSIGNED:
            yield _assign_step(event, names)
        elif event.type == EventType.ESCALATED:
            step = _step(event, "escalate", names)
            step["level"] = event.after["escalation_level"]
            if to := names.agent(event.after.get("escalated_to_id")):
                step["to"] = to
            yield step
        elif event.type == EventType.FIELD_CHANGED:
            step = _step(event, "update", names)
            while True:
                for name, value in events[index].after.items():
                    if name == "team_id":
                        step["team"] = names.team(value)
                    else:
                        step[name] = value
                if not (
                    index + 1 < len(events)
                    and events[index + 1].type == EventType.FIELD_CHANGED
                    and _same_call(event, events[index + 1])
                ):
                    break
                index += 1
            yield step
        # SLA warnings and breaches are not steps: the importer's sweep fires them again.
        index += 1


def _step(event: TicketEvent, step_type: str, names: _Names) -> dict[str, Any]:
    step: dict[str, Any] = {"at": event.created_at.isoformat(), "type": step_type}
    agent = names.agent(event.actor_agent_id)
    if event.actor_kind == AuthorKind.AGENT and agent:
        step["agent"] = agent
    elif event.actor_kind != DEFAULT_ACTOR.get(step_type, AuthorKind.SYSTEM):
        step["by"] = event.actor_kind
    if event.reason:
        step["reason"] = event.reason
    return step


def _assign_step(event: TicketEvent, names: _Names) -> dict[str, Any]:
    step = _step(event, "assign", names)
    assignee = names.agent(event.after.get("assignee_id"))
    if step.get("agent") != assignee:
        step["to"] = assignee
    if team := names.team(event.after.get("team_id")):
        step["team"] = team
    return step


def _status_step(
    event: TicketEvent, before: str, after: str, names: _Names, ticket: Ticket
) -> dict[str, Any]:
    if after == Status.IN_PROGRESS:
        step_type = "reopen" if before in (Status.RESOLVED, Status.CLOSED) else "start"
    elif after == Status.PENDING_CUSTOMER:
        step_type = "pend"
    elif after == Status.RESOLVED:
        step_type = "resolve"
    else:
        step_type = "confirm" if event.after.get("confirmed") else "close"
    return _step(event, step_type, names)


def _message_step(
    event: TicketEvent, messages: dict[int, Message], names: _Names, ticket: Ticket
) -> dict[str, Any]:
    message = messages[event.after["message_id"]]
    step: dict[str, Any] = {
        "at": message.created_at.isoformat(),
        "type": "message",
        "author": message.author_kind,
    }
    if agent := names.agent(message.author_agent_id):
        step["agent"] = agent
    step["body"] = message.body
    if message.author_kind != AuthorKind.CUSTOMER:
        step["is_public"] = message.is_public
    if message.external_id:
        step["external_id"] = message.external_id
    if message.channel != ticket.channel:
        step["channel"] = message.channel
    return step
