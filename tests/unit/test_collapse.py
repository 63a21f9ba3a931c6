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
