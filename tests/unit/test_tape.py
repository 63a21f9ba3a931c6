"""The tape: canonical keys and names, shared (not copied) read-only matrices, and code that really ran."""

import inspect

import numpy as np
import pytest

import scratchnet
from scratchnet import DenseNetwork, TapeRecorder, make_rngs, phase_keys, train
from scratchnet.debugger.names import ascii_name, canonical_name, pretty_name


def recorded(sizes=(4, 8, 4, 1), rows=50, seed=3, learning_rate=0.01):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(rows, sizes[0])), rng.normal(size=(rows, sizes[-1]))
    network = DenseNetwork.initialise(sizes, rng)
    recorder = TapeRecorder()
    network.step(X, y, learning_rate, record=recorder)
    return network, X, y, recorder.tape


def test_phase_keys_are_canonical():
    assert phase_keys(2) == [
        "forward.1", "forward.2", "error", "loss", "loss_gradient",
        "backward.2.weight", "backward.2.bias", "backward.2.input",
        "backward.1.weight", "backward.1.bias", "backward.1.input",
        "update.1", "update.2",
    ]


def test_tape_follows_the_canonical_order_and_names():
    _, _, _, tape = recorded()
    assert tape.keys == phase_keys(3)
    phase = {p.key: p for p in tape}
    assert list(phase["forward.1"].inputs) == ["X", "W1", "b1"] and list(phase["forward.1"].outputs) == ["Z1"]
    assert list(phase["forward.2"].inputs) == ["Z1", "W2", "b2"]
    assert list(phase["error"].inputs) == ["Z3", "y"]
    assert list(phase["loss"].outputs) == ["squared_error", "loss"]
    assert list(phase["loss_gradient"].outputs) == ["dL/dŷ"]
    assert list(phase["backward.3.weight"].inputs) == ["Z2", "dL/dŷ"]
    assert list(phase["backward.2.weight"].inputs) == ["Z1", "dX3"]
    assert list(phase["backward.1.input"].outputs) == ["dX1"]
    assert list(phase["update.2"].inputs) == ["W2", "b2", "dW2", "db2"]
    assert list(phase["update.2"].outputs) == ["W2'", "b2'"]


def test_matrices_are_shared_read_only_views_not_copies():
    network, X, y, tape = recorded()
    phase = {p.key: p for p in tape}
    assert np.shares_memory(phase["forward.1"].inputs["X"], X)
    assert np.shares_memory(phase["forward.1"].outputs["Z1"], phase["forward.2"].inputs["Z1"])
    assert np.shares_memory(phase["forward.2"].inputs["W2"], phase["update.2"].inputs["W2"])
    assert np.shares_memory(phase["update.3"].outputs["W3'"], network.layers[2].weight)
    assert np.shares_memory(phase["loss_gradient"].outputs["dL/dŷ"], phase["backward.3.weight"].inputs["dL/dŷ"])
    with pytest.raises(ValueError):
        phase["forward.1"].outputs["Z1"][0, 0] = 1.0


def test_every_code_line_is_a_line_of_scratchnet_that_computes_its_output():
    _, _, _, tape = recorded()
    source = "\n".join(inspect.getsource(module) for module in (scratchnet.layer, scratchnet.loss, scratchnet.optimizer,
                                                                      scratchnet.network))
    for phase in tape:
        for line in phase.code.splitlines():
            assert f"\n{' ' * 8}{line}\n" in source or f"\n{' ' * 12}{line}\n" in source, (phase.key, line)
    assert "np.dot(input_matrix, self.weight) + self.bias" in tape[0].code
    assert "np.sum(cumulated_backpropagating_gradient, axis=0, keepdims=True)" in tape[tape.index("backward.1.bias")].code


def test_shapes_spell_out_broadcasting():
    _, _, _, tape = recorded(rows=50)
    assert tape[0].shapes == "(50×4)·(4×8) + (1×8 broadcast over 50 rows) → (50×8)"
    assert "(50×8)ᵀ·(50×4)" in tape[tape.index("backward.2.weight")].shapes


def test_equations_in_unicode_and_latex():
    _, _, _, tape = recorded()
    assert tape[1].equation.unicode == "Z₂ = Z₁·W₂ + b₂"
    assert tape[tape.index("backward.3.weight")].equation.unicode == "∂L/∂W₃ = Z₂ᵀ·G"
    assert "∂L/∂ŷ" in tape[tape.index("backward.3.weight")].legend
    assert "dX₃" in tape[tape.index("backward.2.weight")].legend
    assert all(phase.equation.latex and phase.note for phase in tape)


def test_recorded_and_fast_paths_give_identical_parameters():
    data_rng, weight_rng = make_rngs(11)
    X, y = data_rng.normal(size=(200, 4)), data_rng.normal(size=(200, 1))
    fast = DenseNetwork.initialise((4, 8, 4, 1), weight_rng)
    recorded_net = DenseNetwork(
        [scratchnet.DenseLayer(w.copy(), b.copy()) for w, b in fast.parameters]
    )
    fast_losses = train(fast, X, y, 0.05, 7).losses
    recorded_losses = []
    for epoch in range(7):
        recorder = TapeRecorder(epoch)
        recorded_losses.append(recorded_net.step(X, y, 0.05, record=recorder))
        assert recorder.tape.epoch == epoch
    assert fast_losses == recorded_losses
    for (w1, b1), (w2, b2) in zip(fast.parameters, recorded_net.parameters):
        assert np.array_equal(w1, w2) and np.array_equal(b1, b2)


@pytest.mark.parametrize("name,alias", [("dL/dŷ", "dL_dyhat"), ("W1'", "W1_new"), ("b3'", "b3_new"), ("Z2", "Z2")])
def test_ascii_aliases_round_trip(name, alias):
    assert ascii_name(name) == alias
    assert canonical_name(alias) == name


def test_pretty_names():
    assert pretty_name("W12") == "W₁₂" and pretty_name("W1'") == "W₁'" and pretty_name("loss") == "loss"


def test_float32_stays_float32():
    _, weight_rng = make_rngs(0)
    network = DenseNetwork.initialise((4, 3, 1), weight_rng, "float32")
    X = np.ones((5, 4), dtype=np.float32)
    y = np.zeros((5, 1), dtype=np.float32)
    recorder = TapeRecorder()
    network.step(X, y, 0.01, record=recorder)
    assert all(array.dtype == np.float32 for phase in recorder.tape
               for array in (*phase.inputs.values(), *phase.outputs.values()))
