"""Every weight and bias of a network as one flat vector, and each W and b as a view into it.

An update rule's math is the same for every entry, so the fast path does it once over the whole vector
instead of once per array: two NumPy calls for a gradient-descent step instead of two per array, which is
most of what an iteration of 32 rows costs. Entry by entry the arithmetic is the same, so the result is too.
Each update makes a new vector and new views into it; nothing writes into a vector once it is made, so a
kept W (a snapshot, the tape's, the epoch history's) stays what it was.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Pair = tuple[np.ndarray, np.ndarray]


class FlatLayout:
    """Where each layer's W and b sit in the flat vector: W₁, b₁, W₂, b₂, … in that order."""

    def __init__(self, shapes: Sequence[tuple[tuple[int, ...], tuple[int, ...]]], dtype: np.dtype) -> None:
        """`shapes`: (W's shape, b's shape) per trainable layer, first to last."""
        self.dtype = dtype
        self.shapes = [(tuple(weight), tuple(bias)) for weight, bias in shapes]
        self.spans: list[tuple[int, int, int]] = []
        """(where W starts, where b starts, where b ends) per layer."""
        start = 0
        for weight, bias in self.shapes:
            middle = start + int(np.prod(weight))
            end = middle + int(np.prod(bias))
            self.spans.append((start, middle, end))
            start = end
        self.size = start

    @classmethod
    def of(cls, pairs: Sequence[Pair]) -> FlatLayout:
        return cls([(weight.shape, bias.shape) for weight, bias in pairs], pairs[0][0].dtype)

    def views(self, flat: np.ndarray) -> list[Pair]:
        """(W, b) per layer: views into `flat`, nothing copied."""
        return [(flat[start:middle].reshape(weight), flat[middle:end].reshape(bias))
                for (start, middle, end), (weight, bias) in zip(self.spans, self.shapes)]

    def gather(self, pairs: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
        """A new flat vector holding these (W, b) pairs' values."""
        flat = np.empty(self.size, self.dtype)
        for (start, middle, end), (weight, bias) in zip(self.spans, pairs, strict=True):
            flat[start:middle] = weight.reshape(-1)
            flat[middle:end] = bias.reshape(-1)
        return flat
