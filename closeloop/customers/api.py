"""Customers over HTTP: the profile and the cross-channel timeline."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from closeloop.core.errors import NotFound
from closeloop.customers.models import Customer, CustomerMerge
from closeloop.customers.services import customer_merge, customer_unmerge
from closeloop.people.access import requester_for
from closeloop.tickets.models import OPEN_STATUSES
from closeloop.tickets.selectors import customer_timeline, tickets_visible_to

router = Router(tags=["customers"])


class IdentityOut(Schema):
    kind: str
    value: str


class MergeOut(Schema):
    id: int
    source_id: int
    target_id: int
    reason: str
    merged_by: str
    created_at: datetime
    undone_at: datetime | None
    undone_by: str


class CustomerOut(Schema):
    id: int
    name: str
    segment: str
    language: str
    dedicated_agent_id: int | None
    merged_into_id: int | None
    identities: list[IdentityOut]
    created_at: datetime
    ticket_count: int
    open_ticket_count: int
    merges: list[MergeOut]


class MergeIn(Schema):
    into: int = Field(..., description="The customer this one is merged into")
    reason: str = Field(..., min_length=1, max_length=300)


def _merge_out(merge: CustomerMerge) -> MergeOut:
    return MergeOut(
        id=merge.pk,
        source_id=merge.source_id,
        target_id=merge.target_id,
        reason=merge.reason,
        merged_by=merge.merged_by,
        created_at=merge.created_at,
        undone_at=merge.undone_at,
        undone_by=merge.undone_by,
    )


class TimelineTicket(Schema):
    id: int
    number: int
    subject: str
    channel: str
    status: str


class TimelineMessage(Schema):
    id: int
    author_kind: str
    author_agent_id: int | None
    body: str
    is_public: bool
    channel: str


class TimelineEntry(Schema):
    type: str
    at: datetime
    ticket: TimelineTicket
    message: TimelineMessage | None


class TimelineQuery(Schema):
    limit: int = 200


@router.get("/{customer_id}", response=CustomerOut, summary="A customer's profile")
def customer_detail(request: HttpRequest, customer_id: int) -> CustomerOut:
    requester = requester_for(request.user)
    customer = get_object_or_404(Customer.objects.prefetch_related("identities"), pk=customer_id)
    counts = (
        tickets_visible_to(requester)
        .filter(customer=customer)
        .aggregate(all=Count("pk"), open=Count("pk", filter=Q(status__in=OPEN_STATUSES)))
    )
    merges = CustomerMerge.objects.filter(Q(source=customer) | Q(target=customer))
    return CustomerOut(
        id=customer.pk,
        name=customer.name,
        segment=customer.segment,
        language=customer.language,
        dedicated_agent_id=customer.dedicated_agent_id,
        merged_into_id=customer.merged_into_id,
        identities=[IdentityOut(kind=i.kind, value=i.value) for i in customer.identities.all()],
        created_at=customer.created_at,
        ticket_count=counts["all"],
        open_ticket_count=counts["open"],
        merges=[_merge_out(merge) for merge in merges[:50]],
    )


@router.post(
    "/{customer_id}/merge",
    response={201: MergeOut},
    summary="Merge this customer into another (identities, tickets and timeline move over)",
)
def customer_merge_view(
    request: HttpRequest, customer_id: int, payload: MergeIn
) -> Status[MergeOut]:
    requester = requester_for(request.user)
    source = get_object_or_404(Customer, pk=customer_id)
    target = Customer.objects.filter(pk=payload.into).first()
    if target is None:
        raise NotFound(_("Customer %(id)s does not exist.") % {"id": payload.into})
    merge = customer_merge(
        source=source, target=target, reason=payload.reason, merged_by=requester.user.get_username()
    )
    return Status(201, _merge_out(merge))


@router.post(
    "/merges/{merge_id}/undo",
    response=MergeOut,
    summary="Undo a merge: what moved goes back to the original customer",
)
def customer_unmerge_view(request: HttpRequest, merge_id: int) -> MergeOut:
    requester = requester_for(request.user)
    merge = get_object_or_404(CustomerMerge, pk=merge_id)
    customer_unmerge(merge=merge, undone_by=requester.user.get_username())
    merge.refresh_from_db()
    return _merge_out(merge)


@router.get(
    "/{customer_id}/timeline",
    response=list[TimelineEntry],
    summary="Every ticket and message of a customer, across channels, newest first",
)
def customer_timeline_view(
    request: HttpRequest, customer_id: int, query: Query[TimelineQuery]
) -> list[TimelineEntry]:
    requester = requester_for(request.user)
    customer = get_object_or_404(Customer, pk=customer_id)
    limit = max(1, min(query.limit, 1000))
    entries = customer_timeline(
        customer_id=customer.pk, tickets=tickets_visible_to(requester), limit=limit
    )
    return [
        TimelineEntry(
            type=kind,
            at=at,
            ticket=TimelineTicket(
                id=ticket.pk,
                number=ticket.number,
                subject=ticket.subject,
                channel=ticket.channel,
                status=ticket.status,
            ),
            message=None
            if message is None
            else TimelineMessage(
                id=message.pk,
                author_kind=message.author_kind,
                author_agent_id=message.author_agent_id,
                body=message.body,
                is_public=message.is_public,
                channel=message.channel,
            ),
        )
        for at, kind, ticket, message in entries
    ]
