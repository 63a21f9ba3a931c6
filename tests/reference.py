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
