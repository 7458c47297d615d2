"""The bot on the portal: the functions the portal's pages call, without a ticket until the
visitor sends a request."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.knowledge.bot.portal import (
    bot_portal_ask,
    bot_portal_attach_ticket,
    bot_portal_feedback,
)
from closeloop.knowledge.bot.service import bot_sweep_idle
from closeloop.knowledge.bot.store import clear_matcher_cache, matcher_train
from closeloop.knowledge.models import ArticleUse, BotConversation, BotSettings, SelfServiceSuccess
from closeloop.knowledge.tests.bot_articles import make_articles, trained_articles
from closeloop.tickets.models import AuthorKind, Message
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained():
    return trained_articles()


def test_an_answer_then_helpful_resolves_and_counts_a_self_service_success(trained):
    customer = CustomerFactory()
    reply = bot_portal_ask(
        session_key="s1", text="how do I reset my password", language="en", customer=customer
    )
    assert reply.kind == "answer"
    assert [a["slug"] for a in reply.articles] == ["reset-password"]
    assert set(reply.articles[0]) == {"id", "slug", "title", "summary", "gist", "confidence"}
    assert reply.articles[0]["gist"] in reply.text  # the page shows the gist, a chat the text
    assert "/help/reset-password/" in reply.text
    use = ArticleUse.objects.get()
    assert (use.kind, use.channel, use.session_key, use.customer) == (
        "bot_answered",
        "portal",
        "s1",
        customer,
    )
    done = bot_portal_feedback(session_key="s1", helpful=True)
    assert (done.kind, done.conversation_id) == ("resolved", reply.conversation_id)
    conversation = BotConversation.objects.get(pk=reply.conversation_id)
    assert (conversation.outcome, conversation.is_confirmed, conversation.ticket) == (
        "resolved",
        True,
        None,
    )
    assert SelfServiceSuccess.objects.get().channel == "portal"


def test_not_helpful_hands_off_and_the_request_carries_the_transcript(trained):
    bot_portal_ask(session_key="s2", text="我要开发票", language="en")
    reply = bot_portal_feedback(session_key="s2", helpful=False)
    assert reply.kind == "handoff"
    conversation = BotConversation.objects.get(pk=reply.conversation_id)
    assert (conversation.outcome, conversation.handoff_reason, conversation.is_confirmed) == (
        "handed_off",
        "not_helpful",
        False,
    )
    assert conversation.language == "zh-hans"
    ticket = make_ticket(channel="portal", subject="发票", body="还是开不了发票")
    bot_portal_attach_ticket(session_key="s2", ticket=ticket)
    conversation.refresh_from_db()
    assert (conversation.ticket, conversation.outcome) == (ticket, "handed_off")
    note = Message.objects.get(ticket=ticket, author_kind=AuthorKind.BOT)
    assert note.is_public is False
    assert "Customer: 我要开发票" in note.body
    assert "Bot answered with: 申请发票" in note.body
    assert SelfServiceSuccess.objects.count() == 0


def test_choices_and_a_pick_by_title(trained):
    BotSettings.objects.update_or_create(
        id=1, defaults={"answer_threshold": 0.999, "choices_threshold": 0.05}
    )
    clear_matcher_cache()
    offer = bot_portal_ask(session_key="s3", text="order refund status", language="en")
    assert offer.kind == "choices"
    assert [a["title"] for a in offer.articles] == ["Request a refund", "Track your order"]
    picked = bot_portal_ask(session_key="s3", text="Track your order", language="en")
    assert (picked.kind, picked.articles[0]["slug"]) == ("answer", "track-order")
    assert picked.conversation_id == offer.conversation_id


def test_a_request_for_a_person_and_a_low_confidence_question_hand_off(trained):
    person = bot_portal_ask(session_key="s4", text="人工客服", language="zh-hans")
    assert person.kind == "handoff"
    assert BotConversation.objects.get(pk=person.conversation_id).handoff_reason == (
        "asked_for_person"
    )
    low = bot_portal_ask(session_key="s5", text="xyzzy plugh", language="en")
    assert low.kind == "handoff"
    assert BotConversation.objects.get(pk=low.conversation_id).handoff_reason == "low_confidence"


def test_a_resolved_conversation_stays_resolved_when_a_request_follows(trained):
    bot_portal_ask(session_key="s6", text="where is my parcel", language="en")
    bot_portal_feedback(session_key="s6", helpful=True)
    ticket = make_ticket(channel="portal")
    bot_portal_attach_ticket(session_key="s6", ticket=ticket)
    conversation = BotConversation.objects.get(session_key="s6")
    assert (conversation.outcome, conversation.ticket) == ("resolved", ticket)


def test_quiet_portal_conversations_end_without_a_ticket(trained):
    answered = bot_portal_ask(session_key="s7", text="where is my parcel", language="en")
    BotSettings.objects.update_or_create(
        id=1, defaults={"answer_threshold": 0.999, "choices_threshold": 0.05}
    )
    clear_matcher_cache()
    offered = bot_portal_ask(session_key="s8", text="order refund status", language="en")
    with clock.frozen_at(clock.now() + timedelta(hours=1)):
        assert bot_sweep_idle() == 2
    outcomes = dict(
        BotConversation.objects.filter(
            pk__in=[answered.conversation_id, offered.conversation_id]
        ).values_list("session_key", "outcome")
    )
    assert outcomes == {"s7": "resolved", "s8": "abandoned"}
    assert SelfServiceSuccess.objects.count() == 1


def test_without_a_matcher_or_with_the_portal_off_the_bot_hands_off_and_keeps_nothing():
    reply = bot_portal_ask(session_key="s9", text="where is my parcel", language="en")
    assert (reply.kind, reply.conversation_id) == ("handoff", 0)
    make_articles()
    matcher_train()
    BotSettings.objects.update_or_create(id=1, defaults={"channels": ["chat"]})
    clear_matcher_cache()
    assert bot_portal_ask(session_key="s9", text="where is my parcel", language="en").kind == (
        "handoff"
    )
    assert not BotConversation.objects.exists()
    ticket = make_ticket(channel="portal")
    bot_portal_attach_ticket(session_key="s9", ticket=ticket)  # nothing to attach
    assert not Message.objects.filter(ticket=ticket, author_kind=AuthorKind.BOT).exists()


def test_feedback_without_an_answer_and_bad_input(trained):
    assert bot_portal_feedback(session_key="s10", helpful=True).kind == "not_understood"
    assert bot_portal_ask(session_key="s10", text="   ", language="en").kind == "not_understood"
    with pytest.raises(InvalidInput):
        bot_portal_ask(session_key="", text="where is my parcel", language="en")
    with pytest.raises(InvalidInput):
        bot_portal_ask(session_key="x" * 65, text="where is my parcel", language="en")
    assert not BotConversation.objects.exists()
