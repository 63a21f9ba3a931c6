"""One seed, two independent streams: data and weights.

Spawning (rather than drawing both from one generator) is what keeps the initial
weights the same when only `--samples` changes.
"""

from __future__ import annotations

import numpy as np


def make_rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """(data_rng, weight_rng)."""
    data_seq, weight_seq = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(data_seq), np.random.default_rng(weight_seq)
