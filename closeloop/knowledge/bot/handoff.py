"""Handing a ticket conversation to a person: the bot lets go, leaves the transcript as an
internal note, triage classifies and routes the ticket now, and the customer is told who
will answer and by when."""

from __future__ import annotations

import logging

from django.db import transaction

from closeloop.core import clock
from closeloop.knowledge.bot.replies import handoff_text
from closeloop.knowledge.bot.transcript import add_turn, article_facts, summary
from closeloop.knowledge.models import Article, BotConversation, BotOutcome
from closeloop.tickets.models import Ticket
from closeloop.tickets.services import Actor, MessageContent, message_add, ticket_bot_hold
from closeloop.triage.services import triage_ticket

logger = logging.getLogger(__name__)


def release_ticket(ticket: Ticket) -> None:
    """The bot no longer holds the ticket: triage may route it, and the SLA clocks run."""
    if ticket.is_with_bot:
        held = ticket_bot_hold(ticket=ticket, holds=False, reason="the bot let go")
        ticket.is_with_bot = False
        ticket.sla_due_at = held.sla_due_at


def _triage_now(ticket: Ticket) -> None:
    try:
        with transaction.atomic():
            triage_ticket(ticket.pk)
    except Exception:
        # The ticket still reaches people (the needs-triage list); the hand-off must not fail.
        logger.exception("Triage at hand-off failed for ticket %s", ticket.pk)


@transaction.atomic
def conversation_hand_off(
    *,
    conversation: BotConversation,
    ticket: Ticket,
    reason: str,
    outcome: str = BotOutcome.HANDED_OFF,
    closest: list[tuple[Article, float]] | None = None,
) -> str:
    """End the conversation as handed off (or abandoned) and pass the ticket to a person;
    returns what the customer was told."""
    now = clock.now()
    conversation.outcome = outcome
    conversation.handoff_reason = reason
    conversation.ended_at = now
    conversation.offered = []
    release_ticket(ticket)
    _triage_now(ticket)
    routed = Ticket.objects.select_related("assignee", "team").get(pk=ticket.pk)
    text = handoff_text(
        language=conversation.language,
        person=routed.assignee.display_name if routed.assignee else "",
        team=routed.team.name if routed.team else "",
        due_at=routed.sla_due_at,
        now=now,
    )
    add_turn(
        conversation,
        "bot",
        text,
        kind="handoff",
        reason=reason,
        articles=[article_facts(a, c) for a, c in closest] if closest else None,
    )
    conversation.save()
    channel = conversation.channel
    message_add(
        ticket=routed, body=summary(conversation), actor=Actor.bot(), is_public=False,
        channel=channel,
    )  # fmt: skip
    message_add(
        ticket=routed,
        body=text,
        actor=Actor.bot(),
        is_public=True,
        channel=channel,
        content=MessageContent(
            meta={"bot": {"kind": "handoff", "reason": reason, "conversation_id": conversation.pk}}
        ),
    )
    return text
