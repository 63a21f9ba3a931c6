"""The loss heads on the fast path: mean squared error and softmax with cross-entropy, the lines of `loss.py`
and `softmax.py` written into buffers made once for the batch size.

`np.mean(a)` is written as the two steps NumPy's own mean takes for a float array, `np.add.reduce(a, None)`
and the division by the entry count as a NumPy integer, then cast back to a's dtype: the same number, without
the half of an iteration of 32 rows that `np.mean`'s Python wrapper costs.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from scratchnet.loss import MeanSquaredError
from scratchnet.operation import LossHead
from scratchnet.softmax import SoftmaxCrossEntropy


def mean(values: np.ndarray) -> np.floating:
    """np.mean(values) for a float32 or float64 array, by NumPy's own steps."""
    total = np.add.reduce(values, None)
    return total.dtype.type(total / np.intp(values.size))


class FastHead(Protocol):
    def compute_loss(self, logits: np.ndarray, target: np.ndarray) -> np.floating: ...

    def backward(self) -> np.ndarray:
        """∂L/∂(logits), where backpropagation starts."""
        ...


class FastMeanSquaredError:
    def __init__(self, rows: int, outputs: int, dtype: np.dtype) -> None:
        self.error, self.squared_error, self.gradient = (np.empty((rows, outputs), dtype) for _ in range(3))

    def compute_loss(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        error = np.subtract(logits, target, out=self.error)
        return mean(np.square(error, out=self.squared_error))  # error ** 2 is np.square

    def backward(self) -> np.ndarray:
        gradient = np.multiply(2, self.error, out=self.gradient)
        return np.divide(gradient, self.error.size, out=gradient)


class FastSoftmaxCrossEntropy:
    def __init__(self, rows: int, classes: int, dtype: np.dtype) -> None:
        wide = (rows, classes)
        self.shifted, self.exponentials, self.probabilities, self.log_probabilities, self.error, self.gradient = (
            np.empty(wide, dtype) for _ in range(6))
        self.row_max, self.sum_of_exponentials, self.log_sum, self.sample_loss = (
            np.empty((rows, 1), dtype) for _ in range(4))

    def compute_loss(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        row_max = np.maximum.reduce(logits, axis=1, out=self.row_max, keepdims=True)  # np.max(logits, axis=1, …)
        shifted = np.subtract(logits, row_max, out=self.shifted)
        exponentials = np.exp(shifted, out=self.exponentials)
        sum_of_exponentials = np.add.reduce(exponentials, axis=1, out=self.sum_of_exponentials, keepdims=True)
        probabilities = np.divide(exponentials, sum_of_exponentials, out=self.probabilities)
        log_sum = np.log(sum_of_exponentials, out=self.log_sum)
        log_probabilities = np.subtract(shifted, log_sum, out=self.log_probabilities)
        products = np.multiply(target, log_probabilities, out=self.gradient)  # the gradient's buffer: free until backward
        sums = np.add.reduce(products, axis=1, out=self.sample_loss, keepdims=True)
        sample_loss = np.negative(sums, out=self.sample_loss)
        np.subtract(probabilities, target, out=self.error)
        return mean(sample_loss)

    def backward(self) -> np.ndarray:
        return np.divide(self.error, self.error.shape[0], out=self.gradient)


HEADS: dict[type[LossHead], type[FastMeanSquaredError] | type[FastSoftmaxCrossEntropy]] = {
    MeanSquaredError: FastMeanSquaredError, SoftmaxCrossEntropy: FastSoftmaxCrossEntropy}
