"""The bot on ticket channels, through the real intake path: answer, choices, hand-off,
"yes" and "no", requests for a person, quiet conversations, and staying out of a ticket a
person has taken."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from closeloop.core import clock
from closeloop.knowledge.bot.service import bot_sweep_idle
from closeloop.knowledge.bot.store import bot_settings, clear_matcher_cache
from closeloop.knowledge.models import (
    ArticleUse,
    BotConversation,
    BotSettings,
    SelfServiceSuccess,
)
from closeloop.knowledge.tests.bot_articles import trained_articles
from closeloop.knowledge.tests.bot_support import (
    bot_messages,
    chat,
    conversation_of,
    last_bot_meta,
)
from closeloop.people.tests.factories import AgentFactory, TeamFactory, member
from closeloop.tickets.models import AuthorKind, Message, Status, Ticket
from closeloop.tickets.services import Actor, message_add
from closeloop.tickets.signals import history_replay
from closeloop.triage.models import RoutingRule, TicketTriage
from closeloop.triage.services import triage_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    return trained_articles()


def settings_update(**fields):
    BotSettings.objects.update_or_create(id=1, defaults=fields)
    clear_matcher_cache()


def test_an_answer_on_a_new_chat_ticket_holds_triage_and_is_no_first_response(articles):
    inbound = chat("v-answer", "how do I reset my password")
    ticket = Ticket.objects.get(pk=inbound.ticket_id)
    assert ticket.is_with_bot is True
    assert ticket.status == Status.NEW
    assert ticket.first_responded_at is None  # a bot reply is not a first response
    [reply] = bot_messages(ticket)
    assert reply.channel == "chat"
    assert "Reset your password" in reply.body
    assert "http://127.0.0.1:8000/help/reset-password/" in reply.body
    meta = reply.meta["bot"]
    assert meta["kind"] == "answer"
    assert meta["article"]["slug"] == "reset-password"
    assert meta["feedback"] == ["yes", "no"]
    assert reply.deliveries.count() == 1  # the chat channel sends it
    conversation = conversation_of(ticket)
    assert (conversation.outcome, conversation.channel, conversation.turns) == ("active", "chat", 1)
    assert conversation.answered_article == articles["reset-password"]
    use = ArticleUse.objects.get()
    assert (use.kind, use.ticket, use.channel) == ("bot_answered", ticket, "chat")
    assert triage_ticket(ticket.pk) is None  # the worker's triage task leaves it alone
    assert not TicketTriage.objects.filter(ticket=ticket).exists()


def test_yes_after_an_answer_resolves_with_the_bot_and_closes_on_the_customers_word(articles):
    ticket = Ticket.objects.get(pk=chat("v-yes", "I forgot my password").ticket_id)
    chat("v-yes", "yes, thanks")
    ticket.refresh_from_db()
    conversation = conversation_of(ticket)
    assert (conversation.outcome, conversation.is_confirmed) == ("resolved", True)
    assert ticket.status == Status.CLOSED
    assert ticket.confirmed_at is not None
    assert ticket.is_with_bot is False
    assert last_bot_meta(ticket)["kind"] == "resolved"
    success = SelfServiceSuccess.objects.get()
    assert (success.kind, success.channel, success.article) == (
        "bot_resolved",
        "chat",
        articles["reset-password"],
    )
    assert ticket.first_responded_at is None


def test_no_after_an_answer_hands_off_as_not_helpful_with_the_transcript(articles):
    ticket = Ticket.objects.get(pk=chat("v-no", "where is my parcel").ticket_id)
    chat("v-no", "no, it still says in transit")
    ticket.refresh_from_db()
    conversation = conversation_of(ticket)
    assert (conversation.outcome, conversation.handoff_reason, conversation.is_confirmed) == (
        "handed_off",
        "not_helpful",
        False,
    )
    assert ticket.is_with_bot is False
    assert ticket.status == Status.NEW
    assert TicketTriage.objects.filter(ticket=ticket).exists()  # triaged at hand-off
    [note] = bot_messages(ticket, public=False)
    assert "the customer said the answer did not help" in note.body
    assert "Customer: where is my parcel" in note.body
    assert "Bot answered with: Track your order (1.00)" in note.body
    assert last_bot_meta(ticket)["kind"] == "handoff"
    assert SelfServiceSuccess.objects.count() == 0


def test_choices_then_a_pick_answers_with_the_picked_article(articles):
    settings_update(answer_threshold=0.999, choices_threshold=0.05)
    ticket = Ticket.objects.get(pk=chat("v-choice", "order refund status").ticket_id)
    offer = last_bot_meta(ticket)
    assert offer["kind"] == "choices"
    assert [c["title"] for c in offer["choices"]] == ["Request a refund", "Track your order"]
    assert [c["reply"] for c in offer["choices"]] == ["1", "2"]
    assert "1. Request a refund\n2. Track your order" in bot_messages(ticket)[-1].body
    chat("v-choice", "2")
    answer = last_bot_meta(ticket)
    assert (answer["kind"], answer["article"]["slug"]) == ("answer", "track-order")
    assert conversation_of(ticket).outcome == "active"
    assert ArticleUse.objects.filter(kind="bot_answered").count() == 1


def test_none_of_these_hands_off(articles):
    settings_update(answer_threshold=0.999, choices_threshold=0.05)
    ticket = Ticket.objects.get(pk=chat("v-none", "order refund status").ticket_id)
    chat("v-none", "none of these")
    conversation = conversation_of(ticket)
    assert (conversation.outcome, conversation.handoff_reason) == ("handed_off", "none_of_these")


def test_low_confidence_hands_off_at_once(articles):
    ticket = Ticket.objects.get(pk=chat("v-low", "xyzzy plugh frobnicate").ticket_id)
    conversation = conversation_of(ticket)
    assert (conversation.outcome, conversation.handoff_reason) == ("handed_off", "low_confidence")
    ticket.refresh_from_db()
    assert ticket.is_with_bot is False
    assert [m.meta["bot"]["kind"] for m in bot_messages(ticket)] == ["handoff"]
    assert TicketTriage.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("我要开发票", "转人工"),
        ("where is my parcel", "let me talk to a human please"),
    ],
)
def test_asking_for_a_person_mid_conversation_hands_off(articles, first, then):
    ticket = Ticket.objects.get(pk=chat(f"v-person-{len(first)}", first).ticket_id)
    assert last_bot_meta(ticket)["kind"] == "answer"
    chat(f"v-person-{len(first)}", then)
    conversation = conversation_of(ticket)
    assert (conversation.outcome, conversation.handoff_reason) == (
        "handed_off",
        "asked_for_person",
    )
    assert conversation.language == ("zh-hans" if first.startswith("我") else "en")
    assert conversation.turns == 2


def test_at_hand_off_triage_routes_now_and_the_customer_hears_who_and_when(articles):
    team = TeamFactory(name="Account help", code="accounts")
    agent = AgentFactory(display_name="Li Na")
    member(agent, team)
    RoutingRule.objects.create(name="passwords", keywords="password", set_team=team)
    ticket = Ticket.objects.get(pk=chat("v-route", "how do I reset my password").ticket_id)
    ticket.refresh_from_db()
    assert ticket.assignee_id is None  # held by the bot: not routed yet
    chat("v-route", "agent")
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team, agent)
    assert ticket.sla_due_at is not None
    due = ticket.sla_due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    told = bot_messages(ticket)[-1].body
    assert told.startswith("I've passed this to Li Na (Account help); you'll hear back by ")
    assert due in told
    assert ticket.first_responded_at is None  # still waiting for a person


def test_the_bot_stays_out_once_a_person_replied(articles, agent):
    ticket = Ticket.objects.get(pk=chat("v-taken", "how do I reset my password").ticket_id)
    message_add(ticket=ticket, body="Hi, Li here, let me help.", actor=Actor.of_agent(agent))
    before = len(bot_messages(ticket))
    chat("v-taken", "no")
    ticket.refresh_from_db()
    assert len(bot_messages(ticket)) == before
    conversation = conversation_of(ticket)
    assert (conversation.outcome, conversation.handoff_reason) == ("handed_off", "taken_over")
    assert ticket.is_with_bot is False
    assert ticket.first_responded_at is not None


def test_quiet_after_an_answer_resolves_and_quiet_otherwise_abandons_to_triage(articles):
    answered = Ticket.objects.get(pk=chat("v-idle-1", "how do I reset my password").ticket_id)
    settings_update(answer_threshold=0.999, choices_threshold=0.05)
    offered = Ticket.objects.get(pk=chat("v-idle-2", "order refund status").ticket_id)
    assert last_bot_meta(offered)["kind"] == "choices"
    with clock.frozen_at(clock.now() + timedelta(minutes=29)):
        assert bot_sweep_idle() == 0
    with clock.frozen_at(clock.now() + timedelta(minutes=31)):
        assert bot_sweep_idle() == 2
        assert bot_sweep_idle() == 0  # idempotent
    answered.refresh_from_db()
    offered.refresh_from_db()
    first, second = conversation_of(answered), conversation_of(offered)
    assert (first.outcome, first.is_confirmed) == ("resolved", None)
    assert answered.status == Status.RESOLVED  # resolved by the bot, not confirmed: not closed
    assert answered.is_with_bot is False
    assert SelfServiceSuccess.objects.filter(kind="bot_resolved").count() == 1
    assert (second.outcome, second.handoff_reason) == ("abandoned", "abandoned")
    assert offered.is_with_bot is False
    assert TicketTriage.objects.filter(ticket=offered).exists()
    assert bot_messages(offered)[-1].meta["bot"]["kind"] == "handoff"


def test_without_articles_the_bot_does_nothing_at_all():
    ticket = Ticket.objects.get(pk=chat("v-none-trained", "how do I reset my password").ticket_id)
    assert ticket.is_with_bot is False
    assert not BotConversation.objects.exists()
    assert not Message.objects.filter(author_kind=AuthorKind.BOT).exists()


@pytest.mark.parametrize("setting", [{"is_enabled": False}, {"channels": ["wechat", "portal"]}])
def test_a_disabled_bot_or_another_channel_does_nothing(articles, setting):
    settings_update(**setting)
    assert bot_settings().is_enabled is setting.get("is_enabled", True)
    ticket = Ticket.objects.get(pk=chat("v-off", "how do I reset my password").ticket_id)
    assert ticket.is_with_bot is False
    assert not BotConversation.objects.exists()


def test_replayed_history_is_not_answered(articles):
    with history_replay():
        ticket = Ticket.objects.get(pk=chat("v-replay", "how do I reset my password").ticket_id)
    assert ticket.is_with_bot is False
    assert not BotConversation.objects.exists()


def test_on_the_app_channel_the_answer_is_plain_text_queued_for_the_app_backend(articles):
    from closeloop.channels import pipeline
    from closeloop.channels.models import Integration
    from closeloop.channels.tests.test_app import send

    app = Integration.objects.create(kind="app", name="Shop app")
    response = send(app, message_id="m-bot-1", text="怎么修改收货地址")
    assert response.status_code == 202, response.content
    inbound = pipeline.inbound_process(response.json()["id"])
    ticket = Ticket.objects.get(pk=inbound.ticket_id)
    [reply] = bot_messages(ticket)
    assert reply.channel == "app"
    assert reply.body.startswith("修改收货地址\n\n订单发货前可以在“我的订单”里修改收货地址。")
    assert reply.deliveries.get().status == "pending"  # the worker posts it to the app backend
    assert conversation_of(ticket).language == "zh-hans"


def test_the_chat_frames_carry_the_bots_choices_for_the_widgets_buttons(articles):
    from closeloop.channels.chat.conversation import visitor_history

    settings_update(answer_threshold=0.999, choices_threshold=0.05)
    chat("v-frames", "order refund status")
    frames = visitor_history("v-frames")
    assert [frame["author"] for frame in frames] == ["visitor", "bot"]
    assert "bot" not in frames[0]
    assert frames[1]["bot"] == {
        "kind": "choices",
        "choices": [
            {"reply": "1", "title": "Request a refund"},
            {"reply": "2", "title": "Track your order"},
        ],
        "none": "none",
    }


def test_a_bot_resolved_ticket_reopened_by_the_customer_starts_a_new_conversation(articles):
    from closeloop.knowledge.bot.service import bot_on_customer_message

    ticket = Ticket.objects.get(pk=chat("v-reopen", "how do I reset my password").ticket_id)
    with clock.frozen_at(clock.now() + timedelta(minutes=31)):
        assert bot_sweep_idle() == 1
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED
        # A channel threads the customer's next word onto the resolved ticket: it reopens.
        message = message_add(
            ticket=ticket, body="no, the link never came", actor=Actor.customer(), channel="chat"
        )
        bot_on_customer_message(ticket=message.ticket, message=message, opened=False)
    ticket.refresh_from_db()
    first, second = BotConversation.objects.filter(ticket=ticket).order_by("id")
    assert first.outcome == "resolved"
    assert (second.outcome, second.handoff_reason, second.is_confirmed) == (
        "handed_off",
        "not_helpful",
        False,
    )
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.is_with_bot is False
    assert TicketTriage.objects.filter(ticket=ticket).exists()


def test_on_wechat_choices_are_plain_text_and_a_typed_number_picks(articles):
    from closeloop.channels import pipeline
    from closeloop.channels.models import InboundMessage, WeChatAccount
    from closeloop.channels.tests import test_wechat_inbound as wechat
    from closeloop.channels.tests.fake_wechat import message_xml

    WeChatAccount.objects.create(
        name="Shop",
        app_id=wechat.APP_ID,
        app_secret="secret",
        original_id="gh_test",
        token=wechat.TOKEN,
        encoding_aes_key=wechat.AES_KEY,
    )
    settings_update(answer_threshold=0.999, choices_threshold=0.05)

    def push(msg_id: int, text: str) -> Ticket:
        xml = message_xml(**wechat.fields("text", msg_id=msg_id, Content=text))
        assert wechat.push(xml).status_code == 200
        inbound = InboundMessage.objects.get(channel="wechat", external_id=str(msg_id))
        return Ticket.objects.get(pk=pipeline.inbound_process(inbound.pk).ticket_id)

    ticket = push(9001, "order refund status")
    offer = bot_messages(ticket)[-1]
    assert offer.channel == "wechat"
    assert "1. Request a refund\n2. Track your order" in offer.body
    assert 'Reply with a number (1, 2), or "none" to talk to a person.' in offer.body
    push(9002, "1")
    answer = bot_messages(ticket)[-1]
    assert answer.meta["bot"]["article"]["slug"] == "refund"
    assert answer.body.startswith("Request a refund\n\nRefunds go back")
    assert answer.deliveries.get().channel == "wechat"


def test_sla_clocks_pause_while_the_bot_holds_the_ticket_and_run_from_the_hand_off(articles):
    """Time with the bot is not a person's time: a chat handed off after 25 minutes is due
    10 minutes after the hand-off (the chat reception policy), never breached before it."""
    from closeloop.sla.models import TicketClock
    from closeloop.sla.services import sla_sweep

    start = clock.now().replace(microsecond=0)
    with clock.frozen_at(start):
        ticket = Ticket.objects.get(pk=chat("v-sla", "how do I reset my password").ticket_id)
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None  # paused: nothing is due while the bot holds it
    with clock.frozen_at(start + timedelta(minutes=20)):
        sla_sweep()
    assert not TicketClock.objects.filter(ticket=ticket, breached_at__isnull=False).exists()

    handed_off_at = start + timedelta(minutes=25)
    with clock.frozen_at(handed_off_at):
        chat("v-sla", "人工")
    ticket.refresh_from_db()
    first = TicketClock.objects.get(ticket=ticket, metric="first_response")
    assert first.due_at == handed_off_at + timedelta(minutes=10)
    assert first.paused_minutes == pytest.approx(25, abs=0.01)
    assert ticket.sla_due_at == first.due_at
