"""The bot on ticket channels (chat, WeChat, the app): one decision per customer message,
taken inside the intake transaction, and the sweep that ends quiet conversations.

``bot_on_customer_message`` is called by ``channels.pipeline`` right after a message became
part of its ticket. It engages on a ticket it just saw opened, on a ticket it holds, and on a
ticket it resolved that the customer reopened before any person wrote; never on a ticket a
person has taken (an assignee, or any public reply by an agent).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.core import clock, sql
from closeloop.core.errors import ConcurrentChange
from closeloop.knowledge.bot.conversation import (
    TICKET_CHANNELS,
    ArticleLookup,
    Said,
    answer,
    decide_for,
    offer,
    record_success,
    serves,
)
from closeloop.knowledge.bot.decide import ABANDONED, TAKEN_OVER, Decision
from closeloop.knowledge.bot.handoff import conversation_hand_off, release_ticket
from closeloop.knowledge.bot.intents import language_of, message_language
from closeloop.knowledge.bot.replies import resolved_text
from closeloop.knowledge.bot.store import active_matcher, bot_settings
from closeloop.knowledge.bot.transcript import (
    add_turn,
    last_bot_turn,
    seen_message,
    state_of,
)
from closeloop.knowledge.models import BotConversation, BotOutcome, BotSettings
from closeloop.tickets.models import OPEN_STATUSES, AuthorKind, Message, Ticket
from closeloop.tickets.services import (
    Actor,
    MessageContent,
    message_add,
    ticket_bot_hold,
    ticket_confirm,
    ticket_resolve,
)
from closeloop.tickets.signals import replaying_history

logger = logging.getLogger(__name__)


def _taken_by_person(ticket: Ticket) -> bool:
    return ticket.assignee_id is not None or ticket.public_agent_reply_count > 0


def _reopened_by(ticket: Ticket, message: Message) -> bool:
    """This message reopened a ticket the bot had resolved, before any person wrote on it."""
    return (
        ticket.reopened_at is not None
        and ticket.reopened_at == message.created_at
        and not _taken_by_person(ticket)
        and BotConversation.objects.filter(ticket=ticket)
        .order_by("-started_at", "-id")
        .values_list("outcome", flat=True)
        .first()
        == BotOutcome.RESOLVED
    )


def bot_on_customer_message(*, ticket: Ticket, message: Message, opened: bool) -> None:
    """Let the bot answer a customer's message on a chat, WeChat or app ticket (inside the
    intake transaction). Does nothing when the bot is off for the channel, has no matcher, or
    the message is replayed history; a failure of the bot never fails the intake."""
    if replaying_history() or message.author_kind != AuthorKind.CUSTOMER:
        return
    if message.channel not in TICKET_CHANNELS:
        return
    bot = bot_settings()
    if not serves(bot, message.channel) and not ticket.is_with_bot:
        return
    if not (opened or ticket.is_with_bot or _reopened_by(ticket, message)):
        return
    matcher = active_matcher()
    if matcher is None and not ticket.is_with_bot:
        return  # no articles to answer from: the ticket goes to triage as before
    try:
        with transaction.atomic():
            _converse(ticket, message, opened=opened, bot=bot, lookup=ArticleLookup(matcher))
    except ConcurrentChange:
        raise  # the intake is retried
    except Exception:
        logger.exception("The FAQ bot failed on ticket %s; it stays out", ticket.pk)


def _active(ticket: Ticket) -> BotConversation | None:
    return (
        BotConversation.objects.select_for_update()
        .filter(ticket=ticket, outcome=BotOutcome.ACTIVE)
        .order_by("-id")
        .first()
    )


def _start(ticket: Ticket, message: Message, *, reopened: bool) -> BotConversation:
    now = clock.now()
    conversation = BotConversation(
        ticket=ticket,
        customer_id=ticket.customer_id,
        channel=message.channel,
        language=language_of(message.body, preferred=ticket.customer.language),
        started_at=now,
        last_activity_at=now,
    )
    if reopened:
        # The customer is answering the bot's earlier answer ("it did not work"): carry that
        # answer over, so a "no" hands off as not helpful.
        previous = BotConversation.objects.filter(ticket=ticket).order_by("-id").first()
        turn = last_bot_turn(previous) if previous is not None else None
        if previous is not None and turn is not None and turn.get("kind") == "answer":
            conversation.transcript = [turn]
            conversation.answered_article_id = previous.answered_article_id
    conversation.save()
    ticket_bot_hold(ticket=ticket, holds=True, reason="the FAQ bot answers")
    ticket.is_with_bot = True
    return conversation


def _converse(
    ticket: Ticket, message: Message, *, opened: bool, bot: BotSettings, lookup: ArticleLookup
) -> None:
    conversation = _active(ticket)
    if conversation is None:
        if opened or _reopened_by(ticket, message):
            conversation = _start(ticket, message, reopened=not opened)
        else:
            # Held without a conversation (it was ended elsewhere): let triage have it.
            release_ticket(ticket)
            return
    if seen_message(conversation, message.pk):
        return
    if _taken_by_person(ticket):
        _end_taken_over(conversation, ticket)
        return
    text = message.body
    conversation.language = message_language(
        text,
        customer_language=ticket.customer.language,
        conversation_language=conversation.language,
    )
    conversation.turns += 1
    conversation.last_activity_at = clock.now()
    state = state_of(conversation)
    add_turn(conversation, "customer", text, message_id=message.pk)
    if lookup.matcher is None or not serves(bot, message.channel):
        decision = Decision("handoff", reason="low_confidence")
    else:
        decision = decide_for(conversation, text, lookup, bot, state)
    _apply(conversation, ticket, message, decision, text=text, bot=bot, lookup=lookup)


def _say(conversation: BotConversation, ticket: Ticket, said: Said) -> None:
    message_add(
        ticket=ticket,
        body=said.text,
        actor=Actor.bot(),
        is_public=True,
        channel=conversation.channel,
        content=MessageContent(meta={"bot": {**said.meta, "conversation_id": conversation.pk}}),
    )


def _apply(
    conversation: BotConversation,
    ticket: Ticket,
    message: Message,
    decision: Decision,
    *,
    text: str,
    bot: BotSettings,
    lookup: ArticleLookup,
) -> None:
    if decision.kind == "answer":
        article_id, confidence = decision.articles[0]
        said = answer(conversation, lookup.articles[article_id], confidence, question=text, bot=bot)
        conversation.save()
        _say(conversation, ticket, said)
    elif decision.kind == "choices":
        said = offer(conversation, decision.articles, lookup.articles)
        conversation.save()
        _say(conversation, ticket, said)
    elif decision.kind == "resolved":
        conversation.is_confirmed = True
        _resolve(conversation, ticket, confirmed=True)
    else:
        if decision.confirmed is False:
            conversation.is_confirmed = False
        closest = [
            (lookup.articles[article_id], confidence)
            for article_id, confidence in decision.articles
            if article_id in lookup.articles
        ]
        conversation_hand_off(
            conversation=conversation, ticket=ticket, reason=decision.reason, closest=closest
        )


def _resolve(conversation: BotConversation, ticket: Ticket, *, confirmed: bool) -> None:
    """The bot's answer settled it: the ticket is resolved by the bot (and closed when the
    customer confirmed), counted once as a self-service success."""
    now = clock.now()
    conversation.outcome = BotOutcome.RESOLVED
    conversation.ended_at = now
    conversation.offered = []
    text = resolved_text(language=conversation.language)
    if confirmed:
        add_turn(conversation, "bot", text, kind="resolved")
    conversation.save()
    release_ticket(ticket)
    if confirmed:
        message_add(
            ticket=ticket,
            body=text,
            actor=Actor.bot(),
            is_public=True,
            channel=conversation.channel,
            content=MessageContent(
                meta={"bot": {"kind": "resolved", "conversation_id": conversation.pk}}
            ),
        )
    if ticket.status in OPEN_STATUSES:
        ticket = ticket_resolve(ticket=ticket, actor=Actor.bot(), reason=_("answered by the bot"))
        if confirmed:
            ticket_confirm(
                ticket=ticket, actor=Actor.customer(), reason=_("confirmed the bot's answer")
            )
    record_success(conversation)


def _end_taken_over(conversation: BotConversation, ticket: Ticket) -> None:
    conversation.outcome = BotOutcome.HANDED_OFF
    conversation.handoff_reason = TAKEN_OVER
    conversation.ended_at = clock.now()
    conversation.offered = []
    conversation.save()
    release_ticket(ticket)


# -- quiet conversations -------------------------------------------------------------------


def bot_sweep_idle(*, limit: int = 500) -> int:
    """End conversations quiet for ``idle_minutes``: resolved after an answer, abandoned
    otherwise (a ticket is then handed to triage anyway); returns how many ended. Each end is
    a guarded UPDATE … WHERE outcome = 'active', so two workers never both end one."""
    bot = bot_settings()
    cutoff = clock.now() - timedelta(minutes=bot.idle_minutes)
    due = list(
        BotConversation.objects.filter(outcome=BotOutcome.ACTIVE, last_activity_at__lte=cutoff)
        .order_by("last_activity_at", "id")
        .values_list("pk", "last_activity_at")[:limit]
    )
    ended = 0
    for conversation_id, last_activity_at in due:
        try:
            with transaction.atomic():
                ended += _end_idle(conversation_id, last_activity_at)
        except ConcurrentChange:
            continue  # the ticket moved under us: the next sweep looks again
    return ended


def _end_idle(conversation_id: int, last_activity_at: datetime) -> int:
    conversation = (
        BotConversation.objects.select_related("ticket", "answered_article")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        return 0
    ticket = conversation.ticket
    turn = last_bot_turn(conversation)
    answered = turn is not None and turn.get("kind") == "answer"
    if ticket is not None and _taken_by_person(ticket):
        outcome, reason = BotOutcome.HANDED_OFF, TAKEN_OVER
    elif answered:
        outcome, reason = BotOutcome.RESOLVED, ""
    else:
        outcome, reason = BotOutcome.ABANDONED, ABANDONED
    now = clock.now()
    claimed = BotConversation.objects.filter(
        pk=conversation_id, outcome=BotOutcome.ACTIVE, last_activity_at=last_activity_at
    ).update(outcome=outcome, handoff_reason=reason, ended_at=now, offered=[])
    if claimed != 1:
        return 0  # the customer wrote meanwhile, or another worker ended it
    conversation.outcome, conversation.handoff_reason, conversation.ended_at = outcome, reason, now
    if ticket is None:
        if outcome == BotOutcome.RESOLVED:
            record_success(conversation)
        return 1
    ticket = sql.get(Ticket, ticket.pk, for_update=True)
    if outcome == BotOutcome.HANDED_OFF:
        release_ticket(ticket)
    elif outcome == BotOutcome.RESOLVED:
        _resolve(conversation, ticket, confirmed=False)
    elif ticket.status in OPEN_STATUSES:
        # Nobody will answer a question left with the bot: it goes to a person anyway.
        conversation_hand_off(
            conversation=conversation,
            ticket=ticket,
            reason=ABANDONED,
            outcome=BotOutcome.ABANDONED,
        )
    else:
        release_ticket(ticket)
    return 1
