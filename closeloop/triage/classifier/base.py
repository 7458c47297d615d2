"""The classifier interface: predictions, evaluations and the byte format of a trained model."""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from closeloop.core.errors import CloseloopError

# A trained model is ``MAGIC + backend name + b"\n" + pickle``. The name picks the class to
# rebuild before anything is unpickled, and a wrong or truncated blob fails with a clear error.
MAGIC = b"closeloop-triage-classifier/1 "


class ClassifierError(CloseloopError):
    """Base of the text classifier's errors."""

    code = "triage_classifier_error"


class UnknownBackendError(ClassifierError):
    """No backend has this name."""

    code = "triage_unknown_backend"


class BackendUnavailableError(ClassifierError):
    """The backend needs an optional package that is not installed."""

    code = "triage_backend_unavailable"


class TrainingDataError(ClassifierError):
    """The texts and labels cannot train a classifier."""

    code = "triage_bad_training_data"


class ModelBytesError(ClassifierError):
    """The bytes are not a model this version can load."""

    code = "triage_bad_model_bytes"


class NotFittedError(ClassifierError):
    """``predict`` was called before ``fit``."""

    code = "triage_not_fitted"


@dataclass(frozen=True)
class Prediction:
    """One text's label, its confidence in [0, 1] and the best labels with their scores."""

    label: str
    confidence: float
    top: list[tuple[str, float]]


@dataclass(frozen=True)
class LabelScores:
    """Precision, recall and F1 of one label, and how many test texts carry it."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ConfusionPair:
    """How often texts labelled ``expected`` were predicted as ``predicted``."""

    expected: str
    predicted: str
    count: int


@dataclass(frozen=True)
class Evaluation:
    """Accuracy, macro-F1, per-label scores and the most frequent confusions of a test set."""

    accuracy: float
    macro_f1: float
    per_label: dict[str, LabelScores]
    confusion_pairs: list[ConfusionPair]
    total: int


def check_training_data(texts: Sequence[str], labels: Sequence[str]) -> None:
    """Raise ``TrainingDataError`` unless the texts and labels can train a classifier."""
    if len(texts) != len(labels):
        raise TrainingDataError(f"{len(texts)} texts but {len(labels)} labels.")
    if not texts:
        raise TrainingDataError("There are no training texts.")
    distinct = set(labels)
    if len(distinct) < 2:
        raise TrainingDataError(
            f"A classifier needs at least two labels; the training data has only {distinct!r}."
        )


class TextClassifier(ABC):
    """Learns labels from texts; predicts with confidences; saves itself as bytes."""

    name: ClassVar[str]

    @abstractmethod
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TextClassifier:
        """Train on the texts and their labels; return ``self``."""

    @abstractmethod
    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Predict a label for each text, best first in ``top``."""

    @property
    @abstractmethod
    def labels(self) -> list[str]:
        """The labels the classifier learned, sorted."""

    def evaluate(self, texts: Sequence[str], labels: Sequence[str]) -> Evaluation:
        """Predict the texts and score the predictions against ``labels``."""
        from closeloop.triage.classifier.evaluation import evaluate_predictions

        if len(texts) != len(labels):
            raise TrainingDataError(f"{len(texts)} texts but {len(labels)} labels.")
        predicted = [prediction.label for prediction in self.predict(texts)]
        return evaluate_predictions(expected=list(labels), predicted=predicted)

    def to_bytes(self) -> bytes:
        """The trained model as bytes, for ``classifier_from_bytes``."""
        return MAGIC + self.name.encode("ascii") + b"\n" + pickle.dumps(self._state(), protocol=5)

    def _state(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def _from_state(cls, state: dict[str, Any]) -> TextClassifier:
        classifier = cls.__new__(cls)
        classifier.__dict__.update(state)
        return classifier

    @classmethod
    def from_bytes(cls, data: bytes) -> TextClassifier:
        """Rebuild a classifier saved by ``to_bytes`` (only from storage Closeloop wrote)."""
        if not data.startswith(MAGIC) or b"\n" not in data:
            raise ModelBytesError("These bytes are not a Closeloop triage classifier.")
        header, payload = data[len(MAGIC) :].split(b"\n", 1)
        name = header.decode("ascii", errors="replace")
        if cls is not TextClassifier and name != cls.name:
            raise ModelBytesError(f"These bytes hold a {name!r} classifier, not {cls.name!r}.")
        from closeloop.triage.classifier.registry import backend_class

        backend = backend_class(name)
        try:
            # The bytes come only from Closeloop's own database, written by ``to_bytes``.
            state = pickle.loads(payload)  # noqa: S301
        except Exception as error:
            raise ModelBytesError(f"The {name!r} classifier bytes are damaged: {error}") from None
        return backend._from_state(state)
