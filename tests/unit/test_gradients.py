"""Every gradient on the tape against central finite differences, in float64, on random shapes."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet import DenseNetwork, TapeRecorder
from tests.reference import central_difference, forward_from, loss_of_prediction


@st.composite
def problems(draw):
    n_layers = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 16)) for _ in range(n_layers + 1)]
    rows = draw(st.integers(1, 64))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, sizes[0]))
    y = rng.normal(size=(rows, sizes[-1]))
    network = DenseNetwork.initialise(sizes, rng)
    return network, X, y


def assert_close(analytic, numeric):
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_every_tape_gradient_matches_central_differences(problem):
    network, X, y = problem
    parameters = [(w.copy(), b.copy()) for w, b in network.parameters]
    recorder = TapeRecorder()
    network.step(X, y, 0.01, record=recorder)
    tape = recorder.tape
    n_layers = len(parameters)
    outputs = {name: array for phase in tape for name, array in phase.outputs.items()}

    prediction = forward_from(parameters, 1, X)
    assert_close(outputs["dL/dŷ"], central_difference(lambda p: loss_of_prediction(p, y), prediction))
    assert np.isclose(float(outputs["loss"]), loss_of_prediction(prediction, y), rtol=1e-12)

    for layer in range(1, n_layers + 1):
        weight, bias = parameters[layer - 1]

        def loss_with(layer=layer, weight=None, bias=None):
            changed = list(parameters)
            old_weight, old_bias = changed[layer - 1]
            changed[layer - 1] = (old_weight if weight is None else weight, old_bias if bias is None else bias)
            return loss_of_prediction(forward_from(changed, 1, X), y)

        assert_close(outputs[f"dW{layer}"], central_difference(lambda w, l=layer: loss_with(l, weight=w), weight))
        assert_close(outputs[f"db{layer}"], central_difference(lambda b, l=layer: loss_with(l, bias=b), bias))
        layer_input = forward_from(parameters[: layer - 1], 1, X) if layer > 1 else X
        assert_close(
            outputs[f"dX{layer}"],
            central_difference(lambda z, l=layer: loss_of_prediction(forward_from(parameters, l, z), y), layer_input),
        )


@settings(max_examples=25, deadline=None)
@given(problems(), st.floats(1e-4, 0.5))
def test_update_is_gradient_descent_on_the_old_parameters(problem, learning_rate):
    network, X, y = problem
    before = [(w.copy(), b.copy()) for w, b in network.parameters]
    recorder = TapeRecorder()
    network.step(X, y, learning_rate, record=recorder)
    tape = recorder.tape
    for layer, (weight, bias) in enumerate(before, 1):
        update = tape[tape.index(f"update.{layer}")]
        np.testing.assert_array_equal(update.inputs[f"W{layer}"], weight)
        np.testing.assert_array_equal(update.inputs[f"b{layer}"], bias)
        np.testing.assert_array_equal(update.outputs[f"W{layer}'"], weight - learning_rate * update.inputs[f"dW{layer}"])
        np.testing.assert_array_equal(update.outputs[f"b{layer}'"], bias - learning_rate * update.inputs[f"db{layer}"])
