"""The fast path (`scratchnet.fast`) against the recorded path, bit for bit: over several epochs with the update
rule's state, for every activation, both losses, every update rule, weight decay, float32 and float64, the full
batch and mini-batches with a ragged last batch; the default run pinned to the numbers it gave before the fast
path existed; its two faster NumPy forms against the lines they replace; and no buffer of it ever handed out."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui.config import RunConfig, build_run
from scratchnet import DenseLayer, DenseNetwork, TapeRecorder, make_update_rule
from scratchnet.fast import FastStep, Stepping
from scratchnet.fast.sums import EINSUM_FROM, TILE, BiasAdd, column_sum
from scratchnet.training import Batches, EpochEnd, Iteration, batch, replay_iterations, run_epochs


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal as stored: dtype, shape and every bit (so −0.0 ≠ 0.0), a NaN wherever the other has one. Which NaN
    is not compared: IEEE arithmetic leaves the payload and sign of a NaN made from two others unspecified, and
    NumPy's loops do not promise an operand order for it."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    bits = np.dtype(f"u{a.dtype.itemsize}")
    return bool(np.array_equal(nan_a, nan_b)
                and np.array_equal(np.where(nan_a, 0, a.view(bits)), np.where(nan_b, 0, b.view(bits))))


def arrays_of(parameters) -> list[np.ndarray]:
    """Every W and b, then every array of the update rule's state."""
    return [array for pair in parameters for array in pair] + [
        array for layer in parameters.state.arrays for array in layer]


def assert_same(kept, expected) -> None:
    assert kept.state.step == expected.state.step
    for a, b in zip(arrays_of(kept), arrays_of(expected), strict=True):
        assert same_bits(a, b)


def recorded_epochs(network: DenseNetwork, X, y, learning_rate: float, batches: Batches, epochs: int):
    """The epochs `run_epochs` runs, through the recorded path: every iteration `step(…, record=…)`."""
    losses, running, kept = [], [], []
    rows = X.shape[0]
    iterations = batches.count(rows)
    with np.errstate(all="ignore"):  # as in run_epochs: a random network may diverge
        for epoch in range(epochs):
            measured = network.evaluate(X, y)[0] if iterations > 1 else None
            total = 0.0
            for iteration in range(iterations):
                loss = network.step(*batch(X, y, batches.rows(epoch, iteration, rows)), learning_rate,
                                    record=TapeRecorder(epoch, iteration))
                total += loss
            losses.append(loss if measured is None else measured)
            running.append(total / iterations)
            kept.append(network.parameters)
    return losses, running, kept


def problem(sizes, activations, loss, optimizer, weight_decay, dtype, rows, seed=0):
    rng = np.random.default_rng(seed)
    network = DenseNetwork.initialise(sizes, rng, dtype, activations, loss, make_update_rule(optimizer),
                                      weight_decay)
    X = rng.normal(size=(rows, sizes[0])).astype(dtype)
    if loss == "cross-entropy":
        y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], rows)]
    else:
        y = rng.normal(size=(rows, sizes[-1])).astype(dtype)
    return network, X, y


def assert_fast_equals_recorded(network, X, y, learning_rate, batches, epochs=3) -> None:
    assert FastStep.supports(network, X, y)
    twin = network.with_parameters(network.parameters)
    ran = run_epochs(network, X, y, learning_rate, 0, epochs, batches=batches, keep_parameters=True,
                     stop_at_divergence=False)
    losses, running, kept = recorded_epochs(twin, X, y, learning_rate, batches, epochs)
    assert [float(v).hex() for v in ran.losses] == [float(v).hex() for v in losses]
    assert [float(v).hex() for v in ran.running_losses] == [float(v).hex() for v in running]
    for fast, slow in zip(ran.parameters, kept, strict=True):
        assert_same(fast, slow)
    assert_same(network.parameters, twin.parameters)
    assert same_bits(network.logits, twin.logits)
    for layer, recorded in zip(network.layers, twin.layers, strict=True):  # the last step's dW, db: gradient health
        if isinstance(layer, DenseLayer):
            assert same_bits(layer.weight_gradient, recorded.weight_gradient)
            assert same_bits(layer.bias_gradient, recorded.bias_gradient)


