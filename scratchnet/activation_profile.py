"""An activation seen over one batch: σ (or σ') across the range its Z took, and where the Z values fell.

A unit passes back what arrives times σ'(Z), so the entries whose σ' is (nearly) 0 are the ones that stop
learning: a ReLU's Z ≤ 0 (dead when that holds for every sample), the flat tails of tanh and sigmoid
(saturated). The curve is the activation's own `forward` and `get_local_derivative_wrt_inputs`, run on a fresh
instance over evenly spaced points, so what is drawn is the function that ran, and the tape is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from scratchnet.activation import SATURATED, Activation
from scratchnet.debugger.tape import Phase
from scratchnet.network import DenseNetwork

CHUNK = 1 << 18
"""Entries of Z worked on at a time."""
FINE_BINS = 2048
"""Bins Z's entries are counted in, once: a plot's bars, however wide, are read from them."""
ACTIVATION_KINDS = ("activation", "activation_gradient")
"""The kinds of the phases an activation records: σ on the way forward, σ' on the way back."""


@dataclass(frozen=True)
class ActivationAt:
    """The activation a phase belongs to, and the name of the Z it reads (Z1, …)."""

    activation: type[Activation]
    z_name: str
    backward: bool
    """True on `backward.l.activation` (σ' is what that phase multiplies by), False on `activation.l`."""


def activation_at(network: DenseNetwork, phase: Phase) -> ActivationAt | None:
    """The activation whose phase `phase` is, in the network that recorded it; None for every other phase."""
    if phase.kind not in ACTIVATION_KINDS:
        return None
    for operation, place in zip(network.layers, network.places()):
        if isinstance(operation, Activation) and place.layer == phase.layer and place.input in phase.inputs:
            return ActivationAt(type(operation), place.input, phase.kind == "activation_gradient")
    return None


@dataclass(frozen=True)
class HeldBack:
    """The entries of Z whose σ' is at most SATURATED: they pass (almost) no gradient back."""

    entries: int
    size: int
    """Entries of Z."""
    units: int
    """Columns of Z: one per unit of the layer."""
    whole_units: int
    """Units held back for every sample of the batch: dead, for a ReLU."""

    @property
    def share(self) -> float:
        """The share of Z's entries held back, in [0, 1]."""
        return self.entries / self.size if self.size else 0.0


@dataclass(frozen=True)
class ActivationProfile:
    """An activation over one batch's Z: its finite range, how its entries spread over it, and those held back.

    Made in one pass over Z (`activation_profile`); a plot of any width then asks for its curve and its bars,
    which cost nothing that grows with the batch."""

    activation: type[Activation]
    low: float
    """The smallest finite entry of Z (less 1 when Z takes a single value; −1 when none is finite)."""
    high: float
    fine_counts: np.ndarray
    """How many finite entries fall in each of FINE_BINS equal bins that split [low, high]."""
    held: HeldBack

    def curve(self, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(z, σ(z), σ'(z)) at `points` evenly spaced points from low to high."""
        z = np.linspace(self.low, self.high, max(points, 2))
        return (z, *sigma_curve(self.activation, z))

    def counts(self, bins: int) -> np.ndarray:
        """The entries in each of `bins` equal bins over [low, high]: the fine counts' running total read at the
        bins' edges, shared linearly where an edge cuts a fine bin (a float per bin, summing to every entry)."""
        total = np.concatenate([[0.0], np.cumsum(self.fine_counts, dtype=np.float64)])
        fine_edges = np.linspace(0.0, 1.0, len(self.fine_counts) + 1)
        return np.diff(np.interp(np.linspace(0.0, 1.0, max(bins, 1) + 1), fine_edges, total))

    def held_back_bins(self, bins: int) -> np.ndarray:
        """Per bin of `bins` equal bins: whether σ' at its centre is at most SATURATED."""
        edges = np.linspace(self.low, self.high, max(bins, 1) + 1)
        with np.errstate(all="ignore"):
            return sigma_curve(self.activation, (edges[:-1] + edges[1:]) / 2)[1] <= SATURATED


def sigma_curve(activation: type[Activation], z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σ(z), σ'(z)) by the activation's own forward and local derivative, on a fresh instance."""
    operation = activation()
    sigma = np.asarray(operation.forward(z), dtype=np.float64)
    return sigma, np.asarray(operation.get_local_derivative_wrt_inputs(), dtype=np.float64)


def _row_blocks(Z: np.ndarray) -> Iterator[np.ndarray]:
    """Z a block of rows at a time, about CHUNK entries each: the temporaries of a 100,000 × 256 Z stay small."""
    rows = max(1, CHUNK // max(1, Z.shape[1]))
    for start in range(0, Z.shape[0], rows):
        yield Z[start:start + rows]


def finite_range(Z: np.ndarray) -> tuple[float, float] | None:
    """The smallest and largest finite entry of Z; None when it has none."""
    low, high = np.inf, -np.inf
    for block in _row_blocks(np.atleast_2d(np.asarray(Z))):
        finite = np.isfinite(block)
        low = min(low, float(np.min(block, where=finite, initial=np.inf)))
        high = max(high, float(np.max(block, where=finite, initial=-np.inf)))
    return (low, high) if low <= high else None


def activation_profile(activation: type[Activation], Z: np.ndarray,
                       should_stop: Callable[[], bool] | None = None) -> ActivationProfile | None:
    """Z's finite range (widened by 1 each way when Z takes one value, [−1, 1] when it has none), its finite
    entries counted in FINE_BINS bins, and the entries and whole units whose σ'(Z) ≤ SATURATED, by the
    activation's own forward and local derivative on a fresh instance, a block of rows at a time.

    `should_stop` is asked between blocks (a worker's cancellation); None is returned when it says yes."""
    Z = np.atleast_2d(np.asarray(Z))
    low, high = finite_range(Z) or (-1.0, 1.0)
    if low == high:
        low, high = low - 1.0, high + 1.0
    counts = np.zeros(FINE_BINS, dtype=np.int64)
    entries, whole = 0, np.ones(Z.shape[1], dtype=bool)
    with np.errstate(all="ignore"):
        for block in _row_blocks(Z):
            if should_stop is not None and should_stop():
                return None
            is_finite = np.isfinite(block)
            index = np.floor((block[is_finite] - low) * (FINE_BINS / (high - low))).astype(np.intp)
            counts += np.bincount(np.clip(index, 0, FINE_BINS - 1), minlength=FINE_BINS)
            operation = activation()
            operation.forward(block)
            held = (operation.get_local_derivative_wrt_inputs() <= SATURATED) & is_finite
            entries += int(np.count_nonzero(held))
            whole &= held.all(axis=0)
    held_back = HeldBack(entries, Z.size, Z.shape[1], int(np.count_nonzero(whole)) if Z.shape[0] else 0)
    return ActivationProfile(activation, low, high, counts, held_back)
