"""An epoch's iterations kept in blocks, a row per iteration, for a hook that reads only their losses, parameters
and gradients.

Checking a break condition in Python after each iteration costs a few microseconds (a norm, a ratio, a scan for
non-finite values), and an iteration of 32 rows on the fast path takes about twelve. Kept as rows, a block of
iterations is checked in a few NumPy calls whatever its length. Keeping costs little per iteration: the fast path
makes a new parameter vector at every update and never writes to it again, so keeping it is keeping a reference;
a loss is a float; only the flat gradient, whose buffer the next iteration overwrites, is copied, and only when
the hook reads it, and so is any other matrix it reads (Z₁, dA₂), the moment the fast step makes it
(`scratchnet/fast/taps.py`). A block is handed over when it holds `BLOCK_BYTES` or its epoch ends, and then let
go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from scratchnet.fast.layout import FlatLayout
from scratchnet.fast.taps import Taps
from scratchnet.layer import DenseLayer
from scratchnet.network import DenseNetwork

BLOCK_BYTES = 8 * 2**20
"""The most parameter and gradient rows a block keeps before it is handed over."""
COPY_ENTRIES = 8192
"""A matrix up to this size is copied each iteration and summed a block at a time (one NumPy call for a small
matrix, where a call's own cost is what counts); a larger one is squared and summed as it is made (where passes over
memory are what counts: a copy, then a square of it, is two more)."""

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
    squares: dict[str, np.ndarray]
    """(k,) per matrix asked for (Z1, dA2): Σ a² over each iteration's matrix, summed as NumPy sums
    `np.square(m).sum()`, in the matrix's dtype."""
    layout: FlatLayout
    """Where each layer's W and b sit in a row."""
    measures: Measures
    """Its epoch's loss, held-out loss and accuracies."""