# --- today's numbers ---------------------------------------------------------------------------------------------

TODAY = {  # the default run (houses, 1000 rows, 4-8-4-1, η = 0.01), 5 epochs, before the fast path existed
    "float64": (["0x1.e52cc7db6762dp+2", "0x1.22920897862d7p+2", "0x1.a730f8bcfeb48p+1", "0x1.50a58e7d62671p+1",
                 "0x1.19a7e3378b1a8p+1"], "afb52772ac946bb2ccc5e6ea4709f7f9"),
    "float32": (["0x1.e52cc80000000p+2", "0x1.2292080000000p+2", "0x1.a730fc0000000p+1", "0x1.50a5920000000p+1",
                 "0x1.19a7e60000000p+1"], "1e28b1b6e52ce4acb97bafe8098bced7"),
}


def digest(parameters) -> str:
    hashed = hashlib.sha256()
    for weight, bias in parameters:
        hashed.update(np.ascontiguousarray(weight).tobytes())
        hashed.update(np.ascontiguousarray(bias).tobytes())
    return hashed.hexdigest()[:32]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_full_batch_gradient_descent_gives_todays_numbers_bit_for_bit(dtype):
    run = build_run(RunConfig(dtype=dtype))
    ran = run_epochs(run.network, run.dataset.X, run.dataset.y, 0.01, 0, 5)
    losses, parameters = TODAY[dtype]
    assert [float(loss).hex() for loss in ran.losses] == losses
    assert digest(run.network.parameters) == parameters


def test_the_benchmark_workload_is_the_recorded_path_bit_for_bit():
    """100,000 rows: the sizes where the fast path's column sum and bias add take their faster forms."""
    run = build_run(RunConfig(samples=100_000))
    X, y = run.dataset.X, run.dataset.y
    twin = run.network.with_parameters(run.initial_parameters)
    ran = run_epochs(run.network, X, y, 0.01, 0, 4)
    assert ran.losses == [twin.step(X, y, 0.01) for _ in range(4)]
    assert_same(run.network.parameters, twin.parameters)


# --- the fast path against the recorded path ---------------------------------------------------------------------

ACTIVATIONS = ["none", "relu", "leaky_relu", "tanh", "sigmoid"]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", ["mse", "cross-entropy"])
def test_every_operation_on_the_fast_path_is_the_recorded_path(optimizer, activation, loss):
    network, X, y = problem((3, 7, 5, 3), (activation, activation), loss, optimizer, 0.0, "float64", 37)
    assert_fast_equals_recorded(network, X, y, 0.05, Batches(8, 3))  # 4 batches of 8, a ragged one of 5


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_weight_decay_and_float32_on_the_fast_path(optimizer, dtype):
    network, X, y = problem((4, 6, 3, 2), ("tanh", "relu"), "mse", optimizer, 0.02, dtype, 23)
    assert_fast_equals_recorded(network, X, y, 0.03, Batches(5, 7), epochs=4)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("size", [None, 1100])
def test_many_rows_take_the_faster_sums_and_stay_bit_identical(optimizer, size):
    """3000 rows: full batch, and batches of 1100 with a ragged one of 800, past the rows where the column sum
    goes through einsum and the bias add through blocks of rows."""
    network, X, y = problem((4, 8, 4, 1), ("relu", "none"), "mse", optimizer, 0.0, "float64", 3000)
    assert_fast_equals_recorded(network, X, y, 0.01, Batches(size, 1), epochs=3)


