"""Per-matrix statistics, computed once per array and reused for every frame."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MatrixStats:
    shape: tuple[int, ...]
    dtype: str
    minimum: float
    maximum: float
    mean: float
    norm: float
    """Frobenius norm of the finite entries."""
    n_nan: int
    n_inf: int
    max_abs: float
    """Largest finite magnitude: the heat map's scale."""


def matrix_stats(array: np.ndarray) -> MatrixStats:
    """Over the finite entries only, so one NaN does not hide the rest of the picture."""
    values = np.asarray(array)
    with np.errstate(all="ignore"):
        finite_mask = np.isfinite(values)
        n_finite = int(finite_mask.sum())
        n_nan = int(np.isnan(values).sum())
        n_inf = values.size - n_finite - n_nan
        finite = values if n_finite == values.size else values[finite_mask]
        if n_finite:
            minimum, maximum = float(finite.min()), float(finite.max())
            mean = float(np.mean(finite, dtype=np.float64))
            max_abs = max(abs(minimum), abs(maximum))
            # Scaled by the largest magnitude so values near 1e200 do not overflow when squared.
            norm = max_abs * float(np.sqrt(np.sum(np.square(finite / max_abs, dtype=np.float64)))) if max_abs else 0.0
        else:
            minimum = maximum = mean = norm = max_abs = float("nan")
    return MatrixStats(values.shape, str(values.dtype), minimum, maximum, mean, norm, n_nan, n_inf, max_abs)


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory: every read-only view on a tape leads back to it."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


class StatsCache:
    """Stats keyed by the memory they describe, so the many views of one array share one entry.

    An entry is dropped when the owning array is garbage-collected, so a key can
    never be reused for different data.
    """

    def __init__(self) -> None:
        self._stats: dict[tuple, MatrixStats] = {}
        self.computed = 0

    def __call__(self, array: np.ndarray) -> MatrixStats:
        array = np.asarray(array)
        owner = _owner(array)
        key = (id(owner), array.__array_interface__["data"][0], array.shape, array.strides, array.dtype.str)
        stats = self._stats.get(key)
        if stats is None:
            stats = self._stats[key] = matrix_stats(array)
            self.computed += 1
            weakref.finalize(owner, self._stats.pop, key, None)
        return stats

    def __len__(self) -> int:
        return len(self._stats)
