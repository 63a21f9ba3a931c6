"""Why the layers add nothing without activations: they collapse into one linear map.

X·W₁·W₂·W₃ + ((b₁·W₂ + b₂)·W₃ + b₃) = X·W_eff + b_eff, which is the article's
conclusion; comparing W_eff with the generator's coefficients shows what the
network has learned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Parameters = Sequence[tuple[np.ndarray, np.ndarray]]


def effective_map(parameters: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """(W_eff, b_eff) of the whole network, in float64."""
    weight, bias = (np.asarray(a, dtype=np.float64) for a in parameters[0])
    for next_weight, next_bias in parameters[1:]:
        next_weight = np.asarray(next_weight, dtype=np.float64)
        weight = weight @ next_weight
        bias = bias @ next_weight + np.asarray(next_bias, dtype=np.float64)
    return weight, bias


def map_in_units(parameters: Parameters, feature_mean: np.ndarray, feature_std: np.ndarray, target_mean: float,
                 target_std: float) -> tuple[np.ndarray, float]:
    """The linear network's map in the data's own units: (one coefficient per feature, in target units per feature
    unit — dollars per square foot —, the intercept in target units).

    The network sees x' = (x − μₓ)/σₓ and predicts y' = x'·W_eff + b_eff, with y = σ_y·y' + μ_y. So
    y = Σᵢ (σ_y·wᵢ/σᵢ)·xᵢ + (μ_y + σ_y·b_eff − Σᵢ σ_y·wᵢ·μᵢ/σᵢ): each coefficient is the standardized one rescaled
    by the spreads, and the means fold into the intercept. A feature with σ = 0 (constant) carries no slope."""
    weight, bias = effective_map(parameters)
    w = weight[:, 0]
    std = np.asarray(feature_std, dtype=np.float64)
    mean = np.asarray(feature_mean, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(std > 0, target_std * w / np.where(std > 0, std, 1.0), 0.0)
    intercept = float(target_mean + target_std * bias[0, 0] - np.sum(slope * mean))
    return slope, intercept
