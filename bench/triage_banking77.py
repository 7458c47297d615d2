"""Triage classifier on Banking77: accuracy, macro-F1, training seconds, predictions/s.

Trains on the official ``train.csv`` (10,003 bank customer messages, 77 intents) and scores on
``test.csv`` (3,080), as the dataset's README asks. No database: the classifier is pure Python.
The dataset lives in the workspace's ``shared/datasets/banking77``, beside the repository.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from closeloop.triage.classifier import make_classifier, measure_speed

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = REPO_ROOT.parent / "shared" / "datasets" / "banking77"

TARGET_ACCURACY = {"default": 0.915, "embedding": 0.94}
TARGET_TRAINING_SECONDS = 120.0
TARGET_PREDICTIONS_PER_SECOND = 2000.0
TARGET_SINGLE_P95_MS = 5.0

OPTIONS_HELP = {
    "backend": "classifier backend: default or embedding",
    "dataset": f"folder with train.csv and test.csv (default {DEFAULT_DATASET})",
    "single_samples": "how many test texts to time one by one",
}


def _read(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["label"] for row in rows]


def run(
    *, backend: str = "default", dataset: str = "", single_samples: int = 300
) -> dict[str, Any]:
    """Train ``backend`` on Banking77's train split, score it on the test split, time it."""
    folder = Path(dataset) if dataset else DEFAULT_DATASET
    if not (folder / "train.csv").is_file() or not (folder / "test.csv").is_file():
        raise FileNotFoundError(f"Banking77's train.csv and test.csv are not in {folder}")
    train_texts, train_labels = _read(folder / "train.csv")
    test_texts, test_labels = _read(folder / "test.csv")
    classifier = make_classifier(backend)
    started = time.perf_counter()
    classifier.fit(train_texts, train_labels)
    training_seconds = time.perf_counter() - started
    evaluation = classifier.evaluate(test_texts, test_labels)
    speed = measure_speed(classifier, test_texts, single_samples=single_samples)
    target_accuracy = TARGET_ACCURACY.get(backend, TARGET_ACCURACY["default"])
    return {
        "backend": backend,
        "train_texts": len(train_texts),
        "test_texts": len(test_texts),
        "labels": len(classifier.labels),
        "accuracy": round(evaluation.accuracy, 4),
        "macro_f1": round(evaluation.macro_f1, 4),
        "training_seconds": round(training_seconds, 2),
        "predictions_per_second": round(speed.predictions_per_second),
        "single_p50_ms": round(speed.single_p50_ms, 3),
        "single_p95_ms": round(speed.single_p95_ms, 3),
        "most_confused": [
            f"{pair.expected} -> {pair.predicted}: {pair.count}"
            for pair in evaluation.confusion_pairs[:5]
        ],
        "targets": {
            "accuracy": target_accuracy,
            "accuracy_met": evaluation.accuracy >= target_accuracy,
            "training_seconds_met": training_seconds <= TARGET_TRAINING_SECONDS,
            "predictions_per_second_met": (
                speed.predictions_per_second >= TARGET_PREDICTIONS_PER_SECOND
            ),
            "single_p95_met": speed.single_p95_ms <= TARGET_SINGLE_P95_MS,
        },
    }
