"""Tickets over HTTP. Each handler: validate input → load and authorise → one service → output."""

from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from closeloop.core import clock
from closeloop.core.errors import CloseloopError, InvalidInput, NotFound
from closeloop.core.models import Organization
from closeloop.customers.services import customer_identify
from closeloop.people.access import requester_for
from closeloop.people.models import Agent, Team
from closeloop.tickets import services
from closeloop.tickets.models import Attachment, Message, Ticket
from closeloop.tickets.schemas import (
    ActionIn,
    MessageIn,
    MessageOut,
    TicketCreateIn,
    TicketDetailOut,
    TicketListOut,
    TicketListQuery,
    TicketOut,
    clock_dues,
    ticket_detail_out,
    ticket_out,
)
from closeloop.tickets.selectors import ticket_inbox, ticket_visible, tickets_visible_to

router = Router(tags=["tickets"])


class ExternalIdTaken(CloseloopError):
    """The channel id was used before, for a ticket outside the requester's view."""

    code = "external_id_taken"
    http_status = 409


MAX_PAGE_SIZE = 200


def _team(code: str | None) -> Team | None:
    if code is None:
        return None
    team = Team.objects.filter(code=code).first()
    if team is None:
        raise InvalidInput(
            _("There is no team %(code)s.") % {"code": code}, details={"field": "team"}
        )
    return team


@router.post("", response={201: TicketOut}, summary="Open a ticket")
@transaction.atomic
def ticket_create_view(request: HttpRequest, payload: TicketCreateIn) -> Status[TicketOut]:
    requester = requester_for(request.user)
    customer = customer_identify(**payload.customer.model_dump())
    ticket = services.ticket_create(
        customer=customer,
        subject=payload.subject,
        body=payload.body,
        channel=payload.channel,
        kind=payload.kind,
        priority=payload.priority,
        touchpoint=payload.touchpoint,
        team=_team(payload.team),
        external_id=payload.external_id,
        actor=services.Actor.of_requester(requester)
        if requester.agent
        else services.Actor.system(),
    )
    if payload.external_id and not tickets_visible_to(requester).filter(pk=ticket.pk).exists():
        # A repeat of a channel id whose ticket this requester may not see: do not reveal it.
        raise ExternalIdTaken(
            _("This external_id already belongs to a ticket you cannot see."),
            details={"field": "external_id"},
        )
    return Status(201, ticket_out(ticket, prefix=Organization.cached().ticket_number_prefix))


@router.get("", response=TicketListOut, summary="List tickets (the inbox)")
def ticket_list_view(request: HttpRequest, query: Query[TicketListQuery]) -> TicketListOut:
    requester = requester_for(request.user)
    tickets = ticket_inbox(
        tickets_visible_to(requester),
        statuses=query.status or (),
        priorities=query.priority or (),
        kinds=query.kind or (),
        channels=query.channel or (),
        assignee_id=query.assignee,
        is_unassigned=query.unassigned,
        customer_id=query.customer,
        team_id=query.team,
        sla_state=query.sla_state,
        ordering=query.ordering,
    )
    page_size = min(query.page_size, MAX_PAGE_SIZE)
    page = Paginator(tickets, page_size).get_page(query.page)
    if query.page > page.paginator.num_pages and page.paginator.count:
        raise NotFound(_("There is no page %(page)d.") % {"page": query.page})
    prefix = Organization.cached().ticket_number_prefix
    now = clock.now()
    tickets_on_page = list(page.object_list)
    dues = clock_dues(tickets_on_page)
    return TicketListOut.model_construct(
        items=[
            ticket_out(ticket, prefix=prefix, dues=dues[ticket.pk], now=now)
            for ticket in tickets_on_page
        ],
        count=page.paginator.count,
        page=page.number,
        page_size=page_size,
        next_page=page.next_page_number() if page.has_next() else None,
    )


@router.get("/{ticket_id}", response=TicketDetailOut, summary="A ticket with messages and events")
def ticket_detail_view(request: HttpRequest, ticket_id: int) -> TicketDetailOut:
    requester = requester_for(request.user)
    ticket = ticket_visible(
        requester, pk=ticket_id, related=("customer", "team", "assignee", "escalated_to")
    )
    return ticket_detail_out(ticket, prefix=Organization.cached().ticket_number_prefix)


@router.get(
    "/{ticket_id}/attachments/{attachment_id}",
    response={200: None},
    summary="Download a file that came with a message",
)
def attachment_download_view(
    request: HttpRequest, ticket_id: int, attachment_id: int
) -> FileResponse:
    requester = requester_for(request.user)
    ticket = ticket_visible(requester, pk=ticket_id, related=("customer",))
    attachment = Attachment.objects.filter(pk=attachment_id, message__ticket=ticket).first()
    if attachment is None or not attachment.file:
        raise NotFound(_("That attachment does not exist or was not stored."))
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.is_inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )


@router.post("/{ticket_id}/messages", response={201: MessageOut}, summary="Reply or add a note")
@transaction.atomic
def message_create_view(
    request: HttpRequest, ticket_id: int, payload: MessageIn
) -> Status[Message]:
    requester = requester_for(request.user)
    ticket = ticket_visible(requester, pk=ticket_id, related=("customer",))
    message = services.message_add(
        ticket=ticket,
        body=payload.body,
        is_public=payload.is_public,
        channel=payload.via,
        actor=services.Actor.of_requester(requester),
    )
    return Status(201, message)


def _agent(agent_id: int | None, *, field: str) -> Agent:
    if agent_id is None:
        raise InvalidInput(
            _("%(field)s is required for this action.") % {"field": field}, details={"field": field}
        )
    agent = Agent.objects.select_related("user").filter(pk=agent_id).first()
    if agent is None:
        raise InvalidInput(
            _("There is no agent %(id)s.") % {"id": agent_id}, details={"field": field}
        )
    return agent


@router.post("/{ticket_id}/actions", response=TicketOut, summary="Move the ticket in its lifecycle")
@transaction.atomic
def ticket_action_view(request: HttpRequest, ticket_id: int, payload: ActionIn) -> TicketOut:
    requester = requester_for(request.user)
    ticket = ticket_visible(requester, pk=ticket_id, related=("customer",))
    actor = services.Actor.of_requester(requester)
    reason = payload.reason
    if payload.action == "assign":
        ticket = services.ticket_assign(
            ticket=ticket,
            assignee=_agent(payload.assignee_id, field="assignee_id"),
            actor=actor,
            team=_team(payload.team),
            reason=reason,
        )
    elif payload.action == "escalate":
        target = _agent(payload.assignee_id, field="assignee_id") if payload.assignee_id else None
        ticket = services.ticket_escalate(
            ticket=ticket, actor=actor, reason=reason, to_agent=target, level=payload.level
        )
    else:
        lifecycle = {
            "start": services.ticket_start,
            "pend": services.ticket_pend,
            "resolve": services.ticket_resolve,
            "confirm": services.ticket_confirm,
            "reopen": services.ticket_reopen,
            "close": services.ticket_close,
        }[payload.action]
        ticket = lifecycle(ticket=ticket, actor=actor, reason=reason)
    ticket = Ticket.objects.select_related("customer", "team", "assignee", "escalated_to").get(
        pk=ticket.pk
    )
    return ticket_out(ticket, prefix=Organization.cached().ticket_number_prefix)
