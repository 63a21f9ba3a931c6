"""The finite-difference gradient check (`scratchnet.debugger.gradcheck`) against an independent difference.

The independent numbers come from tests/reference.py: the loss written out directly in NumPy from
the X, y and starting parameters this test made, differentiated with its own central difference.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest

from scratchnet import DenseNetwork, TapeRecorder
from scratchnet.debugger.gradcheck import (
    FLOOR,
    MAX_CELLS,
    Cancelled,
    check_gradient,
    is_gradient_phase,
    relative_error,
)
from tests.reference import central_difference, forward_from, loss_of_prediction

SIZES = (4, 8, 4, 1)
ROWS = 200


def record(sizes=SIZES, rows=ROWS, seed=7, dtype="float64"):
    """A recorded iteration, plus the X, y and starting parameters it began from (float64 copies)."""
    rng = np.random.default_rng(seed)
    network = DenseNetwork.initialise(sizes, rng, dtype)
    X = rng.normal(size=(rows, sizes[0])).astype(dtype)
    y = rng.normal(size=(rows, sizes[-1])).astype(dtype)
    params = [(w.astype(np.float64), b.astype(np.float64)) for w, b in network.parameters]
    recorder = TapeRecorder()
    network.step(X, y, 0.01, record=recorder)
    return recorder.tape, X.astype(np.float64), y.astype(np.float64), params


def gradient_keys(n_layers: int) -> list[str]:
    keys = ["loss_gradient"]
    for layer in range(n_layers, 0, -1):
        keys += [f"backward.{layer}.weight", f"backward.{layer}.bias", f"backward.{layer}.input"]
    return keys


def phase(tape, key):
    return tape[tape.index(key)]


def tape_gradient(tape, key) -> np.ndarray:
    p = phase(tape, key)
    return p.outputs[p.result_name]


def reference_point_and_loss(key, X, y, params):
    """The matrix the gradient of `key` is taken with respect to, and the loss as a function of it."""
    if key == "loss_gradient":
        return forward_from(params, 1, X), lambda prediction: loss_of_prediction(prediction, y)
    _, layer_text, kind = key.split(".")
    layer = int(layer_text)
    if kind == "input":
        start = X if layer == 1 else forward_from(params[: layer - 1], 1, X)
        return start, lambda a: loss_of_prediction(forward_from(params, layer, a), y)
    which = 0 if kind == "weight" else 1

    def loss_with(value):
        changed = list(params)
        pair = list(changed[layer - 1])
        pair[which] = value
        changed[layer - 1] = tuple(pair)
        return loss_of_prediction(forward_from(changed, 1, X), y)

    return params[layer - 1][which], loss_with


def reference_at(key, X, y, params, cells) -> np.ndarray:
    """tests/reference.py's central difference at the given cells only."""
    point, loss = reference_point_and_loss(key, X, y, params)
    values = []
    for i, j in cells:
        def one(v, i=i, j=j):
            moved = np.array(point, dtype=np.float64)
            moved[i, j] = v[0]
            return loss(moved)
        values.append(central_difference(one, np.array([point[i, j]]))[0])
    return np.array(values)


@pytest.fixture(scope="module")
def default_run():
    return record()


# --- every gradient of the default-like network ---------------------------------------------------


@pytest.mark.parametrize("key", gradient_keys(len(SIZES) - 1))
def test_every_gradient_of_the_default_network_checks_out(default_run, key):
    tape, X, y, params = default_run
    check = check_gradient(tape, key)
    gradient = tape_gradient(tape, key)

    assert check.name == phase(tape, key).result_name
    assert check.shape == gradient.shape
    assert check.max_relative_error < 1e-7
    assert check.max_relative_error == np.max(check.relative_error)
    assert len(check.cells) == min(gradient.size, MAX_CELLS)
    assert check.sampled is (gradient.size > MAX_CELLS)
    np.testing.assert_array_equal(check.analytic, gradient[check.cells[:, 0], check.cells[:, 1]])
    np.testing.assert_array_equal(check.relative_error, relative_error(check.analytic, check.numeric))

    # The numeric values agree with an independent central difference: every checked cell of a small
    # gradient, a spread of cells of a big one.
    picks = np.arange(len(check.cells)) if len(check.cells) <= 40 else np.linspace(0, len(check.cells) - 1, 12).astype(int)
    reference = reference_at(key, X, y, params, check.cells[picks])
    np.testing.assert_allclose(check.numeric[picks], reference, rtol=1e-6, atol=1e-12)