class TrailKeeper:
    """Keeps an epoch's iterations, and hands `hook` a `Trail` each time a block fills and when the epoch ends.

    `matrices`: what else to keep a copy of, each iteration (Z1, A2, dZ1: see `made_at`); `rows`: the most rows a
    batch has (what a block's copies of them are sized for)."""

    def __init__(self, network: DenseNetwork, hook: Callable[[Trail], object], gradients: bool,
                 matrices: Sequence[str] = (), rows: int = 1) -> None:
        self.layout = FlatLayout.of(network.parameters)
        self.hook = hook
        dtype = self.layout.dtype
        self.places: dict[str, tuple[str, int]] = {}
        for name in matrices:
            place = made_at(network, name)
            if place is None:
                raise ValueError(f"an iteration keeps no {name!r} to copy")
            self.places[name] = place
        widths = _widths(network)
        self.widths = {name: widths[index] if kind == "output" else widths[index - 1]
                       for name, (kind, index) in self.places.items()}
        self.copied = [name for name, width in self.widths.items() if rows * width <= COPY_ENTRIES]
        """The matrices copied whole each iteration; the others are summed as they are made."""
        copied_entries = rows * sum(self.widths[name] for name in self.copied)
        row_bytes = dtype.itemsize * (self.layout.size * (2 if gradients else 1) + copied_entries + len(self.widths))
        self.capacity = max(1, BLOCK_BYTES // max(row_bytes, 1))
        self.gradient_rows = np.empty((self.capacity, self.layout.size), dtype) if gradients else None
        self.matrix_rows: dict[str, np.ndarray] = {}
        """(capacity, rows, width) per copied matrix, for batches of `self.rows` rows."""
        self.square_rows = {name: np.empty(self.capacity, dtype) for name in self.widths if name not in self.copied}
        """Σ a² per iteration, for each matrix summed as it is made."""
        self.scratch: dict[str, np.ndarray] = {}
        """Where a matrix summed as it is made is squared first."""
        self.rows = 0
        self.taps = None if not self.places else Taps(
            {index: self._sink(name) for name, (kind, index) in self.places.items() if kind == "output"},
            {index: self._sink(name) for name, (kind, index) in self.places.items() if kind == "gradient"})
        """What the fast step is to hand over as it goes (None: nothing but parameters and gradients)."""
        self.thetas: list[np.ndarray] = []
        self.losses: list[float] = []
        self.epoch = self.first = self.iterations = 0
        self.measures: Measures = (float("nan"), None, None, None)

    def start(self, epoch: int, iterations: int, theta: np.ndarray) -> None:
        """An epoch begins from these flat parameters."""
        self.epoch, self.first, self.iterations = epoch, 0, iterations
        self.thetas, self.losses = [theta], []

    def batch_rows(self, rows: int) -> None:
        """The next iteration's batch has this many rows. A block's copies of matrices are of one size, so a change
        (an epoch's smaller last batch, or the next epoch's first) hands over the block first."""
        if rows != self.rows:
            self.flush()
            self.rows = rows
            dtype = self.layout.dtype
            self.matrix_rows = {name: np.empty((self.capacity, rows, self.widths[name]), dtype) for name in self.copied}
            self.scratch = {name: np.empty((rows, self.widths[name]), dtype) for name in self.square_rows}

    def _sink(self, name: str) -> Callable[[np.ndarray], None]:
        if name in self.copied:
            def copy(made: np.ndarray) -> None:
                self.matrix_rows[name][len(self.losses)] = made

            return copy

        def square(made: np.ndarray) -> None:
            self.square_rows[name][len(self.losses)] = np.square(made, out=self.scratch[name]).sum()

        return square

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
        """One iteration of the network's own step: its parameters and gradients gathered into flat rows, and the
        matrices its operations kept copied."""
        gradients = None
        if self.gradient_rows is not None:
            gradients = self.layout.gather([(layer.weight_gradient, layer.bias_gradient)
                                            for layer in network.layers if isinstance(layer, DenseLayer)])
        for name, (kind, index) in self.places.items():
            self._sink(name)(getattr(network.layers[index], "output" if kind == "output" else "input_gradient"))
        self.keep(loss, self.layout.gather(network.parameters), gradients)

    def flush(self) -> None:
        """Hand over what is kept (if anything), and keep on from the last parameters."""
        kept = len(self.losses)
        if not kept:
            return
        gradients = None if self.gradient_rows is None else self.gradient_rows[:kept]
        thetas = np.concatenate(self.thetas).reshape(kept + 1, self.layout.size)  # np.stack: 5× the time, per array
        squares = {name: np.square(rows[:kept].reshape(kept, -1)).sum(axis=1)  # row by row as np.square(m).sum()
                   for name, rows in self.matrix_rows.items()}
        squares.update((name, rows[:kept]) for name, rows in self.square_rows.items())
        self.hook(Trail(self.epoch, self.first, self.iterations, np.array(self.losses, np.float64), thetas, gradients,
                        squares, self.layout, self.measures))
        self.first += kept
        self.thetas, self.losses = [self.thetas[-1]], []


def made_at(network: DenseNetwork, name: str) -> tuple[str, int] | None:
    """Where an iteration makes matrix `name` that a tap can copy: ("output", i) for what operation i makes on the
    way forward (Z1, A1, ŷ), ("gradient", i) for the gradient it passes back (dA1, dZ1, dX2). None for anything
    else: a parameter or its gradient (kept anyway), dX1 (the fast path skips it), what the loss head or the update
    rule makes inside (dL/dŷ, m̂)."""
    for index, place in enumerate(network.places()):
        if place.output == name:
            return "output", index
        if place.gradient_out == name and index > 0:
            return "gradient", index
    return None


def _widths(network: DenseNetwork) -> list[int]:
    """The columns of each operation's output (an activation keeps its input's)."""
    widths, width = [], 0
    for operation in network.layers:
        if isinstance(operation, DenseLayer):
            width = operation.weight.shape[1]
        widths.append(width)
    return widths
