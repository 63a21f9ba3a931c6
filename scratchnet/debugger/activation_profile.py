"""An activation seen over one batch: σ (or σ') across the range its Z took, and where the Z values fell.

A unit passes back what arrives times σ'(Z), so the entries whose σ' is (nearly) 0 are the ones that stop
learning: a ReLU's Z ≤ 0 (dead when that holds for every sample), the flat tails of tanh and sigmoid
(saturated). The curve is the activation's own `forward` and `get_local_derivative_wrt_inputs`, run on a fresh
instance over evenly spaced points, so what is drawn is the function that ran, and the tape is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scratchnet.activation import SATURATED, Activation
from scratchnet.debugger.tape import Phase
from scratchnet.network import DenseNetwork

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
    """The curve over the batch's range of Z, and where its entries fall along it."""

    z: np.ndarray
    """Evenly spaced points from the batch's smallest finite Z to its largest."""
    sigma: np.ndarray
    """σ(z) at those points."""
    sigma_prime: np.ndarray
    """σ'(z) at those points."""
    counts: np.ndarray
    """How many finite entries of Z fall in each of the equal bins that split [z[0], z[-1]]."""
    held_back_bins: np.ndarray
    """Per bin: whether σ' at its centre is at most SATURATED."""


def sigma_curve(activation: type[Activation], z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σ(z), σ'(z)) by the activation's own forward and local derivative, on a fresh instance."""
    operation = activation()
    sigma = np.asarray(operation.forward(z), dtype=np.float64)
    return sigma, np.asarray(operation.get_local_derivative_wrt_inputs(), dtype=np.float64)


def held_back(activation: type[Activation], Z: np.ndarray) -> HeldBack:
    """How many finite entries of Z, and how many whole units (columns), have σ'(Z) ≤ SATURATED."""
    Z = np.atleast_2d(np.asarray(Z))
    with np.errstate(all="ignore"):
        held = (sigma_curve(activation, Z)[1] <= SATURATED) & np.isfinite(Z)
    return HeldBack(int(np.count_nonzero(held)), Z.size, Z.shape[1],
                    int(np.count_nonzero(held.all(axis=0))) if Z.shape[0] else 0)


def activation_profile(activation: type[Activation], Z: np.ndarray, points: int, bins: int) -> ActivationProfile:
    """σ and σ' at `points` points over the finite range of Z (widened by 1 each way when Z takes one value, or
    [−1, 1] when it has none), and its finite entries counted in `bins` bins."""
    Z = np.asarray(Z)
    with np.errstate(all="ignore"):
        finite = Z[np.isfinite(Z)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
        if low == high:
            low, high = low - 1.0, high + 1.0
        z = np.linspace(low, high, max(points, 2))
        sigma, sigma_prime = sigma_curve(activation, z)
        counts = np.histogram(finite, bins=max(bins, 1), range=(low, high))[0]
        edges = np.linspace(low, high, max(bins, 1) + 1)
        held_back_bins = sigma_curve(activation, (edges[:-1] + edges[1:]) / 2)[1] <= SATURATED
    return ActivationProfile(z, sigma, sigma_prime, counts, held_back_bins)
