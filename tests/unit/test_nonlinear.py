"""Activations and softmax with cross-entropy: every gradient on the tape against central finite differences of
an independently written loss (tests/reference.py), in float64, on random architectures mixing activations and
class counts; the fast path against the recorded one; extreme logits; the gradient check across ReLU's kink."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scratchnet import DenseNetwork, TapeRecorder
from scratchnet.debugger.gradcheck import check_gradient
from tests.reference import activate, central_difference, cross_entropy, forward_activated, loss_of_prediction

NAMES = ("none", "relu", "tanh", "sigmoid", "leaky_relu")
H = 1e-5  # small enough that curvature is negligible beside the tolerance, large enough to keep rounding small


@st.composite
def problems(draw):
    n_layers = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 6)) for _ in range(n_layers)]
    loss = draw(st.sampled_from(["mse", "cross-entropy"]))
    sizes.append(draw(st.integers(2, 4)) if loss == "cross-entropy" else draw(st.integers(1, 3)))
    activations = tuple(draw(st.sampled_from(NAMES)) for _ in range(n_layers - 1))
    rows = draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.normal(size=(rows, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], rows)] if loss == "cross-entropy" else rng.normal(size=(rows, sizes[-1]))
    network = DenseNetwork.initialise(sizes, rng, activations=activations, loss=loss)
    zs = forward_activated(network.parameters, (*activations, "none"), X)
    for z, name in zip(zs, activations, strict=False):  # no ReLU input within a step of its kink
        assume(name not in ("relu", "leaky_relu") or np.abs(z).min() > 1e-3)
    return network, activations, loss, X, y


def reference_loss(parameters, activations, loss, X, y) -> float:
    prediction = forward_activated(parameters, (*activations, "none"), X)[-1]
    return cross_entropy(prediction, y) if loss == "cross-entropy" else loss_of_prediction(prediction, y)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_every_gradient_matches_central_differences_of_an_independent_loss(problem):
    network, activations, loss, X, y = problem
    parameters = [(w.copy(), b.copy()) for w, b in network.parameters]
    recorder = TapeRecorder()
    network.step(X, y, 0.01, record=recorder)
    outputs = {name: array for phase in recorder.tape for name, array in phase.outputs.items()}

    def close(analytic, numeric):
        np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-8)

    for layer in range(1, len(parameters) + 1):
        weight, bias = parameters[layer - 1]

        def with_changed(index, value, layer=layer):
            changed = [list(pair) for pair in parameters]
            changed[layer - 1][index] = value
            return reference_loss(changed, activations, loss, X, y)

        close(outputs[f"dW{layer}"], central_difference(lambda w: with_changed(0, w), weight, H))
        close(outputs[f"db{layer}"], central_difference(lambda b: with_changed(1, b), bias, H))
    zs = forward_activated(parameters, (*activations, "none"), X)
    for layer, name in enumerate(activations, 1):  # dZ of each activated layer: the loss from Z onward
        if name == "none":
            continue

        def from_z(z, layer=layer):
            output = z
            for number in range(layer, len(parameters)):  # layer `number`'s activation, then dense layer number+1
                output = activate(activations[number - 1], output) @ parameters[number][0] + parameters[number][1]
            return cross_entropy(output, y) if loss == "cross-entropy" else loss_of_prediction(output, y)

        close(outputs[f"dZ{layer}"], central_difference(from_z, zs[layer - 1], H))
    if loss == "cross-entropy":
        logits = zs[-1]
        close(outputs[f"dL/dZ{len(parameters)}"], central_difference(lambda z: cross_entropy(z, y), logits, H))
        P = np.exp(logits - logits.max(axis=1, keepdims=True))
        np.testing.assert_allclose(outputs["P"], P / P.sum(axis=1, keepdims=True), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(problems())
def test_the_gradient_check_agrees_on_every_gradient_phase(problem):
    network, *_, X, y = problem
    recorder = TapeRecorder()
    network.step(X, y, 0.01, record=recorder)
    for phase in recorder.tape:
        if phase.gradient_of is not None:
            check = check_gradient(recorder.tape, phase.key)
            # The problems keep ReLU inputs 1e-3 from 0, but a step of 1e-3 in a weight moves them by 1e-3 times
            # that weight's input, which can be larger: such cells are named as kinks and left out of the maximum.
            assert check.max_relative_error < 1e-4, phase.key


@settings(max_examples=15, deadline=None)
@given(problems(), st.integers(2, 4))
def test_fast_and_recorded_steps_give_bit_identical_parameters(problem, steps):
    network, activations, loss, X, y = problem
    twin = network.with_parameters(network.parameters)
    for _ in range(steps):
        network.step(X, y, 0.05)
        twin.step(X, y, 0.05, record=TapeRecorder())
    for (a, b), (c, d) in zip(network.parameters, twin.parameters, strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_logits_of_a_thousand_give_no_warning_and_no_nan():
    network = DenseNetwork.initialise((2, 3), np.random.default_rng(0), loss="cross-entropy")
    network.set_parameters([(np.array([[1000.0, -1000.0, 0.0], [0.0, 0.0, 1000.0]]), np.zeros((1, 3)))])
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    y = np.eye(3)[[1, 0, 2]]
    recorder = TapeRecorder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = network.step(X, y, 0.01, record=recorder)
    assert np.isfinite(loss) and loss == pytest.approx((2000 + 1000 + 2000) / 3)  # −log P of each true class
    for phase in recorder.tape:
        for array in (*phase.inputs.values(), *phase.outputs.values()):
            assert np.all(np.isfinite(array)), phase.key


def test_sigmoid_of_extreme_inputs_is_exact_and_quiet():
    network = DenseNetwork.initialise((1, 2, 1), np.random.default_rng(0), activations=("sigmoid",))
    network.set_parameters([(np.array([[1.0, -1.0]]), np.zeros((1, 2))), (np.ones((2, 1)), np.zeros((1, 1)))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        network.forward(np.array([[-1000.0], [0.0], [1000.0]]))
    A = network.layers[1].output
    assert A.tolist() == [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]


def test_the_gradient_check_names_cells_whose_step_crosses_relus_kink():
    rng = np.random.default_rng(3)
    network = DenseNetwork.initialise((2, 4, 1), rng, activations=("relu",))
    X = rng.normal(size=(5, 2))
    weight, bias = network.parameters[0]
    bias = bias.copy()
    z = X @ weight
    bias[0, 0] = -z[0, 0] + 2e-4  # Z1[0,0] sits 2e-4 above 0: a step of 1e-3 in b1 crosses the kink
    network.set_parameters([(weight, bias), network.parameters[1]])
    recorder = TapeRecorder()
    network.step(X, rng.normal(size=(5, 1)), 0.01, record=recorder)
    check = check_gradient(recorder.tape, "backward.1.bias")
    assert check.kinks >= 1 and bool(check.at_kink[0])  # the cell at the kink is named, not trusted
    assert check.max_relative_error < 1e-6  # the others are exact: ReLU is linear on each side
