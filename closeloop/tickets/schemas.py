"""Input and output shapes of the tickets API (separate, so output never leaks into input)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, field_validator

from closeloop.core import clock
from closeloop.sla.models import TicketClock
from closeloop.tickets.models import Ticket
from closeloop.tickets.selectors import ticket_sla_state

# Spelled out for the type checker and the OpenAPI schema; test_schemas checks they match
# the model enums.
ChannelName = Literal["email", "chat", "wechat", "app", "phone", "portal", "api", "sms"]
KindName = Literal["inquiry", "complaint", "request", "feedback", "incident"]
PriorityName = Literal["high", "medium", "low"]
TouchpointName = Literal["pre_sale", "in_sale", "after_sale", "maintenance"]
StatusFilter = Literal[
    "new", "assigned", "in_progress", "pending_customer", "resolved", "closed", "open"
]
SlaStateName = Literal["ok", "warning", "breached"]
MAX_ID = 2**63 - 1
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
    via: ChannelName | None = Field(
        None,
        description="Send the reply through this channel instead of the one the customer "
        "last wrote through (e.g. email or sms when WeChat's reply window has closed).",
    )


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
    # Bounded so an absurd id is a 422, not a database overflow.
    assignee: int | None = Field(None, ge=1, le=MAX_ID)
    unassigned: bool = False
    customer: int | None = Field(None, ge=1, le=MAX_ID)
    team: int | None = Field(None, ge=1, le=MAX_ID)
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


# Output shapes are plain pydantic models (not ninja.Schema, whose ORM-reading validator costs
# about 0.3 ms per object) built with model_construct from rows we just read: a 50-ticket page
# is serialised once, not validated twice.


class PersonOut(BaseModel):
    id: int
    name: str


class TeamOut(BaseModel):
    id: int
    code: str
    name: str


class CustomerRef(BaseModel):
    id: int
    name: str
    segment: str


class SlaOut(BaseModel):
    policy: str | None
    state: str
    due_at: datetime | None
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    breached_at: datetime | None


class TicketOut(BaseModel):
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


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int
    is_inline: bool
    content_id: str
    refused_reason: str = Field(description="Why the file was not stored (e.g. too_large)")


class DeliveryOut(BaseModel):
    """How a reply is getting to the customer."""

    model_config = ConfigDict(from_attributes=True)

    channel: str
    recipient: str
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime | None
    sent_at: datetime | None


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    author_kind: str
    author_agent_id: int | None
    body: str
    is_public: bool
    channel: str
    external_id: str | None
    created_at: datetime
    html: str = ""
    quoted_text: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)
    attachments: list[AttachmentOut] = Field(default_factory=list)
    deliveries: list[DeliveryOut] = Field(default_factory=list)

    @field_validator("attachments", "deliveries", mode="before")
    @classmethod
    def _related_rows(cls, value: Any) -> Any:
        return list(value.all()) if hasattr(value, "all") else value


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    actor_kind: str
    actor_agent_id: int | None
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str
    created_at: datetime


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]
    events: list[EventOut]


class TicketListOut(BaseModel):
    items: list[TicketOut]
    count: int
    page: int
    page_size: int
    next_page: int | None


def _person(agent: Any) -> PersonOut | None:
    if agent is None:
        return None
    return PersonOut.model_construct(id=agent.pk, name=str(agent))


ClockDue = dict[str, datetime]


def clock_dues(tickets: list[Ticket]) -> dict[int, ClockDue]:
    """Each ticket's clock due times by metric, in one query for a whole page."""
    dues: dict[int, ClockDue] = {ticket.pk: {} for ticket in tickets}
    rows = TicketClock.objects.filter(ticket_id__in=list(dues)).values_list(
        "ticket_id", "metric", "due_at"
    )
    for ticket_id, metric, due_at in rows:
        dues[ticket_id][metric] = due_at
    return dues


def _sla(ticket: Ticket, dues: ClockDue, now: datetime) -> SlaOut:
    return SlaOut.model_construct(
        policy=ticket.sla_policy_name or None,
        state=ticket_sla_state(ticket, now=now),
        due_at=ticket.sla_due_at,
        first_response_due_at=dues.get("first_response"),
        next_response_due_at=dues.get("next_response"),
        resolution_due_at=dues.get("resolution"),
        breached_at=ticket.sla_breached_at,
    )


def _ticket_fields(
    ticket: Ticket, *, prefix: str, dues: ClockDue, now: datetime | None = None
) -> dict[str, Any]:
    now = now or clock.now()
    customer = ticket.customer
    team = ticket.team
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "reference": f"{prefix}-{ticket.number}",
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "touchpoint": ticket.touchpoint,
        "customer": CustomerRef.model_construct(
            id=customer.pk, name=customer.name, segment=customer.segment
        ),
        "team": TeamOut.model_construct(id=team.pk, code=team.code, name=team.name)
        if team
        else None,
        "assignee": _person(ticket.assignee),
        "escalation_level": ticket.escalation_level,
        "escalated_to": _person(ticket.escalated_to),
        "sla": _sla(ticket, dues, now),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "assigned_at": ticket.assigned_at,
        "first_responded_at": ticket.first_responded_at,
        "resolved_at": ticket.resolved_at,
        "confirmed_at": ticket.confirmed_at,
        "closed_at": ticket.closed_at,
        "reopen_count": ticket.reopen_count,
    }


def ticket_out(
    ticket: Ticket, *, prefix: str, dues: ClockDue | None = None, now: datetime | None = None
) -> TicketOut:
    """Serialise a ticket (customer, team, assignee, escalated_to loaded with it)."""
    if dues is None:
        dues = clock_dues([ticket])[ticket.pk]
    return TicketOut.model_construct(**_ticket_fields(ticket, prefix=prefix, dues=dues, now=now))


def ticket_detail_out(ticket: Ticket, *, prefix: str) -> TicketDetailOut:
    """Serialise a ticket with its whole conversation and history."""
    dues = clock_dues([ticket])[ticket.pk]
    return TicketDetailOut.model_construct(
        **_ticket_fields(ticket, prefix=prefix, dues=dues),
        messages=[
            MessageOut.model_validate(message)
            for message in ticket.messages.prefetch_related("attachments", "deliveries")
        ],
        events=[EventOut.model_validate(event) for event in ticket.events.all()],
    )