@settings(max_examples=25, deadline=None)
@given(
    hidden=st.lists(st.integers(1, 9), min_size=0, max_size=3),
    activation=st.sampled_from(ACTIVATIONS),
    loss=st.sampled_from(["mse", "cross-entropy"]),
    optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
    weight_decay=st.sampled_from([0.0, 0.01]),
    dtype=st.sampled_from(["float64", "float32"]),
    rows=st.integers(1, 40),
    size=st.one_of(st.none(), st.integers(1, 45)),
    seed=st.integers(0, 2**16),
)
def test_random_networks_on_the_fast_path_are_the_recorded_path(hidden, activation, loss, optimizer, weight_decay,
                                                                dtype, rows, size, seed):
    outputs = 3 if loss == "cross-entropy" else 2
    network, X, y = problem((3, *hidden, outputs), (activation,) * len(hidden), loss, optimizer, weight_decay,
                            dtype, rows, seed)
    assert_fast_equals_recorded(network, X, y, 0.05, Batches(size, seed), epochs=3)


def test_replaying_iterations_is_running_them():
    network, X, y = problem((3, 5, 2), ("relu",), "mse", "adam", 0.0, "float64", 30)
    twin = network.with_parameters(network.parameters)
    batches = Batches(7, 2)
    run_epochs(network, X, y, 0.05, 0, 2, batches=batches)
    replay_iterations(network, X, y, 0.05, batches, 2, 3)
    recorded_epochs(twin, X, y, 0.05, batches, 2)
    for iteration in range(3):
        twin.step(*batch(X, y, batches.rows(2, iteration, 30)), 0.05, record=TapeRecorder(2, iteration))
    assert_same(network.parameters, twin.parameters)


def test_a_hook_that_changes_the_network_between_epochs_is_taken_up():
    network, X, y = problem((3, 5, 2), ("tanh",), "mse", "momentum", 0.0, "float64", 20)
    twin = network.with_parameters(network.parameters)
    start = network.parameters

    def rewind(end: EpochEnd) -> bool:
        if end.epoch == 1:
            end.network.set_parameters(start)
        return False

    run_epochs(network, X, y, 0.05, 0, 4, batches=Batches(6, 0), after_epoch=rewind)
    twin_run = run_epochs(twin, X, y, 0.05, 0, 2, batches=Batches(6, 0))
    assert twin_run.losses
    twin.set_parameters(start)
    run_epochs(twin, X, y, 0.05, 2, 4, batches=Batches(6, 0), after_iteration=lambda _: False)  # the plain step
    assert_same(network.parameters, twin.parameters)


def test_what_has_no_fast_form_runs_the_networks_own_step():
    class Doubled(DenseLayer):  # computes otherwise than the dense layer the fast path knows
        def forward(self, input_matrix: np.ndarray) -> np.ndarray:
            return super().forward(2 * input_matrix)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(9, 2)), rng.normal(size=(9, 1))
    custom = DenseNetwork([Doubled(rng.normal(size=(2, 1)), np.zeros((1, 1)))])
    assert not FastStep.supports(custom, X, y)
    assert Stepping(custom, X, y).start() == custom.step
    plain = DenseNetwork([DenseLayer(rng.normal(size=(2, 1)), np.zeros((1, 1)))])
    assert not FastStep.supports(plain, X.astype(np.float32), y)  # data and parameters of two dtypes
    assert FastStep.supports(plain, X, y)


def test_the_first_layers_input_gradient_is_skipped_only_on_the_fast_path():
    run = build_run(RunConfig(samples=50))
    run_epochs(run.network, run.dataset.X, run.dataset.y, 0.01, 0, 2)
    recorder = TapeRecorder(2)
    run.network.step(run.dataset.X, run.dataset.y, 0.01, record=recorder)
    assert "backward.1.input" in [phase.key for phase in recorder.tape]


# --- no buffer leaves the fast path --------------------------------------------------------------------------------


def frozen(parameters) -> list[np.ndarray]:
    return [array.copy() for array in arrays_of(parameters)]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("size", [None, 8])
