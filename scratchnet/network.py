"""The article's network: dense layers in a row, mean squared error, plain gradient descent.

There is one `step` for both uses. Training calls it bare; the debugger passes a
recorder, which only *reads* what the step stored, so a recorded iteration and a
fast one are the same operations in the same order and give identical numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from scratchnet.layer import DenseLayer


class IterationRecorder(Protocol):
    def __call__(
        self,
        network: DenseNetwork,
        X: np.ndarray,
        y: np.ndarray,
        learning_rate: float,
        previous_parameters: list[tuple[np.ndarray, np.ndarray]],
    ) -> None: ...


class DenseNetwork:
    # Set by forward, compute_loss and backward; absent (AttributeError), never None, until they have run.
    logits: np.ndarray
    error: np.ndarray
    squared_error: np.ndarray
    loss: np.floating
    """A NumPy scalar (np.float64 or np.float32), not an array."""
    loss_gradient_wrt_prediction: np.ndarray

    def __init__(self, layers: Sequence[DenseLayer]) -> None:
        self.layers = list(layers)

    @classmethod
    def initialise(
        cls, sizes: Sequence[int], rng: np.random.Generator, dtype: np.dtype | str = "float64"
    ) -> DenseNetwork:
        """`sizes` runs input → output, e.g. (4, 8, 4, 1) for three layers."""
        dtype = np.dtype(dtype)
        return cls(
            [DenseLayer.initialise(n_in, n_out, rng, dtype) for n_in, n_out in zip(sizes, sizes[1:])]
        )

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.layers[0].weight.shape[0], *(layer.weight.shape[1] for layer in self.layers))

    @property
    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W, b) per layer. Updates make new arrays, so keeping this list is a snapshot."""
        return [(layer.weight, layer.bias) for layer in self.layers]

    def set_parameters(self, parameters: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        for layer, (weight, bias) in zip(self.layers, parameters, strict=True):
            layer.weight, layer.bias = weight, bias

    def forward(self, X: np.ndarray) -> np.ndarray:
        output = X
        for layer in self.layers:
            output = layer.forward(output)
        self.logits = output
        return output

    def compute_loss(self, target: np.ndarray) -> np.floating:
        error = self.logits - target
        squared_error = error ** 2
        loss = np.mean(squared_error)
        self.error, self.squared_error, self.loss = error, squared_error, loss
        return loss

    def backward(self) -> None:
        loss_gradient_wrt_prediction = (2 * self.error) / self.error.size
        self.loss_gradient_wrt_prediction = loss_gradient_wrt_prediction
        cumulated_backpropagating_gradient = loss_gradient_wrt_prediction
        for layer in reversed(self.layers):
            layer.incoming_gradient = cumulated_backpropagating_gradient
            weight_gradient = np.dot(layer.get_local_derivative_wrt_weights().T, cumulated_backpropagating_gradient)
            bias_gradient = np.sum(cumulated_backpropagating_gradient, axis=0, keepdims=True)
            cumulated_backpropagating_gradient = np.dot(cumulated_backpropagating_gradient, layer.get_local_derivative_wrt_inputs().T)
            layer.weight_gradient = weight_gradient
            layer.bias_gradient = bias_gradient
            layer.input_gradient = cumulated_backpropagating_gradient

    def optimize(self, learning_rate: float) -> None:
        """New arrays, never in place: the old parameters stay valid for anyone holding them."""
        for layer in self.layers:
            new_weight = layer.weight - learning_rate * layer.weight_gradient
            new_bias = layer.bias - learning_rate * layer.bias_gradient
            layer.weight, layer.bias = new_weight, new_bias

    def step(
        self,
        X: np.ndarray,
        y: np.ndarray,
        learning_rate: float,
        record: IterationRecorder | None = None,
    ) -> float:
        """One training iteration; returns the loss of its forward pass (before the update)."""
        self.forward(X)
        loss = self.compute_loss(y)
        self.backward()
        previous_parameters = self.parameters
        self.optimize(learning_rate)
        if record is not None:
            record(self, X, y, learning_rate, previous_parameters)
        return float(loss)