def test_the_numeric_gradient_is_not_the_tape_copied(default_run):
    """Both sides of the check are real: the numeric values differ from the analytic ones in the last bits."""
    tape, *_ = default_run
    check = check_gradient(tape, "backward.1.weight")
    assert not np.array_equal(check.numeric, check.analytic)
    assert 0 < check.max_relative_error


# --- a wrong gradient is caught -------------------------------------------------------------------


def corrupted(tape, key, change):
    """A copy of `tape` in which the result of phase `key` is replaced by change(result)."""
    p = phase(tape, key)
    outputs = dict(p.outputs)
    outputs[p.result_name] = change(np.array(p.outputs[p.result_name]))
    phases = list(tape.phases)
    phases[tape.index(key)] = replace(p, outputs=MappingProxyType(outputs))
    return replace(tape, phases=tuple(phases))


@pytest.mark.parametrize("key", ["loss_gradient", "backward.3.weight", "backward.2.bias", "backward.1.input"])
def test_a_doubled_gradient_is_caught(default_run, key):
    tape, *_ = default_run
    check = check_gradient(corrupted(tape, key, lambda g: 2 * g), key, max_cells=50)
    np.testing.assert_allclose(check.relative_error, 0.5, rtol=1e-6)
    assert check.max_relative_error > 0.49


def test_one_wrong_cell_shows_in_the_error_matrix(default_run):
    tape, *_ = default_run

    def nudge(g):
        g[2, 1] += 0.1 * abs(g[2, 1]) + 1e-3
        return g

    check = check_gradient(corrupted(tape, "backward.2.weight", nudge), "backward.2.weight")
    errors = check.error_matrix()
    assert errors[2, 1] > 1e-3
    others = np.delete(errors.ravel(), np.ravel_multi_index((2, 1), errors.shape))
    assert np.all(others < 1e-7)
    assert check.max_relative_error == errors[2, 1]


# --- relative_error ---------------------------------------------------------------------------------


def test_relative_error_values():
    assert relative_error(np.array([2.0]), np.array([1.0]))[0] == 0.5
    assert relative_error(np.array([1.0]), np.array([2.0]))[0] == 0.5
    assert relative_error(np.array([3.0]), np.array([1.0]))[0] == pytest.approx(2 / 3)
    assert relative_error(np.array([-1.0]), np.array([1.0]))[0] == 2.0
    assert relative_error(np.array([1.0]), np.array([1.0]))[0] == 0.0
    assert relative_error(np.array([-4.0]), np.array([-5.0]))[0] == pytest.approx(0.2)
    analytic = np.array([[1.0, 2.0], [0.0, -3.0]])
    numeric = np.array([[1.0, 1.0], [0.0, -3.3]])
    np.testing.assert_allclose(relative_error(analytic, numeric), [[0.0, 0.5], [0.0, 0.3 / 3.3]])


def test_relative_error_floor():
    assert FLOOR == 1e-8
    both_zero = relative_error(np.array([0.0, -0.0]), np.array([0.0, 0.0]))
    assert not np.any(np.isnan(both_zero)) and np.all(both_zero == 0.0)
    # Below the floor the denominator is the floor itself, not the (tiny) values.
    assert relative_error(np.array([1e-12]), np.array([0.0]))[0] == pytest.approx(1e-12 / 1e-8)
    assert relative_error(np.array([1e-12]), np.array([3e-12]))[0] == pytest.approx(2e-12 / 1e-8)
    assert relative_error(np.array([0.0]), np.array([-5e-9]))[0] == pytest.approx(0.5)
    # Above it, the larger magnitude is the denominator.
    assert relative_error(np.array([1e-6]), np.array([2e-6]))[0] == pytest.approx(0.5)
    assert relative_error(np.array([1e-12]), np.array([0.0]), floor=1e-10)[0] == pytest.approx(1e-2)


# --- sampling ---------------------------------------------------------------------------------------


