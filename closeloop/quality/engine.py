"""Running the automatic checks over tickets in batches: read, check, upsert.

One batch is four reads (tickets, messages, SLA clocks, next-response breaches) and one
multi-row upsert of ``CheckResult`` per check, whatever the batch size; the checks themselves
are pure (``closeloop.quality.checks``). Running a ticket again replaces its results.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from closeloop.core import clock
from closeloop.quality.checks import (
    DEFAULT_SILENCE_MINUTES,
    Conversation,
    Lexicon,
    Line,
    run_checks,
)
from closeloop.quality.models import CheckResult, Phrase
from closeloop.sla.models import Metric, TicketClock
from closeloop.tickets.models import EventType, Message, Status, Ticket, TicketEvent

BATCH_SIZE = 500
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


def lexicon_load() -> Lexicon:
    """The phrase lists as configured (active Phrase rows) and the chat silence limit."""
    phrases: dict[str, list[str]] = {}
    for kind, text in Phrase.objects.filter(is_active=True).values_list("kind", "text"):
        phrases.setdefault(kind, []).append(text)
    minutes = int(settings.CLOSELOOP.get("QA_SILENCE_MINUTES", DEFAULT_SILENCE_MINUTES))
    return Lexicon.build(phrases, silence_minutes=minutes)


def conversations_load(ticket_ids: Sequence[int]) -> list[Conversation]:
    """The conversations of these tickets, with their messages and SLA facts (four reads)."""
    conversations = {
        row[0]: Conversation(ticket_id=row[0], kind=row[1], channel=row[2], agent_id=row[3])
        for row in Ticket.objects.filter(pk__in=ticket_ids).values_list(
            "id", "kind", "channel", "assignee_id"
        )
    }
    if not conversations:
        return []
    messages = (
        Message.objects.filter(ticket_id__in=list(conversations))
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "author_kind", "body", "is_public", "created_at")
    )
    for ticket_id, author_kind, body, is_public, created_at in messages:
        conversations[ticket_id].lines.append(Line(author_kind, body, is_public, created_at))
    clocks = TicketClock.objects.filter(
        ticket_id__in=list(conversations),
        metric__in=[Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE],
    ).values_list("ticket_id", "metric", "stopped_at", "due_at", "breached_at")
    for ticket_id, metric, stopped_at, due_at, breached_at in clocks:
        if stopped_at is not None:
            met: bool | None = stopped_at <= due_at and breached_at is None
        else:
            met = False if breached_at is not None else None
        conversation = conversations[ticket_id]
        if metric == Metric.FIRST_RESPONSE:
            conversation.first_response_met = met
        elif met is not None or conversation.next_response_met is None:
            conversation.next_response_met = met
    # A next-response clock is re-armed on every customer message: earlier cycles that
    # breached are only in the ticket's history.
    breaches = TicketEvent.objects.filter(
        ticket_id__in=list(conversations),
        type=EventType.SLA_BREACHED,
        after__metric=Metric.NEXT_RESPONSE,
    ).values_list("ticket_id", flat=True)
    for ticket_id in breaches:
        conversations[ticket_id].next_response_met = False
    return list(conversations.values())


@dataclass(frozen=True)
class RunReport:
    """What a run did: tickets checked and result rows written."""

    tickets: int
    results: int


def checks_run(*, ticket_ids: Iterable[int], lexicon: Lexicon | None = None) -> RunReport:
    """Run every check on these tickets and store the results (replacing earlier ones)."""
    lexicon = lexicon or lexicon_load()
    tickets = results = 0
    for batch in _batches(ticket_ids, BATCH_SIZE):
        conversations = conversations_load(batch)
        rows = _results(conversations, lexicon)
        with transaction.atomic():
            results_upsert(rows)
        tickets += len(conversations)
        results += len(rows)
    return RunReport(tickets=tickets, results=results)


ResultRow = tuple[int, str, str, int | None, str, Any]


def _results(conversations: Sequence[Conversation], lexicon: Lexicon) -> list[ResultRow]:
    checked_at = connection.ops.adapt_datetimefield_value(clock.now())
    return [
        (conversation.ticket_id, code, outcome, conversation.agent_id, detail[:300], checked_at)
        for conversation in conversations
        for code, (outcome, detail) in run_checks(conversation, lexicon).items()
    ]


UPSERT_ROWS = 500  # SQLite: 3,000 parameters a statement, under its limit


def results_upsert(rows: Sequence[ResultRow]) -> None:
    """Insert or replace (ticket, code) results with multi-row upserts.

    The ORM's bulk_create builds a model instance and prepares each value field by field,
    which cost 80 % of a run; these rows are plain tuples of already-prepared values. On
    PostgreSQL the rows go as six arrays (``unnest``): a statement with thousands of
    placeholders costs psycopg more to parse on the client than the server takes to run it.
    """
    if not rows:
        return
    table = connection.ops.quote_name(CheckResult._meta.db_table)
    columns = "ticket_id, code, outcome, agent_id, detail, checked_at"
    update = ", ".join(
        f"{name} = excluded.{name}" for name in ("outcome", "agent_id", "detail", "checked_at")
    )
    conflict = f"ON CONFLICT (ticket_id, code) DO UPDATE SET {update}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ticket_ids, codes, outcomes, agent_ids, details, instants = zip(*rows, strict=True)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 - fixed names
                "SELECT t, c, o, a, d, %s FROM unnest("
                "%s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[], %s::varchar[]"
                f") AS r(t, c, o, a, d) {conflict}",
                [
                    instants[0],
                    list(ticket_ids),
                    list(codes),
                    list(outcomes),
                    list(agent_ids),
                    list(details),
                ],
            )
            return
        for start in range(0, len(rows), UPSERT_ROWS):
            chunk = rows[start : start + UPSERT_ROWS]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} {conflict}",  # noqa: S608
                [value for row in chunk for value in row],
            )


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for ticket_id in ids:
        batch.append(ticket_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def checks_backfill(*, only_missing: bool = True, limit: int | None = None) -> RunReport:
    """Check resolved and closed tickets (by default those without results yet)."""
    queryset = Ticket.objects.filter(status__in=DONE_STATUSES)
    if only_missing:
        queryset = queryset.exclude(qa_checks__isnull=False)
    ids = queryset.order_by("id").values_list("id", flat=True)
    if limit is not None:
        ids = ids[:limit]
    return checks_run(ticket_ids=list(ids))
