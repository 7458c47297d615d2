"""``closeloop triage``: the ticket classifier on the command line (``triage eval`` for now)."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.core.errors import CloseloopError
from closeloop.triage.classifier import (
    BACKENDS,
    make_classifier,
    measure_speed,
)
from closeloop.triage.models import ClassifierVersion
from closeloop.triage.training import classifier_train
from closeloop.triage.versions import version_activate, version_rollback

REQUIRED_COLUMNS = ("text", "label")


def read_labelled_csv(path: str, *, option: str) -> tuple[list[str], list[str]]:
    """Texts and labels from a UTF-8 CSV file with ``text`` and ``label`` columns."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{option}: there is no file {path}.")
    texts: list[str] = []
    labels: list[str] = []
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in REQUIRED_COLUMNS if name not in (reader.fieldnames or [])]
            if missing:
                found = ", ".join(reader.fieldnames or []) or "none"
                raise CommandError(
                    f"{option}: {path} needs the columns text,label; "
                    f"missing {', '.join(missing)} (columns found: {found})."
                )
            for row in reader:
                text = (row["text"] or "").strip()
                label = (row["label"] or "").strip()
                if not text or not label:
                    raise CommandError(
                        f"{option}: {path} line {reader.line_num} has an empty text or label."
                    )
                texts.append(text)
                labels.append(label)
    except (UnicodeDecodeError, csv.Error) as error:
        raise CommandError(f"{option}: {path} is not a readable UTF-8 CSV file: {error}") from None
    if not texts:
        raise CommandError(f"{option}: {path} has no rows.")
    return texts, labels


class Command(BaseCommand):
    help = (
        "The ticket classifier: triage train [--activate] | list | activate N | rollback | "
        "eval --train TRAIN.csv --test TEST.csv [--backend NAME]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        evaluate = actions.add_parser(
            "eval", help="train on one CSV file (text,label), score on another"
        )
        evaluate.add_argument("--train", required=True, help="CSV file with text,label columns")
        evaluate.add_argument("--test", required=True, help="CSV file with text,label columns")
        evaluate.add_argument(
            "--backend", default="default", help=f"one of: {', '.join(sorted(BACKENDS))}"
        )
        evaluate.add_argument(
            "--pairs", type=int, default=10, help="how many confused label pairs to print"
        )
        train = actions.add_parser(
            "train", help="train a new version on the labelled tickets in the database"
        )
        train.add_argument(
            "--backend", default="default", help=f"one of: {', '.join(sorted(BACKENDS))}"
        )
        train.add_argument("--activate", action="store_true", help="make it the active version")
        actions.add_parser("list", help="the stored versions with their evaluation")
        activate = actions.add_parser("activate", help="make a stored version the active one")
        activate.add_argument("number", type=int)
        actions.add_parser("rollback", help="go back to the version active before this one")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "eval":
                self._evaluate(**options)
            elif action == "train":
                self._train(backend=options["backend"], activate=options["activate"])
            elif action == "list":
                self._list()
            elif action == "activate":
                self._activate(options["number"])
            elif action == "rollback":
                version = version_rollback()
                self.stdout.write(f"Version {version.number} is active again.")
        except CloseloopError as error:
            raise CommandError(str(error.message)) from None

    def _train(self, *, backend: str, activate: bool) -> None:
        version = classifier_train(backend=backend, trained_by="command line", activate=activate)
        evaluation = version.evaluation
        state = "active" if activate else "stored, not active"
        self.stdout.write(
            f"Version {version.number} ({version.backend}, {state}): "
            f"{version.examples_count} tickets, {len(version.labels)} categories, "
            f"held-out accuracy {evaluation.get('accuracy', float('nan')):.3f}, "
            f"macro-F1 {evaluation.get('macro_f1', float('nan')):.3f}, "
            f"{evaluation.get('training_seconds', 0):.1f} s"
        )

    def _list(self) -> None:
        versions = ClassifierVersion.objects.defer("model").order_by("-number")
        if not versions:
            self.stdout.write("No classifier version yet: closeloop triage train --activate")
        for version in versions:
            evaluation = version.evaluation or {}
            self.stdout.write(
                f"{'*' if version.is_active else ' '} {version.number:>4}  {version.backend:<10}"
                f" {version.created_at:%Y-%m-%d %H:%M}  {version.examples_count:>6} tickets"
                f"  accuracy {evaluation.get('accuracy', float('nan')):.3f}"
                f"  macro-F1 {evaluation.get('macro_f1', float('nan')):.3f}"
            )

    def _activate(self, number: int) -> None:
        version = ClassifierVersion.objects.defer("model").filter(number=number).first()
        if version is None:
            raise CommandError(f"There is no classifier version {number}.")
        version_activate(version)
        self.stdout.write(f"Version {number} is active.")

    def _evaluate(self, *, train: str, test: str, backend: str, pairs: int, **options: Any) -> None:
        train_texts, train_labels = read_labelled_csv(train, option="--train")
        test_texts, test_labels = read_labelled_csv(test, option="--test")
        classifier = make_classifier(backend)
        started = time.perf_counter()
        classifier.fit(train_texts, train_labels)
        training_seconds = time.perf_counter() - started
        evaluation = classifier.evaluate(test_texts, test_labels)
        speed = measure_speed(classifier, test_texts)
        unseen = sorted(set(test_labels) - set(classifier.labels))
        write = self.stdout.write
        write(f"backend             {classifier.name}")
        write(f"train / test texts  {len(train_texts)} / {len(test_texts)}")
        write(f"labels              {len(classifier.labels)}")
        write(f"accuracy            {evaluation.accuracy:.4f}")
        write(f"macro-F1            {evaluation.macro_f1:.4f}")
        write(f"training seconds    {training_seconds:.2f}")
        write(f"predictions/second  {speed.predictions_per_second:.0f}")
        write(f"single p95 ms       {speed.single_p95_ms:.2f}")
        if unseen:
            write(f"labels not in train {', '.join(unseen)}")
        confusions = evaluation.confusion_pairs[:pairs]
        if confusions:
            write("most confused (expected -> predicted: count)")
            for pair in confusions:
                write(f"  {pair.expected} -> {pair.predicted}: {pair.count}")