def test_a_big_gradient_is_sampled_reproducibly():
    tape, *_ = record(rows=300, seed=3)
    key = "backward.1.input"  # dX1 is 300×4 = 1200 cells
    a = check_gradient(tape, key, max_cells=100, seed=1)
    b = check_gradient(tape, key, max_cells=100, seed=1)
    c = check_gradient(tape, key, max_cells=100, seed=2)

    assert a.sampled and a.seed == 1 and c.seed == 2
    assert a.cells.shape == (100, 2)
    assert len({(int(i), int(j)) for i, j in a.cells}) == 100
    assert a.cells[:, 0].min() >= 0 and a.cells[:, 0].max() < 300
    assert a.cells[:, 1].min() >= 0 and a.cells[:, 1].max() < 4
    np.testing.assert_array_equal(a.cells, b.cells)
    np.testing.assert_array_equal(a.numeric, b.numeric)
    assert {tuple(cell) for cell in a.cells.tolist()} != {tuple(cell) for cell in c.cells.tolist()}
    assert a.max_relative_error < 1e-7

    errors = a.error_matrix()
    assert errors.shape == (300, 4)
    checked = np.zeros((300, 4), dtype=bool)
    checked[a.cells[:, 0], a.cells[:, 1]] = True
    np.testing.assert_array_equal(np.isnan(errors), ~checked)
    np.testing.assert_array_equal(errors[a.cells[:, 0], a.cells[:, 1]], a.relative_error)


@pytest.mark.parametrize("max_cells", [32, 1000])
def test_a_small_gradient_is_checked_in_full(default_run, max_cells):
    tape, *_ = default_run
    check = check_gradient(tape, "backward.1.weight", max_cells=max_cells)  # dW1 is 4×8 = 32 cells
    assert not check.sampled
    assert [tuple(cell) for cell in check.cells.tolist()] == [(k, j) for k in range(4) for j in range(8)]
    errors = check.error_matrix()
    assert errors.shape == (4, 8) and not np.any(np.isnan(errors))


def test_one_cell_fewer_than_the_gradient_is_sampled(default_run):
    tape, *_ = default_run
    check = check_gradient(tape, "backward.1.weight", max_cells=31)
    assert check.sampled and len({tuple(cell) for cell in check.cells.tolist()}) == 31
    assert np.isnan(check.error_matrix()).sum() == 1


# --- cancellation and refusal -------------------------------------------------------------------------


def test_should_stop_cancels(default_run):
    tape, *_ = default_run
    with pytest.raises(Cancelled):
        check_gradient(tape, "backward.1.weight", should_stop=lambda: True)

    calls = []

    def third_time():
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(Cancelled):
        check_gradient(tape, "backward.2.weight", should_stop=third_time)
    assert len(calls) == 3  # it stops at once, not at the end


def test_should_stop_false_lets_the_check_finish(default_run):
    tape, *_ = default_run
    calls = []

    def never():
        calls.append(1)
        return False

    check = check_gradient(tape, "backward.3.bias", should_stop=never)
    assert len(calls) >= 1 and check.max_relative_error < 1e-7


@pytest.mark.parametrize("key", ["forward.1", "forward.3", "error", "loss", "update.1", "update.3"])
def test_non_gradient_phases_are_refused(default_run, key):
    tape, *_ = default_run
    assert not is_gradient_phase(phase(tape, key))
    with pytest.raises(ValueError):
        check_gradient(tape, key)


def test_gradient_phases_are_recognised(default_run):
    tape, *_ = default_run
    assert [p.key for p in tape if is_gradient_phase(p)] == gradient_keys(3)


# --- float32 --------------------------------------------------------------------------------------------


def test_a_float32_tape_is_checked_in_float64():
    tape, X, y, params = record(dtype="float32")
    assert tape.dtype == "float32"
    for key in gradient_keys(3):
        check = check_gradient(tape, key, max_cells=64)
        assert check.numeric.dtype == np.float64 and check.analytic.dtype == np.float64
        # The analytic side is float32 arithmetic: ~1e-7 relative, far below 1e-3.
        assert check.max_relative_error < 1e-3, key
        # The numeric side ran in float64 from the (float32-valued) parameters: it matches the float64
        # reference to far better than float32 could (a float32 difference with h = 1e-3 is off by ~1e-4).
        picks = np.linspace(0, len(check.cells) - 1, min(8, len(check.cells))).astype(int)
        reference = reference_at(key, X, y, params, check.cells[picks])
        np.testing.assert_allclose(check.numeric[picks], reference, rtol=1e-8, atol=1e-12)
