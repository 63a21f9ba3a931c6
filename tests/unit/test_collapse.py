"""The collapsed linear map the training screen shows, against the layers multiplied out here."""

import numpy as np

from scratchnet import DenseNetwork
from scratchnet.debugger.collapse import effective_map
from tests.reference import forward_from


def test_three_layers_are_one_linear_map():
    rng = np.random.default_rng(4)
    network = DenseNetwork.initialise((4, 8, 4, 1), rng)
    (W1, b1), (W2, b2), (W3, b3) = network.parameters
    weight, bias = effective_map(network.parameters)
    np.testing.assert_allclose(weight, W1 @ W2 @ W3, rtol=1e-12)
    np.testing.assert_allclose(bias, (b1 @ W2 + b2) @ W3 + b3, rtol=1e-12)
    X = rng.normal(size=(20, 4))
    np.testing.assert_allclose(X @ weight + bias, forward_from(network.parameters, 1, X), rtol=1e-10)
    before = network.parameters
    np.testing.assert_array_equal(network.predict(X, before), network.forward(X))
    assert network.parameters == before  # predicting leaves the network's own parameters alone


def test_the_map_in_data_units_predicts_what_the_network_predicts_in_dollars():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from backprop_tui.config import RunConfig, build_run
    from scratchnet.debugger.collapse import map_in_units

    @settings(max_examples=25, deadline=None)
    @given(st.integers(0, 10_000), st.sampled_from([(8, 4), (3,), (5, 5, 2)]))
    def check(seed, hidden):
        run = build_run(RunConfig(samples=50, seed=seed, hidden=hidden))
        dataset = run.dataset
        slope, intercept = map_in_units(run.initial_parameters, dataset.feature_scaler.mean, dataset.feature_scaler.std,
                                        float(dataset.target_scaler.mean[0]), float(dataset.target_scaler.std[0]))
        raw_X = dataset.feature_scaler.inverse(dataset.X)
        in_dollars = raw_X @ slope + intercept
        predicted = dataset.target_scaler.inverse(run.network.predict(dataset.X, run.initial_parameters))[:, 0]
        assert np.allclose(in_dollars, predicted, rtol=1e-9, atol=1e-6 * np.abs(predicted).max())

    check()


def test_after_training_the_map_in_data_units_comes_near_the_generators_coefficients():
    from backprop_tui.config import RunConfig, build_run
    from scratchnet import train
    from scratchnet.debugger.collapse import map_in_units

    run = build_run(RunConfig(samples=2000, epochs=300, learning_rate=0.02))
    train(run.network, run.dataset.X, run.dataset.y, 0.02, 300)
    dataset = run.dataset
    slope, _ = map_in_units(run.network.parameters, dataset.feature_scaler.mean, dataset.feature_scaler.std,
                            float(dataset.target_scaler.mean[0]), float(dataset.target_scaler.std[0]))
    assert abs(slope[0] - 600.0) < 15  # dollars per square foot: the generator's 600 within the noise
