"""Merging a duplicate ticket: nothing lost, both histories show it, refusals write nothing."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.people.tests.factories import AgentFactory
from closeloop.tickets.models import (
    Attachment,
    AuthorKind,
    EventType,
    Message,
    Status,
    Ticket,
    TicketEvent,
)
from closeloop.tickets.services import (
    Actor,
    TicketClosed,
    message_add,
    ticket_assign,
    ticket_merge,
    ticket_resolve,
    ticket_start,
)
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int]:
    return Message.objects.count(), TicketEvent.objects.count(), Attachment.objects.count()


def test_merge_closes_the_source_and_copies_the_customers_words_into_the_target() -> None:
    customer = CustomerFactory()
    agent = AgentFactory()
    actor = Actor.of_agent(agent)
    target = make_ticket(customer=customer, subject="Parcel late", channel="email")
    source = make_ticket(customer=customer, subject="Where is my parcel?", channel="wechat")
    message_add(ticket=source, body="Still nothing today", actor=Actor.customer(), channel="app")
    first = Message.objects.filter(ticket=source).order_by("id").first()
    assert first is not None
    attachment = Attachment(
        message=first,
        filename="receipt.pdf",
        content_type="application/pdf",
        size=3,
        created_at=clock.now(),
    )
    attachment.file.save("receipt.pdf", ContentFile(b"pdf"), save=False)
    attachment.save()

    ticket_merge(source=source, target=target, actor=actor, reason="same parcel")

    source.refresh_from_db()
    assert source.status == Status.CLOSED
    assert source.related_to_id == target.pk
    assert source.closed_at is not None
    source_note = Message.objects.filter(ticket=source).order_by("-id").first()
    assert source_note is not None
    assert source_note.body == f"Merged into ticket #{target.number}."
    assert source_note.is_public is False
    assert source_note.author_kind == AuthorKind.SYSTEM
    # The source keeps its own messages: nothing moved away.
    assert Message.objects.filter(ticket=source, author_kind=AuthorKind.CUSTOMER).count() == 2

    notes = list(Message.objects.filter(ticket=target, is_public=False).order_by("id"))
    assert [note.body for note in notes] == [
        f"Merged ticket #{source.number} (Where is my parcel?) into this one.\nReason: same parcel",
        "I ordered a week ago and nothing came.",
        "Still nothing today",
    ]
    assert [note.channel for note in notes[1:]] == ["wechat", "app"]
    assert all(note.meta["merged_from"] == source.number for note in notes)
    copied = Attachment.objects.get(message=notes[1])
    assert copied.filename == "receipt.pdf"
    assert copied.file.name == attachment.file.name
    assert copied.file.read() == b"pdf"

    source_status = TicketEvent.objects.get(ticket=source, type=EventType.STATUS_CHANGED)
    assert source_status.after == {"status": "closed", "merged_into": target.number}
    assert source_status.before == {"status": "new"}
    assert source_status.actor_agent_id == agent.pk
    merged_from = TicketEvent.objects.get(
        ticket=target, type=EventType.FIELD_CHANGED, after__has_key="merged_from"
    )
    assert merged_from.after["merged_from"] == source.number
    assert merged_from.reason == "same parcel"
    assert TicketEvent.objects.filter(ticket=target, type=EventType.MESSAGE_ADDED).count() == 1 + 3


def test_a_ticket_in_work_can_be_merged_and_the_target_stays_in_its_status() -> None:
    agent = AgentFactory()
    actor = Actor.of_agent(agent)
    target = make_ticket()
    source = make_ticket()
    ticket_assign(ticket=source, assignee=agent, actor=actor)
    ticket_start(ticket=source, actor=actor)
    ticket_merge(source=source, target=target, actor=actor)
    source.refresh_from_db()
    target.refresh_from_db()
    assert source.status == Status.CLOSED
    assert target.status == Status.NEW


@pytest.mark.parametrize("case", ["itself", "source_resolved", "target_closed"])
def test_refused_merges_write_nothing(case: str) -> None:
    agent = AgentFactory()
    actor = Actor.of_agent(agent)
    source = make_ticket()
    target = make_ticket()
    if case == "source_resolved":
        ticket_assign(ticket=source, assignee=agent, actor=actor)
        ticket_start(ticket=source, actor=actor)
        ticket_resolve(ticket=source, actor=actor)
    if case == "target_closed":
        Ticket.objects.filter(pk=target.pk).update(status=Status.CLOSED)
    source.refresh_from_db()
    target.refresh_from_db()
    before = _counts()
    status_before = source.status
    error = InvalidInput if case == "itself" else TicketClosed
    with pytest.raises(error):
        ticket_merge(source=source, target=source if case == "itself" else target, actor=actor)
    assert _counts() == before
    source.refresh_from_db()
    assert source.status == status_before
    assert source.related_to_id is None
