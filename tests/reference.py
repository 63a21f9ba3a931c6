"""An independent reference for the tests: the network's loss written out directly in NumPy.

Nothing here imports scratchnet's math, so the tests compare scratchnet against
a second implementation, not against itself.
"""

from __future__ import annotations

import numpy as np


def forward_from(parameters, start_layer: int, start_input: np.ndarray) -> np.ndarray:
    """Run layers start_layer..L (1-based) on `start_input`."""
    output = start_input
    for weight, bias in parameters[start_layer - 1:]:
        output = output @ weight + bias
    return output


def loss_of_prediction(prediction: np.ndarray, y: np.ndarray) -> float:
    return float(((prediction - y) ** 2).sum() / prediction.size)


def central_difference(f, point: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """∂f/∂point, one entry at a time, on a float64 copy.

    With no activations the loss is a quadratic in any single entry, so the central
    difference has no truncation error and a large h only shrinks the rounding error.
    """
    point = np.array(point, dtype=np.float64)
    gradient = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + h
        up = f(point)
        point[index] = original - h
        down = f(point)
        point[index] = original
        gradient[index] = (up - down) / (2 * h)
    return gradient


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """The activations written out plainly (the plain sigmoid is fine for the values the tests draw)."""
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "tanh":
        return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def forward_activated(parameters, activations, X: np.ndarray) -> list[np.ndarray]:
    """Every layer's pre-activation Z, with `activations[l]` applied between layers (none after the last)."""
    zs, output = [], X
    for number, (weight, bias) in enumerate(parameters):
        z = output @ weight + bias
        zs.append(z)
        output = activate(activations[number], z) if number < len(parameters) - 1 else z
    return zs


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean over samples of −Σₖ y·log softmax(logits), by log-sum-exp."""
    top = logits.max(axis=1, keepdims=True)
    log_p = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    return float(-(y * log_p).sum(axis=1).mean())
