"""One seed, independent streams: the data, the weights, the shuffles of mini-batches, the held-out split.

Spawning (rather than drawing everything from one generator) is what keeps the initial weights the same
when only `--samples` changes, and keeps old seeds giving old runs as streams are added: children 0 and 1
of `SeedSequence(seed)` are the data and the weights, child 2 the shuffles (one grandchild per epoch),
child 3 the held-out split. A child's stream depends only on the seed and its own number.
"""

from __future__ import annotations

import math

import numpy as np

DATA, WEIGHTS, SHUFFLES, SPLIT = 0, 1, 2, 3
"""The children of SeedSequence(seed), by what they draw."""


def _child(seed: int, *key: int) -> np.random.Generator:
    """SeedSequence(seed).spawn(…)[key[0]] (and its children for a longer key), without spawning the others."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def make_rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """(data_rng, weight_rng)."""
    data_seq, weight_seq = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(data_seq), np.random.default_rng(weight_seq)


def shuffle_order(seed: int, epoch: int, rows: int) -> np.ndarray:
    """The order epoch `epoch` visits `rows` rows in: a pure function of (seed, epoch), from child 2's
    grandchild number `epoch`, so any epoch's batches can be drawn again without replaying the others."""
    return _child(seed, SHUFFLES, epoch).permutation(rows)


def held_out_count(rows: int, fraction: float) -> int:
    """⌈f·N⌉ rows held out (a hair of tolerance, so 0.3 of 10 is 3, not the 4 that 0.3·10 = 3.0000000000000004
    would ceil to); 0 when f is 0."""
    return 0 if fraction <= 0 else math.ceil(fraction * rows - 1e-9)


def split_rows(seed: int, rows: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows), each in data order: ⌈f·N⌉ rows drawn by child 3 of the seed."""
    held = held_out_count(rows, fraction)
    order = _child(seed, SPLIT).permutation(rows)
    return np.sort(order[held:]), np.sort(order[:held])
