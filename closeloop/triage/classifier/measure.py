"""Prediction speed of a trained classifier: batch throughput and single-text latency."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from closeloop.triage.classifier.base import TextClassifier

BATCH_SIZE = 256
SINGLE_SAMPLES = 300


@dataclass(frozen=True)
class Speed:
    """Predictions per second in batches, and milliseconds for one text on its own."""

    predictions_per_second: float
    single_p50_ms: float
    single_p95_ms: float


def _percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def measure_speed(
    classifier: TextClassifier, texts: Sequence[str], *, single_samples: int = SINGLE_SAMPLES
) -> Speed:
    """Time ``texts`` in batches of ``BATCH_SIZE``, then up to ``single_samples`` one by one."""
    texts = list(texts)
    if not texts:
        raise ValueError("measuring speed needs at least one text")
    classifier.predict(texts[:1])  # warm-up: first-call imports and caches are not measured
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH_SIZE):
        classifier.predict(texts[start : start + BATCH_SIZE])
    elapsed = time.perf_counter() - started
    latencies = []
    for text in texts[:single_samples]:
        began = time.perf_counter()
        classifier.predict([text])
        latencies.append((time.perf_counter() - began) * 1000)
    latencies.sort()
    return Speed(
        predictions_per_second=len(texts) / elapsed if elapsed else float("inf"),
        single_p50_ms=_percentile(latencies, 0.50),
        single_p95_ms=_percentile(latencies, 0.95),
    )
