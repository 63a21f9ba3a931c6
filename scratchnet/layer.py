"""A dense layer, said the article's way.

`forward` sits beside the layer's two local derivatives on purpose: those two
matrices are all a dense layer contributes to backpropagation, and reading them
together is the whole lesson.
"""

from __future__ import annotations

import numpy as np


class DenseLayer:
    """Z = X·W + b, remembering X so the weight gradient can be formed later."""

    # Set by forward; absent (AttributeError), never None, until it has run.
    input_matrix: np.ndarray
    output: np.ndarray
    # Set by DenseNetwork.backward: the gradient arriving at this layer (G)
    # and the three gradients it makes from it.
    incoming_gradient: np.ndarray
    weight_gradient: np.ndarray
    bias_gradient: np.ndarray
    input_gradient: np.ndarray

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.weight = weight
        self.bias = bias

    @classmethod
    def initialise(
        cls, n_inputs: int, n_outputs: int, rng: np.random.Generator, dtype: np.dtype
    ) -> DenseLayer:
        """Uniform in [−1, 1) like the article, drawn weight first, then bias."""
        weight = rng.uniform(-1.0, 1.0, size=(n_inputs, n_outputs)).astype(dtype)
        bias = rng.uniform(-1.0, 1.0, size=(1, n_outputs)).astype(dtype)
        return cls(weight, bias)

    def forward(self, input_matrix: np.ndarray) -> np.ndarray:
        self.input_matrix = input_matrix
        output = np.dot(input_matrix, self.weight) + self.bias
        self.output = output
        return output

    def get_local_derivative_wrt_weights(self) -> np.ndarray:
        """∂Z/∂W = X: how the output moves when a weight moves."""
        return self.input_matrix

    def get_local_derivative_wrt_inputs(self) -> np.ndarray:
        """∂Z/∂X = W: how the output moves when an input moves."""
        return self.weight
