"""Momentum, Adam and weight decay: against a plain-NumPy reference written in tests/reference.py (always run) and
against torch.optim (when torch is installed: it is an optional benchmark dependency), on random architectures in
float64; the recorded and fast paths bit-identical over several epochs with state, batches and decay; the state
carried by kept parameters; the update and penalty phases, their names, code and cells; every gradient against
central differences of an independent loss with its penalty."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_tui.cell_format import expansion_text
from backprop_tui.session_file import MATRIX_ALIAS
from scratchnet import FRESH, Adam, DenseNetwork, Momentum, Parameters, TapeRecorder, make_update_rule, phase_keys
from scratchnet.debugger.explain import change_matrix, changed_outputs, explain
from scratchnet.debugger.gradcheck import check_gradient
from scratchnet.debugger.names import ascii_name, canonical_name
from scratchnet.debugger.source import code_line
from scratchnet.layer import DenseLayer
from scratchnet.training import Batches, batch, run_epochs
from tests.reference import (
    adam_reference,
    central_difference,
    forward_activated,
    loss_of_prediction,
    mlp_gradients,
    momentum_reference,
)

SMOOTH = ("none", "tanh")
"""Activations whose derivative has no kink: a rounding difference between two implementations stays small over
several steps (a ReLU could flip a unit on one side and not the other)."""
SETTINGS = {"momentum": {"momentum": 0.9}, "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}}


@st.composite
def problems(draw, names=SMOOTH):
    n_layers = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 5)) for _ in range(n_layers)] + [draw(st.integers(1, 3))]
    activations = tuple(draw(st.sampled_from(names)) for _ in range(n_layers - 1))
    rows = draw(st.integers(1, 10))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X, y = rng.normal(size=(rows, sizes[0])), rng.normal(size=(rows, sizes[-1]))
    parameters = [(rng.uniform(-1, 1, (n_in, n_out)), rng.uniform(-1, 1, (1, n_out)))
                  for n_in, n_out in zip(sizes, sizes[1:])]
    return parameters, activations, X, y


def network_of(parameters, activations, optimizer="sgd", weight_decay=0.0, **settings) -> DenseNetwork:
    sizes = (parameters[0][0].shape[0], *(weight.shape[1] for weight, _ in parameters))
    network = DenseNetwork.initialise(sizes, np.random.default_rng(0), activations=activations,
                                      optimizer=make_update_rule(optimizer, **settings), weight_decay=weight_decay)
    network.set_parameters([(w.copy(), b.copy()) for w, b in parameters])
    return network


def reference_steps(parameters, activations, X, y, steps, learning_rate, optimizer, weight_decay, **settings):
    """`steps` full-batch updates by tests/reference.py alone: the parameters after each, flat [W1, b1, W2, …]."""
    flat = [array.copy() for pair in parameters for array in pair]
    state = None
    for step in range(1, steps + 1):
        pairs = list(zip(flat[::2], flat[1::2]))
        _, grads = mlp_gradients(pairs, (*activations, "none"), X, y, weight_decay)
        gradients = [array for pair in grads for array in pair]
        if optimizer == "momentum":
            flat, state = momentum_reference(flat, gradients, state, learning_rate, settings["momentum"])
        elif optimizer == "adam":
            flat, state = adam_reference(flat, gradients, state, step, learning_rate, **settings)
        else:
            flat = [p - learning_rate * g for p, g in zip(flat, gradients)]
    return flat


def flat(network: DenseNetwork) -> list[np.ndarray]:
    return [array for pair in network.parameters for array in pair]


# --- against independent references ------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(problems(), st.sampled_from(["sgd", "momentum", "adam"]), st.sampled_from([0.0, 0.01, 0.3]),
       st.integers(1, 5), st.sampled_from([0.01, 0.1]))
def test_the_optimizers_and_weight_decay_match_a_plain_numpy_reference(problem, optimizer, weight_decay, steps,
                                                                        learning_rate):
    parameters, activations, X, y = problem
    settings = SETTINGS.get(optimizer, {})
    network = network_of(parameters, activations, optimizer, weight_decay, **settings)
    for _ in range(steps):
        network.step(X, y, learning_rate)
    expected = reference_steps(parameters, activations, X, y, steps, learning_rate, optimizer, weight_decay,
                               **settings)
    for ours, theirs in zip(flat(network), expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    assert network.optimizer.state.step == (steps if optimizer != "sgd" else 0)


def torch_run(parameters, activations, X, y, learning_rate, optimizer, weight_decay, settings, batches, epochs):
    """The same training in PyTorch: autograd, nn.functional.mse_loss, torch.optim.SGD or Adam with its own
    weight_decay (L2 in the gradient) on the weights' group only, the same batches in the same order."""
    torch = pytest.importorskip("torch")
    tensors = [torch.tensor(array, dtype=torch.float64, requires_grad=True) for pair in parameters for array in pair]
    groups = [{"params": tensors[0::2], "weight_decay": weight_decay}, {"params": tensors[1::2], "weight_decay": 0.0}]
    if optimizer == "adam":  # weights decay, biases do not: two groups
        optim = torch.optim.Adam(groups, lr=learning_rate, betas=(settings["beta1"], settings["beta2"]),
                                 eps=settings["eps"])
    else:
        optim = torch.optim.SGD(groups, lr=learning_rate, momentum=settings.get("momentum", 0.0))
    functions = {"none": lambda z: z, "tanh": torch.tanh, "relu": torch.relu}
    for epoch in range(epochs):
        for iteration in range(batches.count(X.shape[0])):
            X_batch, y_batch = batch(X, y, batches.rows(epoch, iteration, X.shape[0]))
            output = torch.tensor(X_batch)
            for number in range(len(parameters)):
                output = output @ tensors[2 * number] + tensors[2 * number + 1]
                if number < len(parameters) - 1:
                    output = functions[activations[number]](output)
            loss = torch.nn.functional.mse_loss(output, torch.tensor(y_batch))
            optim.zero_grad()
            loss.backward()
            optim.step()
    return [tensor.detach().numpy() for tensor in tensors]


