"""Confidences from decision scores: a softmax whose temperature is fitted on held-out scores."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

# Used when the training set is too small to hold any text out (a label seen once): linear SVM
# scores sit roughly in [-1.5, 1], and this keeps a clear winner near 0.7-0.9, not at 1.0.
FALLBACK_TEMPERATURE = 0.2


def scores_matrix(scores: np.ndarray) -> np.ndarray:
    """Decision scores as one column per class (two-class models return a single column)."""
    if scores.ndim == 1:
        return np.column_stack([-scores, scores])
    return scores


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``scores / temperature``."""
    scaled = scores / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exponent = np.exp(scaled)
    result: np.ndarray = exponent / exponent.sum(axis=1, keepdims=True)
    return result


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the log loss of held-out scores against their classes."""

    def log_loss(log_temperature: float) -> float:
        probabilities = softmax(scores, float(np.exp(log_temperature)))
        chosen = probabilities[np.arange(len(truth)), truth]
        return float(-np.log(np.clip(chosen, 1e-12, None)).mean())

    result = minimize_scalar(log_loss, bounds=(np.log(0.005), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))
