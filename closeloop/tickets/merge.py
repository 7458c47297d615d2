"""Merging a duplicate ticket into the one the team keeps working on.

Nothing moves and nothing is deleted, so both histories stay true:

- the source ticket gets an internal system note "Merged into #N", is closed (from whatever
  open status it was in: a merge archives a duplicate, it is not the customer's resolution)
  and points at the target through ``related_to``;
- the target gets an internal system note naming the merged ticket, then one internal copy
  of each of the source's customer messages (with its channel, original time and files), so
  whoever works the target reads everything the customer said in one thread.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.core import clock, sql
from closeloop.core.errors import ConcurrentChange, InvalidInput
from closeloop.tickets.changes import MAX_BODY_LENGTH, Actor, Change, TicketClosed, lock
from closeloop.tickets.models import (
    OPEN_STATUSES,
    Attachment,
    AuthorKind,
    EventType,
    Message,
    Status,
    Ticket,
)

MAX_REASON_LENGTH = 1000


def _note(ticket: Ticket, body: str, *, channel: str, meta: dict[str, object]) -> Message:
    return Message(
        ticket=ticket,
        author_kind=AuthorKind.SYSTEM,
        body=body[:MAX_BODY_LENGTH],
        meta=meta,
        is_public=False,
        channel=channel,
    )


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: Actor, reason: str = "") -> Ticket:
    """Merge the duplicate ``source`` into ``target``: source closed with a note and a link,
    target given a note and internal copies of the source's customer messages. Returns the
    target."""
    reason = (reason or "").strip()[:MAX_REASON_LENGTH]
    if source.pk == target.pk:
        raise InvalidInput(_("A ticket cannot be merged into itself."), details={"field": "target"})
    # Lock in key order, so two merges of the same pair cannot deadlock.
    first, second = sorted((source, target), key=lambda ticket: ticket.pk)
    locked = {first.pk: lock(first), second.pk: lock(second)}
    source, target = locked[source.pk], locked[target.pk]
    if source.status not in OPEN_STATUSES:
        raise TicketClosed(
            _("Ticket %(number)s is already resolved or closed; only an open ticket can be merged.")
            % {"number": source.number},
            details={"field": "source"},
        )
    if target.status == Status.CLOSED:
        raise TicketClosed(
            _("Ticket %(number)s is closed; merge into an open ticket.")
            % {"number": target.number},
            details={"field": "target"},
        )

    now = clock.now()
    customer_messages = list(
        Message.objects.filter(ticket_id=source.pk, author_kind=AuthorKind.CUSTOMER)
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )

    # The target: one note naming the source, then the customer's words as internal context.
    target_change = Change(target, actor)
    heading = _("Merged ticket #%(number)s (%(subject)s) into this one.") % {
        "number": source.number,
        "subject": source.subject,
    }
    if reason:
        heading += "\n" + _("Reason: %(reason)s") % {"reason": reason}
    notes = [
        _note(
            target,
            heading,
            channel=target.channel,
            meta={"merged_from": source.number, "merged_from_id": source.pk},
        )
    ]
    for message in customer_messages:
        notes.append(
            _note(
                target,
                message.body,
                channel=message.channel,
                meta={
                    "merged_from": source.number,
                    "merged_from_id": source.pk,
                    "copied_message_id": message.pk,
                    "original_author_kind": message.author_kind,
                    "original_created_at": message.created_at.isoformat(),
                },
            )
        )
    for note in notes:
        note.created_at = now
    sql.insert(notes)
    copies = [
        Attachment(
            message=note,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
            sha256=attachment.sha256,
            file=attachment.file.name,  # the same stored file: nothing is duplicated on disk
            content_id=attachment.content_id,
            is_inline=attachment.is_inline,
            refused_reason=attachment.refused_reason,
            created_at=now,
        )
        for note, message in zip(notes[1:], customer_messages, strict=True)
        for attachment in message.attachments.all()
    ]
    if copies:
        Attachment.objects.bulk_create(copies)
    for note in notes:
        target_change.record(
            EventType.MESSAGE_ADDED,
            after={
                "message_id": note.pk,
                "author_kind": note.author_kind,
                "is_public": False,
                "channel": note.channel,
            },
        )
    target_change.record(
        EventType.FIELD_CHANGED,
        before={"merged_from": None},
        after={"merged_from": source.number, "merged_from_id": source.pk},
        reason=reason,
    )
    sql.update(Ticket, target.pk, {"updated_at": now})

    # The source: a note saying where it went, then closed and linked to the target.
    source_change = Change(source, actor)
    source_note = _note(
        source,
        _("Merged into ticket #%(number)s.") % {"number": target.number},
        channel=source.channel,
        meta={"merged_into": target.number, "merged_into_id": target.pk},
    )
    source_note.created_at = now
    sql.insert([source_note])
    source_change.record(
        EventType.MESSAGE_ADDED,
        after={
            "message_id": source_note.pk,
            "author_kind": source_note.author_kind,
            "is_public": False,
            "channel": source_note.channel,
        },
    )
    previous = source.status
    previous_related_id = source.related_to_id
    updates = {
        "status": Status.CLOSED,
        "closed_at": now,
        "pending_since": None,
        "related_to": target,
        "updated_at": now,
    }
    if sql.update(Ticket, source.pk, updates, expect={"status": previous}) != 1:
        raise ConcurrentChange(
            _("Ticket %(number)s was changed by someone else; reload and try again.")
            % {"number": source.number},
            details={"expected_status": str(previous)},
        )
    for name, value in updates.items():
        setattr(source, name, value)
    source_change.record(
        EventType.STATUS_CHANGED,
        before={"status": str(previous)},
        after={"status": str(Status.CLOSED), "merged_into": target.number},
        reason=reason or "merged",
    )
    source_change.record(
        EventType.FIELD_CHANGED,
        before={"related_to_id": previous_related_id},
        after={"related_to_id": target.pk, "merged_into": target.number},
        reason=reason,
    )
    target_change.finish()
    source_change.finish()
    return target