@settings(max_examples=25, deadline=None)
@given(problems(), st.sampled_from(["sgd", "momentum", "adam"]), st.sampled_from([0.0, 0.05]),
       st.sampled_from([None, 1, 3, 4]), st.integers(0, 2**16))
def test_the_optimizers_batches_and_weight_decay_match_torch(problem, optimizer, weight_decay, batch_size, seed):
    parameters, activations, X, y = problem
    settings = SETTINGS.get(optimizer, {})
    batches = Batches(batch_size, seed)
    expected = torch_run(parameters, activations, X, y, 0.05, optimizer, weight_decay, settings, batches, 3)
    network = network_of(parameters, activations, optimizer, weight_decay, **settings)
    run_epochs(network, X, y, 0.05, 0, 3, batches=batches)
    for ours, theirs in zip(flat(network), expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_the_first_momentum_update_is_plain_gradient_descent():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(7, 4)), rng.normal(size=(7, 1))
    plain = DenseNetwork.initialise((4, 3, 1), np.random.default_rng(1))
    heavy = DenseNetwork.initialise((4, 3, 1), np.random.default_rng(1), optimizer=Momentum(0.9))
    plain.step(X, y, 0.1)
    heavy.step(X, y, 0.1)
    for a, b in zip(flat(plain), flat(heavy), strict=True):
        assert np.array_equal(a, b)
    for (velocity_w, velocity_b), layer in zip(heavy.optimizer.state.arrays, heavy.layers, strict=True):
        assert isinstance(layer, DenseLayer)
        assert np.array_equal(velocity_w, layer.weight_gradient) and np.array_equal(velocity_b, layer.bias_gradient)


def test_adam_counts_its_updates_from_one_and_keeps_float32():
    network = DenseNetwork.initialise((2, 3, 1), np.random.default_rng(0), "float32", optimizer=Adam())
    X, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    assert network.optimizer.state is FRESH
    network.step(X, y, 0.01)
    assert network.optimizer.state.step == 1
    network.step(X, y, 0.01)
    assert network.optimizer.state.step == 2
    assert all(array.dtype == np.float32 for layer in network.optimizer.state.arrays for array in layer)
    assert all(array.dtype == np.float32 for array in flat(network))


