"""Scores of predicted labels against the expected ones: plain counting, no model involved."""

from __future__ import annotations

from collections import Counter

from closeloop.triage.classifier.base import ConfusionPair, Evaluation, LabelScores

CONFUSION_PAIRS_SHOWN = 10


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def evaluate_predictions(
    *, expected: list[str], predicted: list[str], pairs: int = CONFUSION_PAIRS_SHOWN
) -> Evaluation:
    """Accuracy, macro-F1 over every label seen, per-label scores and the top confusions."""
    if len(expected) != len(predicted):
        raise ValueError(f"{len(expected)} expected labels but {len(predicted)} predictions")
    correct: Counter[str] = Counter()
    support: Counter[str] = Counter(expected)
    predicted_count: Counter[str] = Counter(predicted)
    confusions: Counter[tuple[str, str]] = Counter()
    for truth, guess in zip(expected, predicted, strict=True):
        if truth == guess:
            correct[truth] += 1
        else:
            confusions[(truth, guess)] += 1
    per_label: dict[str, LabelScores] = {}
    for label in sorted(set(expected) | set(predicted)):
        precision = _ratio(correct[label], predicted_count[label])
        recall = _ratio(correct[label], support[label])
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = LabelScores(
            precision=precision, recall=recall, f1=f1, support=support[label]
        )
    macro_f1 = sum(s.f1 for s in per_label.values()) / len(per_label) if per_label else 0.0
    # Most frequent first; ties in a stable, readable order.
    ranked = sorted(confusions.items(), key=lambda item: (-item[1], item[0]))[:pairs]
    return Evaluation(
        accuracy=_ratio(sum(correct.values()), len(expected)),
        macro_f1=macro_f1,
        per_label=per_label,
        confusion_pairs=[ConfusionPair(expected=e, predicted=p, count=n) for (e, p), n in ranked],
        total=len(expected),
    )
