"""Iterations kept in blocks: every row is what that iteration made, bit for bit, on the fast path as on the
network's own step, however the epoch is cut into blocks; and keeping them changes nothing about the training."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import trail as trail_module
from scratchnet.activation import Tanh
from scratchnet.breaking import matrix_names
from scratchnet.debugger.tape import TapeRecorder
from scratchnet.fast import FastStep
from scratchnet.fast.layout import FlatLayout
from scratchnet.fast.rules import flat_state
from scratchnet.layer import DenseLayer
from scratchnet.network import DenseNetwork
from scratchnet.trail import made_at, squared_sum
from scratchnet.training import Batches, Iteration, batch, run_epochs
from tests.unit.test_fast_path import assert_same, problem, same_bits

CASES = {
    "sgd, full batch": (((3, 5, 2), ("tanh",), "mse", "sgd", 0.0, "float64", 20), Batches()),
    "adam, ragged batches": (((3, 5, 4, 2), ("relu", "sigmoid"), "mse", "adam", 0.01, "float64", 23), Batches(6, 1)),
    "momentum, float32, softmax": (((4, 6, 3), ("leaky_relu",), "cross-entropy", "momentum", 0.0, "float32", 30),
                                   Batches(8, 2)),
}


def recorded_rows(network, X, y, batches, epochs):
    """Each iteration's loss, new flat parameters and flat gradient, read from the network's own step."""
    layout = FlatLayout.of(network.parameters)
    rows = []

    def look(step: Iteration) -> bool:
        gradients = [(layer.weight_gradient, layer.bias_gradient) for layer in step.network.layers
                     if isinstance(layer, DenseLayer)]
        rows.append((step.epoch, step.iteration, step.loss, layout.gather(step.network.parameters),
                     layout.gather(gradients), layout.gather(step.before)))
        return False

    run_epochs(network, X, y, 0.05, 0, epochs, batches=batches, after_iteration=look, stop_at_divergence=False)
    return rows


def kept_rows(network, X, y, batches, epochs, gradients=True):
    rows, blocks = [], []

    def keep(trail) -> None:
        blocks.append((trail.epoch, trail.first, len(trail.losses)))
        for row, loss in enumerate(trail.losses):
            rows.append((trail.epoch, trail.first + row, float(loss), trail.thetas[row + 1].copy(),
                         None if trail.gradients is None else trail.gradients[row].copy(), trail.thetas[row].copy()))

    ran = run_epochs(network, X, y, 0.05, 0, epochs, batches=batches, after_iterations=keep,
                     trail_gradients=gradients, stop_at_divergence=False)
    return rows, blocks, ran


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("block_bytes", [trail_module.BLOCK_BYTES, 1, 3 * 8 * 2 * 60])
def test_each_row_is_what_its_iteration_made_however_the_epoch_is_cut(name, block_bytes, monkeypatch):
    monkeypatch.setattr(trail_module, "BLOCK_BYTES", block_bytes)
    arguments, batches = CASES[name]
    network, X, y = problem(*arguments)
    twin = network.with_parameters(network.parameters)
    plain = network.with_parameters(network.parameters)
    rows, blocks, _ = kept_rows(network, X, y, batches, 3)
    expected = recorded_rows(twin, X, y, batches, 3)
    assert len(rows) == len(expected) == 3 * batches.count(X.shape[0])
    for (epoch, iteration, loss, theta, gradient, before), (e, i, l, t, g, b) in zip(rows, expected, strict=True):
        assert (epoch, iteration) == (e, i) and float(loss).hex() == float(l).hex()
        assert same_bits(theta, t) and same_bits(gradient, g) and same_bits(before, b)
    iterations = batches.count(X.shape[0])
    for epoch in range(3):  # the blocks of an epoch follow each other and end with it
        starts = [(first, count) for e, first, count in blocks if e == epoch]
        assert starts[0][0] == 0 and sum(count for _, count in starts) == iterations
        assert all(a + n == b for (a, n), (b, _) in zip(starts, starts[1:]))
    if block_bytes == 1:
        assert all(count == 1 for _, _, count in blocks)
    run_epochs(plain, X, y, 0.05, 0, 3, batches=batches, stop_at_divergence=False)
    assert_same(network.parameters, plain.parameters)  # keeping the rows changed nothing


def test_without_gradients_asked_for_none_are_kept():
    network, X, y = problem((3, 5, 2), ("tanh",), "mse", "sgd", 0.0, "float64", 20)
    rows, _, _ = kept_rows(network, X, y, Batches(7, 0), 1, gradients=False)
    assert len(rows) == 3 and all(gradient is None for *_, gradient, _ in rows)


def test_rows_of_a_network_without_a_fast_form_are_gathered_from_its_own_step():
    class Doubled(DenseLayer):  # computes otherwise than the dense layer the fast path knows
        def forward(self, input_matrix: np.ndarray) -> np.ndarray:
            return super().forward(2 * input_matrix)

    def made() -> DenseNetwork:
        rng = np.random.default_rng(3)
        return DenseNetwork([Doubled(rng.normal(size=(3, 4)), np.zeros((1, 4))), Tanh(),
                             DenseLayer(rng.normal(size=(4, 2)), np.zeros((1, 2)))])

    X, y = np.random.default_rng(4).normal(size=(12, 3)), np.random.default_rng(5).normal(size=(12, 2))
    network, twin = made(), made()
    assert not FastStep.supports(network, X, y)
    rows, _, _ = kept_rows(network, X, y, Batches(5, 0), 2)
    expected = recorded_rows(twin, X, y, Batches(5, 0), 2)
    for (*_, theta, gradient, before), (*_, t, g, b) in zip(rows, expected, strict=True):
        assert same_bits(theta, t) and same_bits(gradient, g) and same_bits(before, b)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("block_bytes", [trail_module.BLOCK_BYTES, 1])
def test_what_operations_make_is_summed_as_the_networks_own_step_makes_it(name, block_bytes, monkeypatch):
    """Σ a² of each matrix an operation or the loss head makes, taken as the fast step makes it: bit for bit what the
    same sum of the tape's matrix gives."""
    monkeypatch.setattr(trail_module, "BLOCK_BYTES", block_bytes)
    arguments, batches = CASES[name]
    network, X, y = problem(*arguments)
    twin = network.with_parameters(network.parameters)
    places = [(name, made_at(network, name)) for name in matrix_names(network, X, y, 0.05)]
    wanted = sorted(name for name, place in places if place is not None)
    assert {"Z1", "A1", "dZ1", "dX1", "error"} <= set(wanted)  # dX1 too: a step tapped for it makes it
    assert any(name.startswith("dL/d") for name in wanted)  # and the loss head's: dL/dŷ, or dL/dZ2 with P
    assert {"squared_error"} <= set(wanted) or {"P", "sample_loss"} <= set(wanted)
    copies: list[dict[str, np.ndarray]] = []

    def keep(trail) -> None:
        for row in range(len(trail.losses)):
            copies.append({name: trail.squares[name][row].copy() for name in wanted})

    run_epochs(network, X, y, 0.05, 0, 2, batches=batches, after_iterations=keep, trail_matrices=wanted,
               stop_at_divergence=False)
    kept: list[dict[str, np.ndarray]] = []

    def look(step: Iteration) -> bool:  # each iteration recorded again: the tape's own matrices
        recorder = TapeRecorder(step.epoch)
        step.network.with_parameters(step.before).step(*batch(X, y, step.rows), 0.05, record=recorder)
        kept.append({name: squared_sum(recorder.tape.matrix(name)) for name in wanted})
        return False

    run_epochs(twin, X, y, 0.05, 0, 2, batches=batches, after_iteration=look, stop_at_divergence=False)
    assert len(copies) == len(kept) == 2 * batches.count(X.shape[0])
    for copy, expected in zip(copies, kept, strict=True):
        assert all(same_bits(copy[name], expected[name]) for name in wanted)
    assert_same(network.parameters, twin.parameters)  # copying changed nothing


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("block_bytes", [trail_module.BLOCK_BYTES, 1])
def test_the_update_rules_state_is_kept_as_the_networks_own_step_keeps_it(name, block_bytes, monkeypatch):
    """v for momentum, m and s for Adam, before each update and after it, and t: bit for bit the recorded rule's."""
    monkeypatch.setattr(trail_module, "BLOCK_BYTES", block_bytes)
    arguments, batches = CASES[name]
    network, X, y = problem(*arguments)
    twin = network.with_parameters(network.parameters)
    layout = FlatLayout.of(network.parameters)
    rows: list[tuple[int, list[np.ndarray], list[np.ndarray]]] = []

    def keep(trail) -> None:
        for row, step in enumerate(trail.steps):
            rows.append((int(step), [vectors[row].copy() for vectors in trail.states],
                         [vectors[row + 1].copy() for vectors in trail.states]))

    run_epochs(network, X, y, 0.05, 0, 2, batches=batches, after_iterations=keep, trail_state=True,
               stop_at_divergence=False)
    expected: list[tuple[int, list[np.ndarray], list[np.ndarray]]] = []

    def look(step: Iteration) -> bool:
        rule = step.network.optimizer
        before, after = (flat_state(layout, rule.rebuilt(state))[0] for state in (step.before.state, rule.state))
        expected.append((rule.state.step, list(before), list(after)))
        return False

    run_epochs(twin, X, y, 0.05, 0, 2, batches=batches, after_iteration=look, stop_at_divergence=False)
    assert len(rows) == len(expected) == 2 * batches.count(X.shape[0])
    for (step, before, after), (t, b, a) in zip(rows, expected, strict=True):
        assert len(before) == len(b) == len(after) == len(a) and (step == t or not before)  # SGD: no state, no t
        assert all(same_bits(one, other) for one, other in zip(before + after, b + a, strict=True))
    assert_same(network.parameters, twin.parameters)
