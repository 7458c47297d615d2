"""Every automatic check on a Chinese and an English conversation, passing and failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from closeloop.quality.checks import (
    CHECKS,
    FAILED,
    NOT_APPLICABLE,
    PASSED,
    Conversation,
    Lexicon,
    Line,
    phrase_pattern,
    run_checks,
    sentiment,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEXICON = Lexicon.defaults()


def convo(*lines: tuple[str, str, int], kind: str = "inquiry", channel: str = "email", **facts):
    """A conversation from (author, body, minutes after T0) lines."""
    return Conversation(
        ticket_id=1,
        kind=kind,
        channel=channel,
        agent_id=7,
        lines=[Line(author, body, True, T0 + timedelta(minutes=m)) for author, body, m in lines],
        **facts,
    )


EN_GOOD = convo(
    ("customer", "My order 1001 has not arrived.", 0),
    ("agent", "Hello Anna, thank you for contacting us. I'm sorry for the delay.", 3),
    ("customer", "Thanks, it works now!", 6),
    ("agent", "Glad to help. Is there anything else? Have a nice day.", 8),
    kind="complaint",
    channel="chat",
    first_response_met=True,
    next_response_met=True,
)
ZH_GOOD = convo(
    ("customer", "我的订单还没到。", 0),
    ("agent", "您好，很高兴为您服务。非常抱歉给您带来不便。", 2),
    ("customer", "好的，问题解决了，谢谢！", 5),
    ("agent", "不客气，请问还有其他问题吗？祝您生活愉快。", 7),
    kind="complaint",
    channel="wechat",
    first_response_met=True,
    next_response_met=True,
)
EN_BAD = convo(
    ("customer", "My order 1001 has not arrived.", 0),
    ("agent", "Order 1001 is in transit. Calm down, that's not my problem.", 3),
    ("customer", "This is terrible service, I'm very disappointed.", 5),
    ("agent", "The courier will deliver it tomorrow.", 40),
    ("customer", "Still not good. Useless.", 41),
    kind="complaint",
    channel="chat",
    first_response_met=False,
    next_response_met=False,
)
ZH_BAD = convo(
    ("customer", "我的订单还没到。", 0),
    ("agent", "订单在路上，这不关我的事。", 3),
    ("customer", "太差了，我很不满意，我要投诉！", 5),
    ("agent", "快递明天送到。", 45),
    ("customer", "还是不行，非常失望。", 46),
    kind="complaint",
    channel="wechat",
    first_response_met=False,
    next_response_met=False,
)


@pytest.mark.parametrize("conversation", [EN_GOOD, ZH_GOOD], ids=["en", "zh"])
def test_a_good_conversation_passes_every_check(conversation):
    results = run_checks(conversation, LEXICON)

    assert {code: outcome for code, (outcome, _detail) in results.items()} == dict.fromkeys(
        CHECKS, PASSED
    )


@pytest.mark.parametrize("conversation", [EN_BAD, ZH_BAD], ids=["en", "zh"])
def test_a_bad_conversation_fails_every_check(conversation):
    results = run_checks(conversation, LEXICON)

    assert {code: outcome for code, (outcome, _detail) in results.items()} == dict.fromkeys(
        CHECKS, FAILED
    )


def test_the_forbidden_phrase_found_is_named():
    assert run_checks(EN_BAD, LEXICON)["forbidden"] == (FAILED, "calm down")  # the first one
    assert run_checks(ZH_BAD, LEXICON)["forbidden"] == (FAILED, "不关我的事")


def test_the_longest_silence_is_reported():
    assert run_checks(ZH_BAD, LEXICON)["silence"] == (FAILED, "40 min")


def test_english_phrases_match_whole_words_only():
    pattern = phrase_pattern(["hi"])
    assert pattern is not None

    assert pattern.search("hi anna")
    assert not pattern.search("this is it")


def test_typographic_apostrophes_and_case_do_not_hide_a_forbidden_phrase():
    conversation = convo(("agent", "THAT\u2019S NOT MY PROBLEM.", 1))

    assert run_checks(conversation, LEXICON)["forbidden"] == (FAILED, "that's not my problem")


def test_full_width_text_is_normalised():
    conversation = convo(("agent", "ＨＥＬＬＯ, how can I help?", 1))

    assert run_checks(conversation, LEXICON)["greeting"][0] == PASSED


def test_a_negation_flips_a_positive_word():
    assert sentiment("I am not happy", LEXICON) < 0
    assert sentiment("我很不满意", LEXICON) < 0
    assert sentiment("我很满意", LEXICON) > 0


def test_internal_notes_are_not_replies():
    conversation = Conversation(
        ticket_id=1,
        kind="inquiry",
        channel="email",
        agent_id=7,
        lines=[
            Line("customer", "Where is my parcel?", True, T0),
            Line("agent", "calm down, not my problem (note to self)", False, T0),
            Line("agent", "Hello! It arrives tomorrow. Have a nice day.", True, T0),
        ],
    )

    results = run_checks(conversation, LEXICON)

    assert results["forbidden"] == (PASSED, "")
    assert results["greeting"][0] == PASSED


def test_checks_that_do_not_apply():
    no_reply = convo(("customer", "Hello?", 0), channel="chat")
    inquiry = convo(("customer", "Price?", 0), ("agent", "Hello, 10 yuan.", 1), kind="inquiry")

    results = run_checks(no_reply, LEXICON)

    for code in ("first_response", "next_response", "greeting", "closing", "forbidden", "silence"):
        assert results[code][0] == NOT_APPLICABLE, code
    assert run_checks(inquiry, LEXICON)["apology"][0] == NOT_APPLICABLE
    assert run_checks(inquiry, LEXICON)["silence"][0] == NOT_APPLICABLE  # email, not chat
    assert run_checks(convo(("agent", "Hello", 0)), LEXICON)["sentiment"][0] == NOT_APPLICABLE


def test_the_silence_limit_is_configurable():
    conversation = convo(("customer", "hi", 0), ("agent", "Hello", 12), channel="chat")

    assert run_checks(conversation, LEXICON)["silence"][0] == FAILED
    assert run_checks(conversation, Lexicon.defaults(silence_minutes=15))["silence"][0] == PASSED


def test_a_custom_phrase_list_replaces_the_defaults():
    lexicon = Lexicon.build({"greeting": ["howdy"], "closing": ["cheers"]})
    conversation = convo(("customer", "yo", 0), ("agent", "Howdy partner, cheers", 1))

    results = run_checks(conversation, lexicon)

    assert results["greeting"] == (PASSED, "howdy")
    assert results["closing"] == (PASSED, "cheers")
    assert run_checks(conversation, LEXICON)["greeting"][0] == FAILED


def test_time_with_the_bot_is_not_a_silence():
    conversation = convo(
        ("customer", "where is my parcel", 0),
        ("bot", "It is on its way. Talk to a person?", 0.1),
        ("customer", "yes please, 人工", 30),
        ("agent", "Hello, I'm here.", 33),
        channel="chat",
    )

    assert run_checks(conversation, LEXICON)["silence"] == (PASSED, "")
