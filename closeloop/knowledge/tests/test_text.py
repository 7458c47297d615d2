"""The search tokeniser: the same tokens for the index and for queries, on both databases."""

from hypothesis import given
from hypothesis import strategies as st

from closeloop.knowledge.text import MAX_TOKEN_LENGTH, token_spans, tokenize


def test_latin_words_are_folded_and_split_on_punctuation():
    assert tokenize("Refund-my CARD, please! (order #1001)") == [
        "refund", "my", "card", "please", "order", "1001",
    ]  # fmt: skip


def test_full_width_and_compatibility_forms_are_normalised():
    assert tokenize("Ｈｅｌｌｏ ＷＯＲＬＤ １２３") == ["hello", "world", "123"]
    assert tokenize("Straße") == ["strasse"]


def test_chinese_is_segmented_for_search():
    tokens = tokenize("我想申请售后服务")
    assert {"售后", "服务", "售后服务", "申请"} <= set(tokens)


def test_mixed_scripts_split_at_the_script_boundary():
    assert tokenize("iphone15手机坏了")[:2] == ["iphone15", "手机"]


def test_punctuation_only_gives_nothing():
    assert tokenize("!!! ，。？ --- ***") == []
    assert tokenize("") == []


def test_overlong_words_are_dropped():
    assert tokenize("a" * (MAX_TOKEN_LENGTH + 1) + " ok") == ["ok"]


def test_spans_point_into_the_original_text():
    text = "Refund: 申请退款 NOW"
    spans = token_spans(text)
    assert ("refund", 0, 6) in spans
    assert ("now", 13, 16) in spans
    for token, start, end in spans:
        assert text[start:end].casefold() == token


def test_spans_give_the_same_tokens_for_plain_text():
    text = "Card arrival 银行卡 到账 delay"
    assert [token for token, _start, _end in token_spans(text)] == tokenize(text)


@given(st.text(max_size=300))
def test_tokenize_never_crashes_and_tokens_are_letters_and_digits(text):
    tokens = tokenize(text)
    for token in tokens:
        assert token
        assert " " not in token
        assert token.isalnum()
        assert len(token) <= MAX_TOKEN_LENGTH


@given(st.text(max_size=200))
def test_spans_never_crash_and_stay_inside_the_text(text):
    for token, start, end in token_spans(text):
        assert 0 <= start < end <= len(text)
        assert token.isalnum()
