"""The bot on the self-service portal: the portal's pages call these functions directly (no
token-less API). A portal conversation has no ticket until the visitor sends a request after
a hand-off; until then ``BotConversation.transcript`` keeps its turns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.customers.models import Customer
from closeloop.knowledge.bot.conversation import (
    ArticleLookup,
    answer,
    decide_for,
    offer,
    record_success,
    serves,
)
from closeloop.knowledge.bot.decide import (
    ASKED_FOR_PERSON,
    NOT_HELPFUL,
    TICKET_SUBMITTED,
    Decision,
    State,
)
from closeloop.knowledge.bot.intents import language_of, message_language
from closeloop.knowledge.bot.replies import (
    not_understood_text,
    portal_handoff_text,
    resolved_text,
)
from closeloop.knowledge.bot.store import active_matcher, bot_settings
from closeloop.knowledge.bot.transcript import add_turn, article_facts, state_of, summary
from closeloop.knowledge.models import BotConversation, BotOutcome
from closeloop.tickets.models import Ticket
from closeloop.tickets.services import Actor, message_add

CHANNEL = "portal"
MAX_QUESTION = 2000
MAX_SESSION_KEY = 64


@dataclass(frozen=True)
class BotReply:
    """What the portal shows after one turn."""

    kind: str  # "answer" | "choices" | "handoff" | "resolved" | "not_understood"
    text: str  # what to show the customer (plain text)
    articles: list[dict[str, Any]] = field(default_factory=list)  # best first
    conversation_id: int = 0


def _check_session(session_key: str) -> str:
    key = (session_key or "").strip()
    if not key or len(key) > MAX_SESSION_KEY:
        raise InvalidInput(_("A portal conversation needs the visitor's session."))
    return key


def _active(session_key: str) -> BotConversation | None:
    return (
        BotConversation.objects.select_for_update()
        .filter(channel=CHANNEL, session_key=session_key, outcome=BotOutcome.ACTIVE)
        .order_by("-id")
        .first()
    )


def _articles_out(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("id", "slug", "title", "summary", "gist", "confidence")
    return [{key: item.get(key) for key in keys} for item in facts]


def _hand_off(conversation: BotConversation, reason: str) -> BotReply:
    now = clock.now()
    text = portal_handoff_text(language=conversation.language)
    conversation.outcome = BotOutcome.HANDED_OFF
    conversation.handoff_reason = reason
    conversation.ended_at = now
    conversation.offered = []
    add_turn(conversation, "bot", text, kind="handoff", reason=reason)
    conversation.save()
    return BotReply("handoff", text, [], conversation.pk)


def _resolve(conversation: BotConversation) -> BotReply:
    text = resolved_text(language=conversation.language)
    conversation.outcome = BotOutcome.RESOLVED
    conversation.is_confirmed = True
    conversation.ended_at = clock.now()
    conversation.offered = []
    add_turn(conversation, "bot", text, kind="resolved")
    conversation.save()
    record_success(conversation)
    return BotReply("resolved", text, [], conversation.pk)


@transaction.atomic
def bot_portal_ask(
    *, session_key: str, text: str, language: str, customer: Customer | None = None
) -> BotReply:
    """One question (or reply) from a portal visitor: an answer, choices, or a hand-off
    (the portal then offers its request form). With the bot off or nothing to answer from,
    a hand-off without a conversation (``conversation_id`` 0)."""
    key = _check_session(session_key)
    question = (text or "").strip()[:MAX_QUESTION]
    page_language = language_of(question, preferred=language)
    if not question:
        return BotReply("not_understood", not_understood_text(language=page_language))
    bot = bot_settings()
    matcher = active_matcher()
    if matcher is None or not serves(bot, CHANNEL):
        return BotReply("handoff", portal_handoff_text(language=page_language))
    conversation = _active(key)
    now = clock.now()
    if conversation is None:
        conversation = BotConversation(
            channel=CHANNEL,
            session_key=key,
            customer=customer,
            language=page_language,
            started_at=now,
            last_activity_at=now,
        )
    elif customer is not None and conversation.customer_id is None:
        conversation.customer = customer
    conversation.language = message_language(
        question, customer_language=language, conversation_language=conversation.language
    )
    state = state_of(conversation) if conversation.pk else State()
    conversation.turns += 1
    conversation.last_activity_at = now
    add_turn(conversation, "customer", question)
    if conversation.pk is None:
        conversation.save()
    lookup = ArticleLookup(matcher)
    decision: Decision = decide_for(conversation, question, lookup, bot, state)
    if decision.kind == "answer":
        article_id, confidence = decision.articles[0]
        said = answer(
            conversation, lookup.articles[article_id], confidence, question=question, bot=bot
        )
        conversation.save()
        return BotReply("answer", said.text, _articles_out(said.articles), conversation.pk)
    if decision.kind == "choices":
        said = offer(conversation, decision.articles, lookup.articles)
        conversation.save()
        return BotReply("choices", said.text, _articles_out(said.articles), conversation.pk)
    if decision.kind == "resolved":
        return _resolve(conversation)
    if decision.confirmed is False:
        conversation.is_confirmed = False
    closest = [
        article_facts(lookup.articles[article_id], confidence)
        for article_id, confidence in decision.articles
        if article_id in lookup.articles
    ]
    reply = _hand_off(conversation, decision.reason or ASKED_FOR_PERSON)
    if closest:
        # The transcript keeps what came closest, for the person who picks it up.
        conversation.transcript[-1]["articles"] = closest
        conversation.save(update_fields=["transcript"])
    return reply


@transaction.atomic
def bot_portal_feedback(*, session_key: str, helpful: bool) -> BotReply:
    """The visitor's "did this help?" on the latest answer: yes resolves the conversation
    (a self-service success), no hands it off (not resolved)."""
    key = _check_session(session_key)
    conversation = _active(key)
    if conversation is None or state_of(conversation).last_kind != "answer":
        language = conversation.language if conversation is not None else "en"
        return BotReply(
            "not_understood",
            not_understood_text(language=language),
            [],
            conversation.pk if conversation is not None else 0,
        )
    conversation.turns += 1
    conversation.last_activity_at = clock.now()
    add_turn(conversation, "customer", "yes" if helpful else "no", feedback=helpful)
    if helpful:
        return _resolve(conversation)
    conversation.is_confirmed = False
    return _hand_off(conversation, NOT_HELPFUL)


@transaction.atomic
def bot_portal_attach_ticket(*, session_key: str, ticket: Ticket) -> None:
    """A visitor's request after talking to the bot became ``ticket``: the latest portal
    conversation of the session is tied to it, its transcript goes onto the ticket as an
    internal note, and it counts as handed off (a resolved one stays resolved)."""
    key = _check_session(session_key)
    conversation = (
        BotConversation.objects.select_for_update()
        .filter(channel=CHANNEL, session_key=key, ticket__isnull=True)
        .order_by("-id")
        .first()
    )
    if conversation is None:
        return
    conversation.ticket = ticket
    if conversation.customer_id is None:
        conversation.customer_id = ticket.customer_id
    if conversation.outcome != BotOutcome.RESOLVED:
        if conversation.outcome != BotOutcome.HANDED_OFF or not conversation.handoff_reason:
            conversation.handoff_reason = conversation.handoff_reason or TICKET_SUBMITTED
        conversation.outcome = BotOutcome.HANDED_OFF
        conversation.ended_at = conversation.ended_at or clock.now()
    conversation.save()
    if conversation.transcript:
        message_add(
            ticket=ticket,
            body=summary(conversation),
            actor=Actor.bot(),
            is_public=False,
            channel=CHANNEL,
        )
