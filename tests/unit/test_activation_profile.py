"""An activation over one batch: the curve is the activation's own function, the counts are Z's, and the phases
that show it are the activation phases."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_tui.config import RunConfig
from backprop_tui.session import Session
from scratchnet import activation_profile as module
from scratchnet.activation import ACTIVATIONS, SATURATED
from scratchnet.activation_profile import FINE_BINS, activation_at, activation_profile

REFERENCE = {  # (σ, σ') written apart from scratchnet
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1.0, 0.01)),
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_the_curve_spans_the_batch_and_is_the_activation_itself(name):
    Z = np.random.default_rng(0).normal(0, 3, (50, 6))
    profile = activation_profile(ACTIVATIONS[name], Z)
    z, s, s_prime = profile.curve(64)
    sigma, sigma_prime = REFERENCE[name]
    assert z[0] == Z.min() and z[-1] == Z.max() and len(z) == 64
    assert np.allclose(s, sigma(z)) and np.allclose(s_prime, sigma_prime(z))


def test_any_number_of_bars_counts_every_entry_where_numpy_would():
    Z = np.random.default_rng(2).normal(0, 1, (300, 7))
    profile = activation_profile(ACTIVATIONS["tanh"], Z)
    assert profile.fine_counts.sum() == Z.size and len(profile.fine_counts) == FINE_BINS
    for bins in (1, 7, 37, 160):
        counts = profile.counts(bins)
        reference = np.histogram(Z, bins=bins)[0]
        # where an edge cuts a fine bin its entries are shared: off by at most the two fine bins at a bin's edges
        assert counts.sum() == pytest.approx(Z.size)
        assert np.abs(counts - reference).max() <= 2 * profile.fine_counts.max()


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_held_back_counts_the_entries_and_units_whose_slope_is_at_most_saturated(name):
    Z = np.random.default_rng(1).normal(0, 4, (40, 5))
    Z[:, 2] = -np.abs(Z[:, 2]) - 6  # a unit far below 0 for every sample: dead, or saturated
    held = REFERENCE[name][1](Z) <= SATURATED + 1e-12
    counted = activation_profile(ACTIVATIONS[name], Z).held
    assert counted.entries == np.count_nonzero(held) and counted.size == Z.size and counted.units == 5
    assert counted.whole_units == np.count_nonzero(held.all(axis=0)) >= 1
    assert counted.share == pytest.approx(np.mean(held))


def test_non_finite_entries_are_left_out_and_a_constant_Z_still_has_a_range():
    Z = np.array([[np.nan, 1.0], [np.inf, 1.0]])
    profile = activation_profile(ACTIVATIONS["relu"], Z)
    assert (profile.low, profile.high) == (0.0, 2.0) and profile.counts(4).sum() == pytest.approx(2)
    assert profile.held.entries == 0


def test_a_bin_is_held_back_where_the_slope_at_its_centre_is():
    profile = activation_profile(ACTIVATIONS["relu"], np.array([[-1.0, 1.0]]))
    assert profile.held_back_bins(4).tolist() == [True, True, False, False]


def test_a_large_Z_is_gone_through_in_blocks_and_can_be_stopped_between_them(monkeypatch):
    monkeypatch.setattr(module, "CHUNK", 40)
    Z = np.random.default_rng(3).normal(0, 2, (100, 8))
    whole = activation_profile(ACTIVATIONS["relu"], Z)
    assert whole.held.entries == np.count_nonzero(Z <= 0) and whole.fine_counts.sum() == Z.size
    asked = []
    assert activation_profile(ACTIVATIONS["relu"], Z, should_stop=lambda: asked.append(1) or len(asked) > 3) is None
    assert len(asked) == 4


def test_only_activation_phases_have_an_activation():
    session = Session.start(RunConfig(dataset="circle", hidden=(4, 3), activations=("relu", "none"), samples=20))
    found = {phase.key: activation_at(session.run.network, phase) for phase in session.tape}
    assert {key for key, at in found.items() if at is not None} == {"activation.1", "backward.1.activation"}
    forward, backward = found["activation.1"], found["backward.1.activation"]
    assert forward is not None and backward is not None
    assert forward.activation is ACTIVATIONS["relu"] and forward.z_name == "Z1" and not forward.backward
    assert backward.backward and backward.z_name == "Z1"