# --- the state travels with the parameters; never changed in place ---------------------------------------------


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_kept_parameters_carry_the_state_so_a_network_rebuilt_from_them_goes_on_identically(optimizer):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(9, 3)), rng.normal(size=(9, 2))
    network = DenseNetwork.initialise((3, 4, 2), rng, optimizer=make_update_rule(optimizer), weight_decay=0.01)
    for _ in range(3):
        network.step(X, y, 0.05)
    kept = network.parameters
    assert isinstance(kept, Parameters) and kept.state.step == 3 and kept.state.arrays
    twin = network.with_parameters(kept)
    other = DenseNetwork.initialise((3, 4, 2), rng, optimizer=make_update_rule(optimizer))
    other.set_parameters(kept)
    for _ in range(2):
        for each in (network, twin, other):
            each.step(X, y, 0.05)
    assert twin.weight_decay == network.weight_decay == 0.01
    for a, b in zip(flat(network), flat(twin), strict=True):
        assert np.array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(flat(network), flat(other)))  # no weight decay there
    network.set_parameters([(w, b) for w, b in kept])  # a plain list of pairs: the optimizer starts afresh
    assert network.optimizer.state is FRESH


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_recorded_and_fast_paths_are_bit_identical_over_epochs_with_state_batches_and_decay(optimizer):
    rng = np.random.default_rng(11)
    X, y = rng.normal(size=(23, 4)), rng.normal(size=(23, 2))
    batches = Batches(5, 7)
    fast = DenseNetwork.initialise((4, 6, 3, 2), np.random.default_rng(2), activations=("tanh", "relu"),
                                   optimizer=make_update_rule(optimizer), weight_decay=0.02)
    slow = fast.with_parameters(fast.parameters)
    first_tape, frozen = None, None
    for epoch in range(4):
        run_epochs(fast, X, y, 0.03, epoch, epoch + 1, batches=batches)
        for iteration in range(batches.count(23)):
            recorder = TapeRecorder(epoch, iteration)
            slow.step(*batch(X, y, batches.rows(epoch, iteration, 23)), 0.03, record=recorder)
            if first_tape is None:
                first_tape = recorder.tape
                frozen = {(phase.key, name): np.array(array) for phase in first_tape
                          for name, array in (*phase.inputs.items(), *phase.outputs.items())}
        kept_fast, kept_slow = fast.parameters, slow.parameters
        for a, b in zip(flat(fast), flat(slow), strict=True):
            assert np.array_equal(a, b)
        assert kept_fast.state.step == kept_slow.state.step
        for layer_fast, layer_slow in zip(kept_fast.state.arrays, kept_slow.state.arrays, strict=True):
            for a, b in zip(layer_fast, layer_slow, strict=True):
                assert np.array_equal(a, b)
    assert first_tape is not None and frozen is not None
    for phase in first_tape:  # every matrix of the first tape still holds what it held: nothing changed in place
        for name, array in (*phase.inputs.items(), *phase.outputs.items()):
            assert np.array_equal(array, frozen[(phase.key, name)]), (phase.key, name)


# --- what the update phases show ---------------------------------------------------------------------------------


def recorded(optimizer: str, weight_decay: float = 0.0, steps: int = 2, rows: int = 3):
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(rows, 3)), rng.normal(size=(rows, 2))
    network = DenseNetwork.initialise((3, 4, 2), rng, optimizer=make_update_rule(optimizer), weight_decay=weight_decay)
    for _ in range(steps):
        network.step(X, y, 0.05)
    recorder = TapeRecorder(steps)
    network.step(X, y, 0.05, record=recorder)
    return recorder.tape


