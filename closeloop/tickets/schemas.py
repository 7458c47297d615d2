"""Input and output shapes of the tickets API (separate, so output never leaks into input)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

from closeloop.core import clock
from closeloop.tickets.models import Ticket
from closeloop.tickets.selectors import ticket_sla_state

# Spelled out for the type checker and the OpenAPI schema; test_schemas checks they match
# the model enums.
ChannelName = Literal["email", "chat", "wechat", "app", "phone", "portal", "api"]
KindName = Literal["inquiry", "complaint", "request", "feedback", "incident"]
PriorityName = Literal["high", "medium", "low"]
TouchpointName = Literal["pre_sale", "in_sale", "after_sale", "maintenance"]
StatusFilter = Literal[
    "new", "assigned", "in_progress", "pending_customer", "resolved", "closed", "open"
]
SlaStateName = Literal["ok", "warning", "breached"]
Ordering = Literal["due", "-due", "created", "-created", "updated", "-updated", "number", "-number"]


class CustomerIn(Schema):
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=40)
    wechat_openid: str | None = Field(None, max_length=128)
    app_user_id: str | None = Field(None, max_length=128)
    name: str = Field("", max_length=200)


class TicketCreateIn(Schema):
    subject: str = Field(..., min_length=1, max_length=300)
    body: str = Field(..., min_length=1)
    channel: ChannelName
    kind: KindName = "inquiry"
    priority: PriorityName = "medium"
    touchpoint: TouchpointName = "after_sale"
    customer: CustomerIn
    team: str | None = Field(None, description="Team code, e.g. after-sales")
    external_id: str | None = Field(
        None, max_length=255, description="The channel's own id; a repeat returns the same ticket"
    )


class MessageIn(Schema):
    body: str = Field(..., min_length=1)
    is_public: bool = True


class ActionIn(Schema):
    action: Literal["assign", "start", "pend", "resolve", "confirm", "reopen", "close", "escalate"]
    assignee_id: int | None = Field(
        None, description="assign: the new assignee; escalate: the person it goes to"
    )
    team: str | None = Field(None, description="assign: move to this team (code)")
    level: int | None = Field(None, ge=1, le=3, description="escalate: target level 1-3")
    reason: str = Field("", max_length=2000)


class TicketListQuery(Schema):
    status: list[StatusFilter] | None = None
    priority: list[PriorityName] | None = None
    kind: list[KindName] | None = None
    channel: list[ChannelName] | None = None
    assignee: int | None = None
    unassigned: bool = False
    customer: int | None = None
    team: int | None = None
    sla_state: SlaStateName | None = None
    ordering: Ordering = "due"
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)

    @field_validator("status", "priority", "kind", "channel", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """Accept both ?status=a&status=b and ?status=a,b."""
        if isinstance(value, list):
            return [part for item in value for part in str(item).split(",") if part]
        return value


class PersonOut(Schema):
    id: int
    name: str


class TeamOut(Schema):
    id: int
    code: str
    name: str


class CustomerRef(Schema):
    id: int
    name: str
    segment: str


class SlaOut(Schema):
    policy: str | None
    state: str
    due_at: datetime | None
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    breached_at: datetime | None


class TicketOut(Schema):
    id: int
    number: int
    reference: str
    subject: str
    status: str
    priority: str
    kind: str
    channel: str
    touchpoint: str
    customer: CustomerRef
    team: TeamOut | None
    assignee: PersonOut | None
    escalation_level: int
    escalated_to: PersonOut | None
    sla: SlaOut
    created_at: datetime
    updated_at: datetime
    assigned_at: datetime | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    confirmed_at: datetime | None
    closed_at: datetime | None
    reopen_count: int


class MessageOut(Schema):
    id: int
    author_kind: str
    author_agent_id: int | None
    body: str
    is_public: bool
    channel: str
    external_id: str | None
    created_at: datetime


class EventOut(Schema):
    id: int
    type: str
    actor_kind: str
    actor_agent_id: int | None
    before: dict
    after: dict
    reason: str
    created_at: datetime


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]
    events: list[EventOut]


class TicketListOut(Schema):
    items: list[TicketOut]
    count: int
    page: int
    page_size: int
    next_page: int | None


def _person(agent: object | None) -> PersonOut | None:
    if agent is None:
        return None
    return PersonOut(id=agent.pk, name=str(agent))  # type: ignore[attr-defined]


def _sla(ticket: Ticket, now: datetime) -> SlaOut:
    clocks = {clock_row.metric: clock_row for clock_row in ticket.clocks.all()}

    def due(metric: str) -> datetime | None:
        row = clocks.get(metric)
        return row.due_at if row else None

    return SlaOut(
        policy=ticket.sla_policy_name or None,
        state=ticket_sla_state(ticket, now=now),
        due_at=ticket.sla_due_at,
        first_response_due_at=due("first_response"),
        next_response_due_at=due("next_response"),
        resolution_due_at=due("resolution"),
        breached_at=ticket.sla_breached_at,
    )


def ticket_out(ticket: Ticket, *, prefix: str, now: datetime | None = None) -> TicketOut:
    """Serialise a ticket (expects customer, team, assignee loaded and clocks prefetched)."""
    now = now or clock.now()
    return TicketOut(
        id=ticket.pk,
        number=ticket.number,
        reference=f"{prefix}-{ticket.number}",
        subject=ticket.subject,
        status=ticket.status,
        priority=ticket.priority,
        kind=ticket.kind,
        channel=ticket.channel,
        touchpoint=ticket.touchpoint,
        customer=CustomerRef(
            id=ticket.customer.pk, name=ticket.customer.name, segment=ticket.customer.segment
        ),
        team=TeamOut(id=ticket.team.pk, code=ticket.team.code, name=ticket.team.name)
        if ticket.team
        else None,
        assignee=_person(ticket.assignee),
        escalation_level=ticket.escalation_level,
        escalated_to=_person(ticket.escalated_to),
        sla=_sla(ticket, now),
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        assigned_at=ticket.assigned_at,
        first_responded_at=ticket.first_responded_at,
        resolved_at=ticket.resolved_at,
        confirmed_at=ticket.confirmed_at,
        closed_at=ticket.closed_at,
        reopen_count=ticket.reopen_count,
    )


def ticket_detail_out(ticket: Ticket, *, prefix: str) -> TicketDetailOut:
    """Serialise a ticket with its whole conversation and history."""
    return TicketDetailOut(
        **ticket_out(ticket, prefix=prefix).model_dump(),
        messages=[MessageOut.from_orm(message) for message in ticket.messages.all()],
        events=[EventOut.from_orm(event) for event in ticket.events.all()],
    )
