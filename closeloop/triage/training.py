"""Training the ticket classifier on the organisation's own labelled tickets.

Examples are tickets whose category an agent set or corrected, or which the classifier
placed confidently (``decisions.training_examples``). A stratified fifth is held out to
evaluate; the stored model is then fitted on every example, so nothing the team labelled is
left out, and the evaluation describes that recipe. A new version is stored, and activated
only when asked: activation and rollback are explicit (``versions``).
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from closeloop.core.errors import InvalidInput
from closeloop.triage.classifier import make_classifier
from closeloop.triage.decisions import training_examples
from closeloop.triage.models import ClassifierVersion
from closeloop.triage.versions import version_activate, version_store

MIN_EXAMPLES = 20
HOLDOUT = 0.2
SEED = 20261123


def _split(
    texts: Sequence[str], labels: Sequence[str], *, holdout: float
) -> tuple[list[int], list[int]]:
    """Indexes to train on and to test on: a share of each label's examples held out,
    labels with a single example kept in training only."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    rng = random.Random(SEED)  # noqa: S311 - a reproducible split, not a secret
    train: list[int] = []
    test: list[int] = []
    for indexes in by_label.values():
        rng.shuffle(indexes)
        held = int(len(indexes) * holdout) if len(indexes) > 1 else 0
        test.extend(indexes[:held])
        train.extend(indexes[held:])
    return sorted(train), sorted(test)


def classifier_train(
    *, backend: str = "default", trained_by: str = "", activate: bool = False
) -> ClassifierVersion:
    """Train a new classifier version from the database and store it with its evaluation."""
    examples = list(training_examples())
    texts = [text for text, _label in examples]
    labels = [label for _text, label in examples]
    if len(examples) < MIN_EXAMPLES or len(set(labels)) < 2:
        raise InvalidInput(
            _(
                "Not enough labelled tickets to train on: %(count)d with %(labels)d categories "
                "(at least %(minimum)d tickets in 2 categories)."
            )
            % {"count": len(examples), "labels": len(set(labels)), "minimum": MIN_EXAMPLES}
        )
    train, test = _split(texts, labels, holdout=HOLDOUT)
    evaluation: dict[str, Any] = {}
    if test:
        trial = make_classifier(backend).fit([texts[i] for i in train], [labels[i] for i in train])
        evaluation = dataclasses.asdict(
            trial.evaluate([texts[i] for i in test], [labels[i] for i in test])
        )
    started = time.perf_counter()
    classifier = make_classifier(backend).fit(texts, labels)
    evaluation["training_seconds"] = round(time.perf_counter() - started, 2)
    evaluation["held_out"] = len(test)
    version = version_store(
        backend=classifier.name,
        blob=classifier.to_bytes(),
        labels=classifier.labels,
        evaluation=evaluation,
        examples=len(examples),
        trained_by=trained_by,
    )
    if activate:
        version_activate(version)
    return version
