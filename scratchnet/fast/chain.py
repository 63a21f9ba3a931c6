"""The chain operations on the fast path: a dense layer and the four activations, their forward and backward
lines as `layer.py` and `activation.py` write them, each result written into a buffer made once for the batch
size instead of a new array per iteration.

Nothing here is kept by anyone but the fast step itself: the buffers are overwritten by the next iteration, so
they never reach the network's operations, a tape, or a hook. The last operation's output (the logits the loss
reads and `network.logits` keeps) is always a new array. The first operation's input gradient (∂L/∂X of the
data) is skipped: no parameter depends on it (a step tapped for it makes it). The recorded path still makes it,
and its phase shows it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from scratchnet.activation import LEAKY_SLOPE, Activation, LeakyReLU, ReLU, Sigmoid, Tanh
from scratchnet.fast.layout import Pair
from scratchnet.fast.sums import BiasAdd, column_sum
from scratchnet.layer import DenseLayer
from scratchnet.operation import ChainOperation


class FastOperation(Protocol):
    output: np.ndarray | None
    """The buffer its forward pass writes (None: a new array each time)."""
    reads_output_backward: bool
    """Whether its backward step reads its own output (tanh and sigmoid write σ' with A)."""

    def forward(self, input_matrix: np.ndarray, parameters: list[Pair]) -> np.ndarray: ...

    def backward(self, gradient: np.ndarray, parameters: list[Pair]) -> np.ndarray | None:
        """The gradient for the operation below, or None for the first operation (nothing below needs it)."""
        ...


class Buffers:
    """Makes one operation's buffers: for its batch's rows and dtype, and where it sits in the chain."""

    def __init__(self, rows: int, dtype: np.dtype, *, first: bool, last: bool,
                 free_input: np.ndarray | None = None) -> None:
        """`free_input`: the buffer the operation's input is in, when nothing reads it once this operation's
        backward step has used it: the gradient for the operation below goes there, so the epoch touches less
        memory (the input's buffer is as big as that gradient: ∂L/∂X has X's shape)."""
        self.rows, self.dtype, self.first, self.last = rows, dtype, first, last
        self.free_input = free_input

    def output(self, columns: int) -> np.ndarray | None:
        """The buffer an output goes into, or None (a new array each time) for the last operation's."""
        return None if self.last else np.empty((self.rows, columns), self.dtype)

    def input_gradient(self, columns: int) -> np.ndarray | None:
        """The buffer the gradient for the operation below goes into; None for the first operation (skipped)."""
        if self.first:
            return None
        return self.free_input if self.free_input is not None else np.empty((self.rows, columns), self.dtype)

    def scratch(self, columns: int, dtype: np.dtype | type | None = None) -> np.ndarray:
        return np.empty((self.rows, columns), self.dtype if dtype is None else dtype)


class FastDense:
    """Z = X·W + b; dW = Xᵀ·G (+ λ·W), db = Σᵢ Gᵢ, dX = G·Wᵀ. dW and db go into the flat gradient's views; dX is
    made last, so it may go into X's buffer."""

    reads_output_backward = False

    def __init__(self, layer: DenseLayer, slot: int, buffers: Buffers, gradients: Pair) -> None:
        n_in, n_out = layer.weight.shape
        self.slot = slot
        """Which trainable layer's (W, b) it reads."""
        self.weight_decay = layer.weight_decay
        self.output = buffers.output(n_out)
        self.input_gradient = buffers.input_gradient(n_in)
        self.weight_gradient, self.bias_gradient = gradients
        self.add_bias = BiasAdd(buffers.rows, n_out, buffers.dtype)
        self.input_matrix: np.ndarray

    def forward(self, input_matrix: np.ndarray, parameters: list[Pair]) -> np.ndarray:
        weight, bias = parameters[self.slot]
        self.input_matrix = input_matrix
        output = np.dot(input_matrix, weight, out=self.output)
        self.add_bias(output, bias)
        return output

    def backward(self, gradient: np.ndarray, parameters: list[Pair]) -> np.ndarray | None:
        weight, _ = parameters[self.slot]
        np.dot(self.input_matrix.T, gradient, out=self.weight_gradient)
        if self.weight_decay:
            np.add(self.weight_gradient, self.weight_decay * weight, out=self.weight_gradient)
        column_sum(gradient, self.bias_gradient)
        if self.input_gradient is None:
            return None
        return np.dot(gradient, weight.T, out=self.input_gradient)


class FastActivation:
    """A = σ(Z) and dZ = G ⊙ σ'(Z); `local_derivative` fills `self.derivative` with σ'(Z) (or A's form of it)
    before dZ is made, so dZ may go into Z's buffer."""

    reads_output_backward = False

    def __init__(self, columns: int, buffers: Buffers) -> None:
        self.output = buffers.output(columns)
        self.input_gradient = buffers.input_gradient(columns)
        self.derivative = buffers.scratch(columns)
        self.input_matrix: np.ndarray
        self.activated: np.ndarray

    def forward(self, input_matrix: np.ndarray, parameters: list[Pair]) -> np.ndarray:
        self.input_matrix = input_matrix
        self.activated = self.activate(input_matrix, self.output)
        return self.activated

    def backward(self, gradient: np.ndarray, parameters: list[Pair]) -> np.ndarray | None:
        derivative = self.local_derivative()
        if self.input_gradient is None:
            return None
        return np.multiply(gradient, derivative, out=self.input_gradient)

    def activate(self, Z: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def local_derivative(self) -> np.ndarray:
        raise NotImplementedError


class FastReLU(FastActivation):
    def __init__(self, columns: int, buffers: Buffers) -> None:
        super().__init__(columns, buffers)
        self.derivative = buffers.scratch(columns, bool)  # a mask, as ReLU's own σ' is

    def activate(self, Z: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return np.maximum(Z, 0, out=out)

    def local_derivative(self) -> np.ndarray:
        return np.greater(self.input_matrix, 0, out=self.derivative)


class FastLeakyReLU(FastActivation):
    def __init__(self, columns: int, buffers: Buffers) -> None:
        super().__init__(columns, buffers)
        self.positive = buffers.scratch(columns, bool)
        self.slope = buffers.dtype.type(LEAKY_SLOPE)
        """0.01 in the data's dtype: what `np.where(…, 1, 0.01).astype(dtype)` holds where Z ≤ 0."""

    def activate(self, Z: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        output = np.multiply(LEAKY_SLOPE, Z, out=out)  # np.where(Z > 0, Z, 0.01·Z), without the where's new array
        np.copyto(output, Z, where=np.greater(Z, 0, out=self.positive))
        return output

    def local_derivative(self) -> np.ndarray:
        self.derivative.fill(self.slope)
        np.copyto(self.derivative, 1, where=np.greater(self.input_matrix, 0, out=self.positive))
        return self.derivative


class FastTanh(FastActivation):
    reads_output_backward = True
    def activate(self, Z: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return np.tanh(Z, out=out)

    def local_derivative(self) -> np.ndarray:  # 1 − A²
        np.square(self.activated, out=self.derivative)
        return np.subtract(1, self.derivative, out=self.derivative)


class FastSigmoid(FastActivation):
    reads_output_backward = True
    def activate(self, Z: np.ndarray, out: np.ndarray | None) -> np.ndarray:  # exp(−logaddexp(0, −Z))
        negated = np.negative(Z, out=self.derivative)  # the derivative's buffer is free until the way back
        np.logaddexp(0, negated, out=negated)
        np.negative(negated, out=negated)
        return np.exp(negated, out=out)

    def local_derivative(self) -> np.ndarray:  # A(1 − A)
        np.subtract(1, self.activated, out=self.derivative)
        return np.multiply(self.activated, self.derivative, out=self.derivative)


ACTIVATIONS: dict[type[Activation], type[FastActivation]] = {
    ReLU: FastReLU, LeakyReLU: FastLeakyReLU, Tanh: FastTanh, Sigmoid: FastSigmoid}


def fast_operations(operations: list[ChainOperation], rows: int, dtype: np.dtype,
                    gradients: list[Pair], data_gradient: bool = False) -> list[FastOperation]:
    """The chain's fast forms for a batch of `rows` rows; `gradients`: each trainable layer's (dW, db) views.
    `data_gradient`: make ∂L/∂X of the data too (a tap reads it), which no update needs."""
    made: list[FastOperation] = []
    slot = 0
    columns = 0
    for index, operation in enumerate(operations):
        below = made[-1] if made else None
        free = below.output if below is not None and not below.reads_output_backward else None
        buffers = Buffers(rows, dtype, first=index == 0 and not data_gradient, last=index == len(operations) - 1,
                          free_input=free)
        if isinstance(operation, DenseLayer):
            made.append(FastDense(operation, slot, buffers, gradients[slot]))
            columns = operation.weight.shape[1]
            slot += 1
        else:
            assert isinstance(operation, Activation)
            made.append(ACTIVATIONS[type(operation)](columns, buffers))
    return made


def has_fast_forms(operations: list[ChainOperation]) -> bool:
    """Whether every operation is one this module knows exactly (not a subclass, which may compute otherwise),
    starting with a dense layer (an activation takes its width from the layer before it)."""
    return (bool(operations) and type(operations[0]) is DenseLayer
            and all(type(operation) is DenseLayer or type(operation) in ACTIVATIONS for operation in operations))
