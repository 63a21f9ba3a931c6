"""One training iteration on the fast path, and the choice between it and the network's own `step`.

`DenseNetwork.step` is the recorded path: the article's lines, each result a new array the operations keep, so
a recorder can show them. Training many iterations with nobody looking needs none of that, so `FastStep` runs
the same operations in the same order with the results written into buffers made once per batch size, skips
∂L/∂X of the data, and updates every parameter as one flat vector. Each line gives the bits the recorded
line gives (the tests compare the two over epochs, for every operation); where a faster NumPy call replaces
the article's, `sums.py` and `heads.py` say why it is the same number.

What leaves the fast path is never a buffer: each update makes a new parameter vector, and `settle()` hands
its W and b views (and the update rule's state, and a copy of the last ∂L/∂W and ∂L/∂b) to the network; the
logits are a new array each iteration. Everything else the operations keep (their inputs, outputs and the
gradients they pass on) is what their last *recorded* step stored: a fast iteration stores nothing there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratchnet.fast.chain import FastOperation, fast_operations, has_fast_forms
from scratchnet.fast.heads import HEADS, FastHead
from scratchnet.fast.layout import FlatLayout, Pair
from scratchnet.fast.rules import RULES, FlatRule
from scratchnet.fast.taps import Taps
from scratchnet.layer import DenseLayer
from scratchnet.network import DenseNetwork, Parameters

Step = Callable[[np.ndarray, np.ndarray, float], float]
"""(X, y, η) → the data loss of the iteration's forward pass, before its update."""

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Plan:
    """The fast operations and loss head for batches of one row count, with their buffers."""

    def __init__(self, network: DenseNetwork, rows: int, dtype: np.dtype, gradients: list[Pair],
                 taps: Taps | None = None) -> None:
        self.forward: list[FastOperation] = fast_operations(network.layers, rows, dtype, gradients,
                                                            data_gradient=taps is not None and 0 in taps.gradients)
        if taps is not None:
            self.forward = taps.wrap(self.forward)
        self.backward = self.forward[::-1]
        outputs = network.sizes[-1]
        self.head: FastHead = HEADS[type(network.loss_head)](rows, outputs, dtype)
        if taps is not None:
            self.head = taps.wrap_head(self.head)


class FastStep:
    """Iterations of one network on the fast path, between `start()` (take up the network's parameters and its
    update rule's state) and `settle()` (hand them back)."""

    def __init__(self, network: DenseNetwork) -> None:
        self.network = network
        pairs = network.parameters
        self.layout = FlatLayout.of(pairs)
        self.gradient = np.empty(self.layout.size, self.layout.dtype)
        """∂L/∂θ for every parameter, written by the layers' backward steps through per-layer views."""
        self.gradients = self.layout.views(self.gradient)
        self.dense = [layer for layer in network.layers if isinstance(layer, DenseLayer)]
        self.rule: FlatRule = RULES[type(network.optimizer)](self.layout)
        self.plans: dict[int, Plan] = {}
        self.theta = np.empty(0)
        self.parameters: list[Pair] = []
        """(W, b) views into `theta`, what the next iteration reads."""
        self.moved = False
        """Whether an iteration has run since `start()`."""
        self.taps: Taps | None = None

    @staticmethod
    def supports(network: DenseNetwork, X: np.ndarray, y: np.ndarray) -> bool:
        """Whether every operation, the loss and the update rule have fast forms, and every array (data,
        parameters, state) shares one float dtype; otherwise the network's own step runs."""
        if not (has_fast_forms(network.layers) and type(network.loss_head) in HEADS
                and type(network.optimizer) in RULES):
            return False
        pairs = network.parameters
        arrays = [X, y, *(array for pair in pairs for array in pair),
                  *(array for layer in pairs.state.arrays for array in layer)]
        dtype = arrays[0].dtype
        return dtype in DTYPES and all(array.dtype == dtype for array in arrays) and X.ndim == y.ndim == 2

    def fits(self, network: DenseNetwork) -> bool:
        """Whether this fast step was made for the network as it stands (its dtype and its kind of rule)."""
        return network is self.network and network.parameters[0][0].dtype == self.layout.dtype and \
            isinstance(self.rule, RULES[type(network.optimizer)])

    def tap(self, taps: Taps | None) -> None:
        """From the next iteration on, hand copies of these operations' outputs or gradients to their sinks."""
        if taps is not self.taps:
            self.taps = taps
            self.plans.clear()

    def start(self) -> None:
        network = self.network
        self.theta = self.layout.gather(network.parameters)
        self.parameters = self.layout.views(self.theta)
        self.rule.start(network.optimizer)
        self.moved = False

    def __call__(self, X: np.ndarray, y: np.ndarray, learning_rate: float) -> float:
        plan = self.plans.get(X.shape[0]) or self._plan(X.shape[0])
        parameters = self.parameters
        value = X
        for operation in plan.forward:
            value = operation.forward(value, parameters)
        self.network.logits = value  # a new array: the last operation writes no buffer
        loss = plan.head.compute_loss(value, y)
        gradient: np.ndarray | None = plan.head.backward()
        for operation in plan.backward:
            assert gradient is not None
            gradient = operation.backward(gradient, parameters)
        self.theta = self.rule.update(self.theta, self.gradient, learning_rate)
        self.parameters = self.layout.views(self.theta)
        self.moved = True
        return float(loss)

    def settle(self) -> None:
        """The network holds the parameters, and its update rule the state, that the last iteration made; each
        dense layer its ∂L/∂W and ∂L/∂b from that iteration (a copy: gradient health reads them per epoch)."""
        if self.moved:
            self.network.set_parameters(Parameters(self.parameters, self.rule.state()))
            for layer, (weight_gradient, bias_gradient) in zip(self.dense, self.layout.views(self.gradient.copy()),
                                                                strict=True):
                layer.weight_gradient, layer.bias_gradient = weight_gradient, bias_gradient
            self.moved = False

    def _plan(self, rows: int) -> Plan:
        plan = self.plans[rows] = Plan(self.network, rows, self.layout.dtype, self.gradients, self.taps)
        return plan


class Stepping:
    """How `run_epochs` and `replay_iterations` take their iterations over X, y: `start()` gives the step to call
    (the fast one when it applies, else the network's own), `settle()` leaves the network holding what the
    iterations made. Between the two nobody else may read or change the network's parameters; hooks run after
    `settle()`, and the next `start()` takes up whatever the network holds then."""

    def __init__(self, network: DenseNetwork, X: np.ndarray, y: np.ndarray, fast: bool = True) -> None:
        self.network, self.X, self.y = network, X, y
        self.allowed = fast
        self.fast: FastStep | None = None
        self.running: FastStep | None = None

    def start(self) -> Step:
        network = self.network
        if not (self.allowed and FastStep.supports(network, self.X, self.y)):
            self.running = None
            return network.step
        if self.fast is None or not self.fast.fits(network):
            self.fast = FastStep(network)
        self.running = self.fast
        self.fast.start()
        return self.fast

    def settle(self) -> None:
        if self.running is not None:
            self.running.settle()