def test_what_epochs_hand_out_stays_as_it_was_after_more_epochs(optimizer, size):
    network, X, y = problem((3, 6, 4, 2), ("relu", "none"), "cross-entropy", optimizer, 0.0, "float64", 1500)
    handed: list[tuple[object, list[np.ndarray], np.ndarray, np.ndarray]] = []

    gradients: list[tuple[np.ndarray, np.ndarray]] = []

    def keep(end: EpochEnd) -> bool:
        parameters, logits = end.network.parameters, end.network.logits
        handed.append((parameters, frozen(parameters), logits, logits.copy()))
        dense = [layer for layer in end.network.layers if isinstance(layer, DenseLayer)]
        gradients.extend((gradient, gradient.copy()) for layer in dense
                         for gradient in (layer.weight_gradient, layer.bias_gradient))
        return False

    ran = run_epochs(network, X, y, 0.05, 0, 4, batches=Batches(size, 0), keep_parameters=True, accuracy=True,
                     after_epoch=keep)
    copies = [frozen(parameters) for parameters in ran.parameters]
    run_epochs(network, X, y, 0.05, 4, 7, batches=Batches(size, 0))
    for parameters, copy in zip(ran.parameters, copies, strict=True):
        for array, before in zip(arrays_of(parameters), copy, strict=True):
            assert same_bits(array, before)
    for parameters, copy, logits, logits_then in handed:
        for array, before in zip(arrays_of(parameters), copy, strict=True):
            assert same_bits(array, before)
        assert same_bits(logits, logits_then)
    for (_, _, one, _), (_, _, other, _) in zip(handed, handed[1:]):
        assert not np.shares_memory(one, other)
    assert all(same_bits(gradient, then) for gradient, then in gradients)


def test_what_an_iteration_hook_sees_stays_as_it_was():
    network, X, y = problem((3, 5, 2), ("sigmoid",), "mse", "momentum", 0.01, "float64", 30)

    seen: list[tuple[object, list[np.ndarray], object, list[np.ndarray]]] = []

    def look(iteration: Iteration) -> bool:
        after = iteration.network.parameters
        seen.append((iteration.before, frozen(iteration.before), after, frozen(after)))
        return False

    run_epochs(network, X, y, 0.05, 0, 2, batches=Batches(7, 0), after_iteration=look)
    run_epochs(network, X, y, 0.05, 2, 4, batches=Batches(7, 0))
    assert len(seen) == 2 * 5
    for before, before_copy, after, after_copy in seen:
        for array, copy in zip(arrays_of(before) + arrays_of(after), before_copy + after_copy, strict=True):
            assert same_bits(array, copy)


# --- the two faster forms against the lines they replace ------------------------------------------------------------

SPECIAL = [0.0, -0.0, 1.0, -1.0, 1e-300, -1e300, np.inf, -np.inf, np.nan]


@st.composite
def matrices(draw):
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    rows = draw(st.sampled_from([1, 2, 7, EINSUM_FROM - 1, EINSUM_FROM, EINSUM_FROM + 3, 1000, 2 * TILE + 5]))
    columns = draw(st.sampled_from([1, 2, 3, 4, 8, 9, 64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.standard_normal((rows, columns)) * 10.0 ** rng.integers(-30, 30, size=(rows, columns))
    if draw(st.booleans()):  # zeros of both signs, infinities, NaNs
        where = rng.random((rows, columns)) < 0.3
        values[where] = rng.choice(SPECIAL, size=int(where.sum()))
    if draw(st.booleans()):
        values[:, 0] = -0.0
    with np.errstate(over="ignore"):
        return values.astype(dtype)


@settings(max_examples=200, deadline=None)
@given(matrices())
def test_the_column_sum_is_np_sum_bit_for_bit(G):
    out = np.empty((1, G.shape[1]), G.dtype)
    with np.errstate(all="ignore"):
        column_sum(G, out)
        expected = np.sum(G, axis=0, keepdims=True)
    assert same_bits(out, expected)


@settings(max_examples=200, deadline=None)
@given(matrices(), st.integers(0, 2**32 - 1))
def test_the_bias_add_is_z_plus_b_bit_for_bit(Z, seed):
    b = np.random.default_rng(seed).standard_normal((1, Z.shape[1])).astype(Z.dtype)
    with np.errstate(all="ignore"):
        expected = Z + b
        BiasAdd(*Z.shape, Z.dtype)(Z, b)
    assert same_bits(Z, expected)