def test_the_momentum_update_shows_the_velocity_it_reads_and_makes():
    tape = recorded("momentum")
    update = tape[tape.index("update.2")]
    assert list(update.inputs) == ["W2", "b2", "dW2", "db2", "vW2", "vb2"]
    assert list(update.outputs) == ["W2'", "b2'", "vW2'", "vb2'"]
    assert update.equation.unicode.startswith("vW₂' = μ·vW₂ + ∂L/∂W₂,  W₂' = W₂ − η·vW₂'")
    assert "μ = 0.9" in update.legend and "update 3" in update.legend
    assert update.code.splitlines()[0] == code_line(Momentum.optimize, "new_weight_velocity =")
    np.testing.assert_array_equal(update.outputs["vW2'"], 0.9 * update.inputs["vW2"] + update.inputs["dW2"])
    np.testing.assert_array_equal(update.outputs["W2'"], update.inputs["W2"] - 0.05 * update.outputs["vW2'"])
    assert changed_outputs(update) == ["W2'", "b2'", "vW2'", "vb2'"]


def test_the_adam_update_shows_the_moments_it_reads_and_makes_and_their_corrections():
    tape = recorded("adam", weight_decay=0.01)
    update = tape[tape.index("update.1")]
    assert list(update.inputs) == ["W1", "b1", "dW1", "db1", "mW1", "sW1", "mb1", "sb1"]
    assert list(update.outputs) == ["W1'", "b1'", "mW1'", "sW1'", "m̂W1", "ŝW1", "mb1'", "sb1'", "m̂b1", "ŝb1"]
    assert "W₁' = W₁ − η·m̂W₁/(√ŝW₁ + ε)" in update.equation.unicode
    assert "t = 3" in update.legend and "not AdamW" in update.note
    assert len(update.code.splitlines()) == 5
    m, s = update.outputs["mW1'"], update.outputs["sW1'"]
    np.testing.assert_allclose(update.outputs["m̂W1"], m / (1 - 0.9 ** 3), rtol=1e-15)
    np.testing.assert_allclose(update.outputs["ŝW1"], s / (1 - 0.999 ** 3), rtol=1e-15)
    assert changed_outputs(update) == ["W1'", "b1'", "mW1'", "sW1'", "mb1'", "sb1'"]
    assert np.isnan(change_matrix(update, "m̂W1")).all()  # made afresh, nothing before it


@pytest.mark.parametrize("optimizer, weight_decay", [("momentum", 0.0), ("adam", 0.0), ("adam", 0.05),
                                                     ("sgd", 0.1)])
def test_every_cell_of_the_update_and_penalty_phases_is_written_out_with_the_tapes_own_value(optimizer, weight_decay):
    tape = recorded(optimizer, weight_decay)
    for phase in tape:
        if phase.stage != "update" and phase.key not in ("penalty", "backward.1.weight", "backward.2.weight"):
            continue
        for name, array in phase.outputs.items():
            matrix = np.atleast_2d(array)
            for row, column in np.ndindex(matrix.shape):
                explanation = explain(tape, phase, name, row, column)
                assert explanation.total == matrix[row, column], (phase.key, name)
                text = expansion_text(explanation)
                assert text.startswith(explanation.cell) and text.count(" = ") >= 2, text
                if explanation.complete:  # the written calculation, worked from the exact operands, is the value
                    worked = explanation.by_hand(*(Fraction(value) for value in explanation.operands))
                    assert float(worked) == pytest.approx(matrix[row, column], rel=1e-12, abs=1e-15), text
                if name.endswith("'"):
                    assert explanation.change == pytest.approx(float(change_matrix(phase, name)[row, column]),
                                                               rel=1e-12, abs=1e-300)


def test_the_names_of_the_state_have_ascii_aliases_a_session_file_accepts():
    for optimizer in ("momentum", "adam"):
        tape = recorded(optimizer, weight_decay=0.1)
        names = {name for phase in tape for name in phase.matrix_names}
        for name in names:
            alias = ascii_name(name)
            assert alias.isascii() and canonical_name(alias) == name and MATRIX_ALIAS.fullmatch(alias), name
    assert ascii_name("m̂W2") == "mhatW2" and ascii_name("ŝb1") == "shatb1" and ascii_name("vW1'") == "vW1_new"


# --- weight decay ----------------------------------------------------------------------------------------------------


def test_no_weight_decay_runs_the_articles_lines_and_phases():
    tape = recorded("sgd")
    assert tape.keys == phase_keys(2)
    assert tape[tape.index("backward.2.weight")].code == code_line(DenseLayer.backward, "weight_gradient = np.dot")
    assert "λ" not in "".join(phase.equation.unicode + phase.legend for phase in tape)


