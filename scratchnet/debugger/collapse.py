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
