"""What the fast step makes on its way, handed to a run that wants to read it (a break condition on ‖Z₁‖, ‖dL/dŷ‖).

The fast step writes each operation's output and the gradient it passes back into buffers that the same step
overwrites (dZ₁ goes where Z₁ was), so what is wanted must be copied the moment it is made. A tapped operation
wraps the fast one and hands what it made to a sink; untapped operations, and every run nobody taps, run as they
are, at no cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from scratchnet.fast.chain import FastOperation
from scratchnet.fast.heads import FastHead
from scratchnet.fast.layout import Pair

Sink = Callable[[np.ndarray], None]
"""Takes a copy of what it is handed (the array is a buffer the step goes on to overwrite)."""


@dataclass(frozen=True)
class Taps:
    """Which operations (by their place in the chain, from 0) hand what on."""

    outputs: dict[int, Sink] = field(default_factory=dict)
    """What the operation made on the way forward (Z₁, A₁, ŷ)."""
    gradients: dict[int, Sink] = field(default_factory=dict)
    """The gradient it passed back to the operation below (dZ₁, dA₁, dX₂, dX₁: a step tapped for it makes it)."""
    head: dict[str, Sink] = field(default_factory=dict)
    """What the loss head keeps of this step, by the fast head's name for it (error, probabilities, gradient), each
    handed over once the head has made its gradient: nothing the step does after that writes into the head."""

    def wrap_head(self, head: FastHead) -> FastHead:
        return TappedHead(head, self.head) if self.head else head

    def wrap(self, operations: list[FastOperation]) -> list[FastOperation]:
        return [TappedOperation(operation, self.outputs.get(index), self.gradients.get(index))
                if index in self.outputs or index in self.gradients else operation
                for index, operation in enumerate(operations)]


class TappedOperation:
    """A fast operation whose output or passed-back gradient also goes to a sink."""

    def __init__(self, operation: FastOperation, on_output: Sink | None, on_gradient: Sink | None) -> None:
        self.operation, self.on_output, self.on_gradient = operation, on_output, on_gradient
        self.output = operation.output
        self.reads_output_backward = operation.reads_output_backward

    def forward(self, input_matrix: np.ndarray, parameters: list[Pair]) -> np.ndarray:
        output = self.operation.forward(input_matrix, parameters)
        if self.on_output is not None:
            self.on_output(output)
        return output

    def backward(self, gradient: np.ndarray, parameters: list[Pair]) -> np.ndarray | None:
        passed = self.operation.backward(gradient, parameters)
        if self.on_gradient is not None and passed is not None:
            self.on_gradient(passed)
        return passed


class TappedHead:
    """A fast loss head that hands what it kept to sinks once backpropagation has its start."""

    def __init__(self, head: FastHead, sinks: dict[str, Sink]) -> None:
        self.head, self.sinks = head, sinks

    def compute_loss(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        return self.head.compute_loss(logits, target)

    def backward(self) -> np.ndarray:
        gradient = self.head.backward()
        for attribute, sink in self.sinks.items():
            sink(getattr(self.head, attribute))
        return gradient
