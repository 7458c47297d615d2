"""FAQ bot accuracy on Banking77 turned into an FAQ: top-1 accuracy and what the thresholds do.

One article per intent, written from the official ``train.csv``: its title from the intent
name (``card_arrival`` → "Card arrival"), its example questions the intent's training texts.
The ``test.csv`` texts (3,080) are the customer questions. No database: the matcher and the
decision are pure, exactly as the bot runs them.

Figures: *top-1 accuracy* (the best article is the right one; target ≥ 0.85); with the
default thresholds (answer ≥ 0.6, choices ≥ 0.25, 3 choices) the share of questions
answered, offered choices and handed off, the accuracy of the answered ones, and the share
*correctly handed off*: of the questions whose best article is wrong, the share the
thresholds send to a person or to choices that include the right article.
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from closeloop.knowledge.bot.decide import State, Thresholds, decide
from closeloop.knowledge.bot.matcher import ArticleText, FaqMatcher

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = REPO_ROOT.parent / "shared" / "datasets" / "banking77"
TARGET_ACCURACY = 0.85
SWEEP = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)

OPTIONS_HELP = {
    "dataset": f"folder with train.csv and test.csv (default {DEFAULT_DATASET})",
    "answer_threshold": "the bot answers at or above this confidence (default 0.6)",
    "choices_threshold": "it offers choices at or above this one (default 0.25)",
    "max_choices": "how many articles a choice offers (default 3)",
}


def _read(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def articles_from(rows: list[tuple[str, str]]) -> tuple[list[ArticleText], dict[str, int]]:
    """One article per intent: title from the intent's name, its texts as questions."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, label in rows:
        by_intent[label].append(text)
    ids = {label: number for number, label in enumerate(sorted(by_intent), start=1)}
    articles = [
        ArticleText(
            id=ids[label],
            version=1,
            title=label.replace("_", " ").capitalize(),
            questions=texts,
        )
        for label, texts in sorted(by_intent.items())
    ]
    return articles, ids


def outcomes(
    ranked: list[list[tuple[int, float]]], truth: list[int], thresholds: Thresholds
) -> dict[str, float]:
    """Shares answered / choices / handed off, answered accuracy, correctly handed off."""
    counts = {"answer": 0, "choices": 0, "handoff": 0}
    answered_right = 0
    wrong_top = 0
    caught = 0
    for candidates, expected in zip(ranked, truth, strict=True):
        decision = decide(
            text="?",
            state=State(),
            match=lambda _text, found=candidates: _as_match(found),
            thresholds=thresholds,
        )
        counts[decision.kind] += 1
        offered = [article for article, _confidence in decision.articles]
        top_is_right = bool(candidates) and candidates[0][0] == expected
        if decision.kind == "answer" and offered[0] == expected:
            answered_right += 1
        if not top_is_right:
            wrong_top += 1
            if decision.kind == "handoff" or (decision.kind == "choices" and expected in offered):
                caught += 1
    total = len(truth)
    return {
        "answered": round(counts["answer"] / total, 4),
        "choices": round(counts["choices"] / total, 4),
        "handed_off": round(counts["handoff"] / total, 4),
        "answered_accuracy": round(answered_right / counts["answer"], 4) if counts["answer"] else 0,
        "correctly_handed_off": round(caught / wrong_top, 4) if wrong_top else 1.0,
        "wrong_top": wrong_top,
    }


def _as_match(found: list[tuple[int, float]]) -> Any:
    from closeloop.knowledge.bot.matcher import Match

    return Match(ranked=found)


def run(
    *,
    dataset: str = "",
    answer_threshold: float = 0.6,
    choices_threshold: float = 0.25,
    max_choices: int = 3,
) -> dict[str, Any]:
    """Build the FAQ from the train split, ask the test split, score the bot's decisions."""
    folder = Path(dataset) if dataset else DEFAULT_DATASET
    if not (folder / "train.csv").is_file() or not (folder / "test.csv").is_file():
        raise FileNotFoundError(f"Banking77's train.csv and test.csv are not in {folder}")
    articles, ids = articles_from(_read(folder / "train.csv"))
    test = _read(folder / "test.csv")
    started = time.perf_counter()
    matcher = FaqMatcher.train(articles)
    training_seconds = time.perf_counter() - started
    if matcher is None:
        raise RuntimeError("The matcher could not be trained on Banking77.")
    truth = [ids[label] for _text, label in test]
    started = time.perf_counter()
    ranked = [matcher.match(text).ranked for text, _label in test]
    per_question_ms = (time.perf_counter() - started) / len(test) * 1000
    top1 = sum(
        1
        for found, expected in zip(ranked, truth, strict=True)
        if found and found[0][0] == expected
    ) / len(truth)
    top3 = sum(
        1
        for found, expected in zip(ranked, truth, strict=True)
        if expected in [article for article, _c in found[:3]]
    ) / len(truth)
    thresholds = Thresholds(
        answer=answer_threshold, choices=choices_threshold, max_choices=max_choices
    )
    sweep = {
        f"answer>={level}": outcomes(
            ranked,
            truth,
            Thresholds(
                answer=level, choices=min(choices_threshold, level), max_choices=max_choices
            ),
        )
        for level in SWEEP
    }
    return {
        "articles": len(articles),
        "questions": len(test),
        "examples": sum(len(article.examples()) for article in articles),
        "training_seconds": round(training_seconds, 2),
        "match_ms_per_question": round(per_question_ms, 3),
        "top1_accuracy": round(top1, 4),
        "top3_accuracy": round(top3, 4),
        "thresholds": {
            "answer": answer_threshold,
            "choices": choices_threshold,
            "max_choices": max_choices,
        },
        "with_thresholds": outcomes(ranked, truth, thresholds),
        "answer_threshold_sweep": sweep,
        "targets": {"top1_accuracy": TARGET_ACCURACY, "met": top1 >= TARGET_ACCURACY},
    }