def test_weight_decay_shows_its_penalty_apart_and_adds_lambda_w_to_the_weight_gradient():
    tape = recorded("sgd", weight_decay=0.1, steps=0)
    assert tape.keys[tape.index("loss") + 1] == "penalty"
    penalty = tape[tape.index("penalty")]
    weights = [penalty.inputs["W1"], penalty.inputs["W2"]]
    expected = 0.1 / 2 * sum(float((weight ** 2).sum()) for weight in weights)
    assert float(penalty.outputs["penalty"]) == pytest.approx(expected, rel=1e-14)
    assert float(penalty.outputs["total_loss"]) == float(penalty.inputs["loss"]) + float(penalty.outputs["penalty"])
    assert tape.loss == float(tape[tape.index("loss")].outputs["loss"])  # the tape's loss is the data loss
    weight_phase = tape[tape.index("backward.2.weight")]
    assert weight_phase.equation.unicode == "∂L/∂W₂ = Z₁ᵀ·G + λ·W₂" and "λ = 0.1" in weight_phase.legend
    assert weight_phase.code.splitlines()[1] == "weight_gradient = weight_gradient + layer.weight_decay * layer.weight"
    plain = recorded("sgd", weight_decay=0.0, steps=0)
    G, Z1 = weight_phase.inputs["dL/dŷ"], weight_phase.inputs["Z1"]
    np.testing.assert_array_equal(weight_phase.outputs["dW2"], Z1.T @ G + 0.1 * weight_phase.inputs["W2"])
    for key in ("backward.2.bias", "backward.1.bias"):  # the biases are not decayed
        np.testing.assert_array_equal(tape[tape.index(key)].outputs[f"db{key[9]}"],
                                      plain[plain.index(key)].outputs[f"db{key[9]}"])


@st.composite
def decayed_problems(draw):
    parameters, activations, X, y = draw(problems(("none", "relu", "tanh")))
    zs = forward_activated(parameters, (*activations, "none"), X)
    for z, name in zip(zs, activations, strict=False):  # no ReLU input within a step of its kink
        assume(name != "relu" or np.abs(z).min() > 1e-3)
    return parameters, activations, X, y, draw(st.sampled_from([0.001, 0.1, 2.0]))


@settings(max_examples=40, deadline=None)
@given(decayed_problems())
def test_every_gradient_with_weight_decay_matches_central_differences_of_an_independent_loss(problem):
    parameters, activations, X, y, weight_decay = problem
    network = network_of(parameters, activations, weight_decay=weight_decay)
    recorder = TapeRecorder()
    network.step(X, y, 0.01, record=recorder)
    outputs = {name: array for phase in recorder.tape for name, array in phase.outputs.items()}

    def objective(changed) -> float:
        prediction = forward_activated(changed, (*activations, "none"), X)[-1]
        return loss_of_prediction(prediction, y) + weight_decay / 2 * sum(float((w ** 2).sum()) for w, _ in changed)

    for layer in range(1, len(parameters) + 1):
        def with_changed(index, value, layer=layer):
            changed = [list(pair) for pair in parameters]
            changed[layer - 1][index] = value
            return objective(changed)

        weight, bias = parameters[layer - 1]
        np.testing.assert_allclose(outputs[f"dW{layer}"], central_difference(lambda w: with_changed(0, w), weight, 1e-5),
                                   rtol=1e-4, atol=1e-8)
        np.testing.assert_allclose(outputs[f"db{layer}"], central_difference(lambda b: with_changed(1, b), bias, 1e-5),
                                   rtol=1e-4, atol=1e-8)
    assert float(outputs["total_loss"]) == pytest.approx(objective(parameters), rel=1e-12)
    for phase in recorder.tape:  # the debugger's own check counts the penalty too
        if phase.gradient_of is not None and phase.gradient_of.startswith(("W", "b")):
            check = check_gradient(recorder.tape, phase.key)
            assert check.max_relative_error < 1e-5, phase.key

