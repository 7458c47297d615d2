"""The bot's pure parts: the matcher, what a message says (language, a person, yes/no, a
pick), and the decision for one message."""

from __future__ import annotations

import pytest

from closeloop.knowledge.bot.decide import State, Thresholds, decide
from closeloop.knowledge.bot.intents import (
    asks_for_person,
    choice_of,
    feedback_of,
    language_of,
    message_language,
)
from closeloop.knowledge.bot.matcher import (
    ArticleText,
    FaqMatcher,
    Match,
    MatcherBytesError,
    fingerprint,
)
from closeloop.knowledge.tests.bot_articles import article_texts

THRESHOLDS = Thresholds(answer=0.6, choices=0.25, max_choices=3)


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    trained = FaqMatcher.train(article_texts())
    assert trained is not None
    return trained


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("I forgot my password, help", 1),
        ("where is my parcel", 2),
        ("how do I get my money back", 3),
        ("my screen is broken", 4),
        ("地址写错了", 5),
        ("我要开发票", 6),
    ],
)
def test_matcher_finds_the_article_in_english_and_chinese(matcher, question, article):
    found = matcher.match(question)
    assert found.best == article
    assert found.confidence >= 0.6
    assert [confidence for _id, confidence in found.ranked] == sorted(
        (confidence for _id, confidence in found.ranked), reverse=True
    )


def test_a_question_sharing_no_word_with_the_articles_has_no_confidence(matcher):
    assert matcher.match("xyzzy plugh").confidence == 0.0
    assert matcher.match("hello there, thanks").confidence == 0.0
    assert matcher.match("   ") == Match()


def test_matcher_survives_bytes_and_refuses_foreign_bytes(matcher):
    again = FaqMatcher.from_bytes(matcher.to_bytes())
    assert again.match("where is my parcel") == matcher.match("where is my parcel")
    assert sorted(again.article_ids) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(MatcherBytesError):
        FaqMatcher.from_bytes(b"not a matcher")
    with pytest.raises(MatcherBytesError):
        FaqMatcher.from_bytes(matcher.to_bytes()[:200])


def test_fewer_than_two_articles_train_nothing():
    assert FaqMatcher.train([]) is None
    assert (
        FaqMatcher.train([ArticleText(id=1, version=1, title="Only one", questions=["q"])]) is None
    )
    two = [
        ArticleText(id=1, version=1, title="Reset password"),
        ArticleText(id=2, version=1, title="Track order"),
    ]
    assert FaqMatcher.train(two) is not None  # one text each is enough to answer something


def test_fingerprint_changes_with_any_version_and_ignores_order():
    assert fingerprint([(1, 1), (2, 1)]) == fingerprint([(2, 1), (1, 1)])
    assert fingerprint([(1, 1), (2, 1)]) != fingerprint([(1, 1), (2, 2)])
    assert fingerprint([(1, 1)]) != fingerprint([(1, 1), (2, 1)])


@pytest.mark.parametrize(
    "text",
    [
        "人工",
        "转人工",
        "我要人工客服",
        "找真人",
        "客服在吗",
        "agent",
        "Agent please!",
        "can I talk to a human",
        "I want to speak to someone",
        "let me talk with a real person",
        "representative",
        "get me an operator",
        "person please",
    ],
)
def test_requests_for_a_person_in_both_languages(text):
    assert asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "where is my order",
        "the reagent bottle broke",  # "agent" inside a word
        "tickets cost 10 euros per person",  # "person" in another sense
        "is it a personal account",
        "我的订单到哪了",
        "managements fees",
    ],
)
def test_other_messages_are_not_requests_for_a_person(text):
    assert not asks_for_person(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("Yes!", True),
        ("thanks", True),
        ("thank you so much", True),
        ("是", True),
        ("是的，谢谢", True),
        ("解决了", True),
        ("no", False),
        ("No, I still can't sign in", False),
        ("it didn't help", False),
        ("not helpful", False),
        ("否", False),
        ("没用", False),
        ("不行，还是登不上", False),
        ("yes, and how do I change my email address on the account?", None),
        ("where is my order", None),
        ("nothing arrived", None),
        ("now it says error", None),
        ("", None),
    ],
)
def test_feedback_on_an_answer(text, expected):
    assert feedback_of(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("2.", 2),
        ("#3", 3),
        ("第2个", 2),
        ("第二个", 2),
        ("4", None),  # only three were offered
        ("none", 0),
        ("None of these", 0),
        ("都不是", 0),
        ("track your order", 2),
        ("refund", 3),
        ("where is my order", None),
    ],
)
def test_picking_an_offered_article(text, expected):
    titles = ["Reset your password", "Track your order", "Request a refund"]
    assert choice_of(text, titles) == expected


def test_language_from_the_text_or_the_customer():
    assert language_of("我的订单") == "zh-hans"
    assert language_of("where is my order") == "en"
    assert language_of("where is my order", preferred="zh-hans") == "zh-hans"
    assert message_language("2", customer_language="", conversation_language="zh-hans") == (
        "zh-hans"
    )
    assert message_language("refund", customer_language="", conversation_language="zh-hans") == (
        "en"
    )


def _match(ranked):
    return lambda _text: Match(ranked=ranked)


def test_decision_answers_offers_or_hands_off_by_confidence():
    assert decide(
        text="q", state=State(), match=_match([(7, 0.9), (8, 0.05)]), thresholds=THRESHOLDS
    ).kind == ("answer")
    choices = decide(
        text="q",
        state=State(),
        match=_match([(7, 0.5), (8, 0.3), (9, 0.1), (10, 0.06), (11, 0.01)]),
        thresholds=THRESHOLDS,
    )
    assert (choices.kind, [a for a, _c in choices.articles]) == ("choices", [7, 8, 9])
    low = decide(text="q", state=State(), match=_match([(7, 0.2)]), thresholds=THRESHOLDS)
    assert (low.kind, low.reason) == ("handoff", "low_confidence")
    empty = decide(text="q", state=State(), match=_match([]), thresholds=THRESHOLDS)
    assert (empty.kind, empty.reason) == ("handoff", "low_confidence")


def test_decision_after_an_answer_and_after_choices():
    answered = State(last_kind="answer", offered=[7], offered_titles=["Reset"])
    never = _match([(9, 0.99)])
    assert decide(text="yes", state=answered, match=never, thresholds=THRESHOLDS).kind == (
        "resolved"
    )
    no = decide(text="没用", state=answered, match=never, thresholds=THRESHOLDS)
    assert (no.kind, no.reason, no.confirmed) == ("handoff", "not_helpful", False)
    offered = State(
        last_kind="choices",
        offered=[7, 8],
        offered_titles=["Reset your password", "Track your order"],
        offered_confidences=[0.5, 0.3],
    )
    pick = decide(text="2", state=offered, match=never, thresholds=THRESHOLDS)
    assert (pick.kind, pick.articles) == ("answer", [(8, 0.3)])
    none = decide(text="none of these", state=offered, match=never, thresholds=THRESHOLDS)
    assert (none.kind, none.reason) == ("handoff", "none_of_these")
    # Something else entirely is a new question.
    assert decide(text="where", state=offered, match=never, thresholds=THRESHOLDS).articles == [
        (9, 0.99)
    ]


def test_a_request_for_a_person_wins_in_any_state():
    for state in (State(), State(last_kind="answer"), State(last_kind="choices", offered=[1])):
        decision = decide(
            text="转人工", state=state, match=_match([(1, 1.0)]), thresholds=THRESHOLDS
        )
        assert (decision.kind, decision.reason) == ("handoff", "asked_for_person")
