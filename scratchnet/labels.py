"""Class labels as the network sees them (one-hot rows) and back, and the share a network gets right.

A classification target is the one-hot matrix y (N×K): row i holds a 1 in the column of sample i's
class and 0 elsewhere, the classes in sorted order. These are pure functions of arrays, tested on their own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def one_hot(indices: np.ndarray | Sequence[int], classes: int, dtype: np.dtype | str = "float64") -> np.ndarray:
    """The N×`classes` matrix with a 1 at (i, indices[i]) and 0 elsewhere."""
    indices = np.asarray(indices, dtype=np.intp)
    if indices.ndim != 1:
        raise ValueError(f"class indices must be one per row (a 1-D array), not shape {indices.shape}")
    if indices.size and (indices.min() < 0 or indices.max() >= classes):
        raise ValueError(f"class indices must lie in 0…{classes - 1}")
    encoded = np.zeros((indices.size, classes), dtype=dtype)
    encoded[np.arange(indices.size), indices] = 1
    return encoded


def class_indices(y_onehot: np.ndarray) -> np.ndarray:
    """The class of each row of a one-hot target: the column of its 1."""
    y_onehot = np.asarray(y_onehot)
    if y_onehot.ndim != 2:
        raise ValueError(f"a one-hot target is a matrix (N×K), not shape {y_onehot.shape}")
    return np.argmax(y_onehot, axis=1)


def labels_of(y_onehot: np.ndarray, class_names: Sequence[str]) -> list[str]:
    """The class name of each row of a one-hot target."""
    if np.shape(y_onehot)[-1] != len(class_names):
        raise ValueError(f"{len(class_names)} class names for a target of {np.shape(y_onehot)[-1]} columns")
    return [class_names[index] for index in class_indices(y_onehot)]


def predicted_classes(scores: np.ndarray) -> np.ndarray:
    """Each row's predicted class: the column of its highest score (probabilities or logits alike, since
    softmax keeps the order). A tie goes to the lowest column; a row holding a NaN predicts no class: −1."""
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores are a matrix (N×K), not shape {scores.shape}")
    with np.errstate(invalid="ignore"):
        predicted = np.argmax(scores, axis=1)  # the first of equal maxima: the lowest index
    predicted[np.isnan(scores).any(axis=1)] = -1
    return predicted


def accuracy(scores: np.ndarray, y_onehot: np.ndarray) -> float:
    """The share of rows whose highest score (P or logits) is at the true class, in [0, 1].

    A tie goes to the lowest column (NumPy's argmax); a row whose scores hold a NaN predicts no class and
    counts as wrong; no rows at all: NaN.
    """
    scores, y_onehot = np.asarray(scores), np.asarray(y_onehot)
    if scores.shape != y_onehot.shape:
        raise ValueError(f"scores of shape {scores.shape} against a target of shape {y_onehot.shape}")
    if scores.shape[0] == 0:
        return float("nan")
    return float(np.mean(predicted_classes(scores) == class_indices(y_onehot)))
