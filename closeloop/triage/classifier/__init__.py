"""Triage's text classifier: texts and labels in, labels with calibrated confidences out.

Pure Python over scikit-learn, no database: ``make_classifier(name)`` builds a backend
(``default``: TF-IDF + linear SVM; ``embedding``: adds sentence embeddings), ``to_bytes`` saves a
trained one and ``classifier_from_bytes`` loads it back.
"""

from closeloop.triage.classifier.base import (
    BackendUnavailableError,
    ClassifierError,
    ConfusionPair,
    Evaluation,
    LabelScores,
    ModelBytesError,
    NotFittedError,
    Prediction,
    TextClassifier,
    TrainingDataError,
    UnknownBackendError,
)
from closeloop.triage.classifier.evaluation import evaluate_predictions
from closeloop.triage.classifier.measure import Speed, measure_speed
from closeloop.triage.classifier.registry import (
    BACKENDS,
    backend_class,
    classifier_from_bytes,
    make_classifier,
)

__all__ = [
    "BACKENDS",
    "BackendUnavailableError",
    "ClassifierError",
    "ConfusionPair",
    "Evaluation",
    "LabelScores",
    "ModelBytesError",
    "NotFittedError",
    "Prediction",
    "Speed",
    "TextClassifier",
    "TrainingDataError",
    "UnknownBackendError",
    "backend_class",
    "classifier_from_bytes",
    "evaluate_predictions",
    "make_classifier",
    "measure_speed",
]
