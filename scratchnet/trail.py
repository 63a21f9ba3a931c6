"""An epoch's iterations kept in blocks, a row per iteration, for a hook that reads only their losses, parameters
and gradients.

Checking a break condition in Python after each iteration costs a few microseconds (a norm, a ratio, a scan for
non-finite values), and an iteration of 32 rows on the fast path takes about twelve. Kept as rows, a block of
iterations is checked in a few NumPy calls whatever its length. Keeping costs little per iteration: the fast path
makes a new parameter vector at every update and never writes to it again, so keeping it is keeping a reference;
a loss is a float; only the flat gradient, whose buffer the next iteration overwrites, is copied, and only when
the hook reads it. A block is handed over when it holds `BLOCK_BYTES` or its epoch ends, and then let go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratchnet.fast.layout import FlatLayout
from scratchnet.layer import DenseLayer
from scratchnet.network import DenseNetwork

BLOCK_BYTES = 8 * 2**20
"""The most parameter and gradient rows a block keeps before it is handed over."""

Measures = tuple[float, float | None, float | None, float | None]
"""(loss, held-out loss, accuracy, held-out accuracy) of an epoch: what its every iteration shares."""


@dataclass(frozen=True)
class Trail:
    """Consecutive iterations of one epoch: row i is iteration `first + i`."""

    epoch: int
    first: int
    """The iteration (within the epoch, from 0) of row 0."""
    iterations: int
    """How many the epoch has."""
    losses: np.ndarray
    """(k,): the data loss of each iteration's batch, before its update."""
    thetas: np.ndarray
    """(k+1, size): row i the flat parameters iteration `first + i` started from, row k what the last one made."""
    gradients: np.ndarray | None
    """(k, size): each iteration's flat ∂L/∂θ, when the hook asked for them: rows of a buffer the next block
    overwrites, so read them in the hook, never keep them."""
    layout: FlatLayout
    """Where each layer's W and b sit in a row."""
    measures: Measures
    """Its epoch's loss, held-out loss and accuracies."""


class TrailKeeper:
    """Keeps an epoch's iterations, and hands `hook` a `Trail` each time a block fills and when the epoch ends."""

    def __init__(self, network: DenseNetwork, hook: Callable[[Trail], object], gradients: bool) -> None:
        self.layout = FlatLayout.of(network.parameters)
        self.hook = hook
        row_bytes = self.layout.size * self.layout.dtype.itemsize * (2 if gradients else 1)
        self.capacity = max(1, BLOCK_BYTES // max(row_bytes, 1))
        self.gradient_rows = np.empty((self.capacity, self.layout.size), self.layout.dtype) if gradients else None
        self.thetas: list[np.ndarray] = []
        self.losses: list[float] = []
        self.epoch = self.first = self.iterations = 0
        self.measures: Measures = (float("nan"), None, None, None)

    def start(self, epoch: int, iterations: int, theta: np.ndarray) -> None:
        """An epoch begins from these flat parameters."""
        self.epoch, self.first, self.iterations = epoch, 0, iterations
        self.thetas, self.losses = [theta], []

    def keep(self, loss: float, theta: np.ndarray, gradient: np.ndarray | None) -> None:
        """One iteration: its loss, the new parameters (never written to again) and its gradient (copied)."""
        kept = len(self.losses)
        self.losses.append(loss)
        self.thetas.append(theta)
        if self.gradient_rows is not None:
            self.gradient_rows[kept] = gradient
        if kept + 1 == self.capacity:
            self.flush()

    def keep_network(self, loss: float, network: DenseNetwork) -> None:
        """One iteration of the network's own step: its parameters and gradients gathered into flat rows."""
        gradients = None
        if self.gradient_rows is not None:
            gradients = self.layout.gather([(layer.weight_gradient, layer.bias_gradient)
                                            for layer in network.layers if isinstance(layer, DenseLayer)])
        self.keep(loss, self.layout.gather(network.parameters), gradients)

    def flush(self) -> None:
        """Hand over what is kept (if anything), and keep on from the last parameters."""
        kept = len(self.losses)
        if not kept:
            return
        gradients = None if self.gradient_rows is None else self.gradient_rows[:kept]
        self.hook(Trail(self.epoch, self.first, self.iterations, np.array(self.losses, np.float64),
                        np.stack(self.thetas), gradients, self.layout, self.measures))
        self.first += kept
        self.thetas, self.losses = [self.thetas[-1]], []
