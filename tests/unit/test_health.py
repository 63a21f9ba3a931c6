"""Gradient health: the norms and update ratios against NumPy written out, and the strip that never hides a ✗."""

from __future__ import annotations

import math

import numpy as np

from backprop_tui.config import RunConfig, build_run
from backprop_tui.widgets.health_panel import NOT_FINITE, health_lines, log_strip
from scratchnet.health import gradient_norms, update_ratios
from scratchnet.training import run_epochs


def test_norms_and_ratios_are_the_frobenius_norms_of_the_gradients_and_of_the_epochs_change():
    run = build_run(RunConfig(samples=40))
    before = run.network.parameters
    run_epochs(run.network, run.dataset.X, run.dataset.y, 0.01, 0, 1)
    after = run.network.parameters
    trainable = [layer for layer in run.network.layers if layer.trainable]
    assert np.allclose(gradient_norms(run.network), [np.sqrt((layer.weight_gradient ** 2).sum()) for layer in trainable],
                       rtol=1e-14)
    expected = [np.sqrt(((W1 - W0) ** 2).sum()) / np.sqrt((W0 ** 2).sum()) for (W0, _), (W1, _) in zip(before, after)]
    assert np.allclose(update_ratios(before, after), expected, rtol=1e-14)
    zero = [(np.zeros((2, 2)), np.zeros((1, 2)))]
    assert update_ratios(zero, zero) == (0.0,) and update_ratios(zero, [(np.ones((2, 2)), np.zeros((1, 2)))]) == (math.inf,)


def test_the_strip_places_values_on_one_log_scale_and_marks_what_is_not_finite():
    assert log_strip([1e-6, 1e-3, 1.0], -6.0, 0.0) == "▁▅█"
    assert log_strip([0.0, math.nan, math.inf, 1.0], -1.0, 0.0) == f"▁{NOT_FINITE}{NOT_FINITE}█"
    rows = [(epoch, (1e-5 * 10 ** epoch, 1.0), (1e-4, math.inf if epoch == 2 else 1e-2)) for epoch in range(3)]
    text = "\n".join(line.plain for line in health_lines(rows, 40))
    assert "‖dW₁‖" in text and "ratio W₂" in text and NOT_FINITE in text and "not finite" in text
    assert "log₁₀ scale" in text
