"""Gradient health: how large each layer's weight gradient is, and how far an update moves its weights.

Vanishing gradients show as ‖dWₗ‖ and ‖ΔWₗ‖/‖Wₗ‖ falling by orders of magnitude from the last layer to the
first; exploding ones as the same numbers growing epoch by epoch before the loss turns non-finite. Both read what
training already keeps (the last step's gradients, the parameters at each epoch), so measuring costs a few norms
of small matrices per epoch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scratchnet.network import DenseNetwork


def gradient_norms(network: DenseNetwork) -> tuple[float, ...]:
    """‖dWₗ‖ (Frobenius) of each trainable layer, first to last, from the gradients its last step made."""
    norms = []
    with np.errstate(all="ignore"):
        for layer in network.layers:
            gradient = getattr(layer, "weight_gradient", None) if layer.trainable else None
            if layer.trainable:
                norms.append(math.nan if gradient is None else float(np.linalg.norm(gradient)))
    return tuple(norms)


def update_ratios(before: Sequence[tuple[np.ndarray, np.ndarray]],
                  after: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[float, ...]:
    """‖Wₗ' − Wₗ‖ / ‖Wₗ‖ of each trainable layer between two sets of parameters (an epoch's start and end): how
    far its weights moved, as a share of their size. Around 1e-3 is healthy; far below, the layer barely learns."""
    ratios = []
    with np.errstate(all="ignore"):
        for (weight, _), (new_weight, _) in zip(before, after, strict=True):
            size = float(np.linalg.norm(weight))
            moved = float(np.linalg.norm(new_weight - weight))
            ratios.append(moved / size if size > 0 else (math.inf if moved > 0 else 0.0))
    return tuple(ratios)
