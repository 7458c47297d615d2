"""Backends by name; each is imported only when asked for, so optional packages stay optional."""

from __future__ import annotations

import importlib
from typing import Any

from closeloop.triage.classifier.base import TextClassifier, UnknownBackendError

BACKENDS: dict[str, str] = {
    "default": "closeloop.triage.classifier.linear:TfidfSvmClassifier",
    "embedding": "closeloop.triage.classifier.embedding:EmbeddingClassifier",
}


def backend_class(name: str) -> type[TextClassifier]:
    """The classifier class registered as ``name``."""
    if name not in BACKENDS:
        known = ", ".join(sorted(BACKENDS))
        raise UnknownBackendError(f"There is no classifier backend {name!r} (backends: {known}).")
    module_name, class_name = BACKENDS[name].split(":")
    backend: type[TextClassifier] = getattr(importlib.import_module(module_name), class_name)
    return backend


def make_classifier(name: str = "default", **options: Any) -> TextClassifier:
    """A new, untrained classifier of the backend ``name``."""
    return backend_class(name)(**options)


def classifier_from_bytes(data: bytes) -> TextClassifier:
    """Rebuild a classifier saved by ``TextClassifier.to_bytes``, whatever its backend."""
    return TextClassifier.from_bytes(data)
