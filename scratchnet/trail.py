"""An epoch's iterations kept in blocks, a row per iteration, for a hook that reads only their losses, parameters,
gradients, the update rule's state, and the norms of what their operations make.

Checking a break condition in Python after each iteration costs a few microseconds (a norm, a ratio, a scan for
non-finite values), as much as a third of an iteration of 32 rows. Kept as rows, a block of iterations is checked in
a few NumPy calls whatever its length. Keeping costs little per iteration: the fast path makes a new parameter
vector, and new state vectors of its update rule, at every update and never writes to them again, so keeping them
is keeping references; a loss is a float; only the flat gradient, whose buffer the next iteration overwrites, is
copied, and only when the hook reads it. Of any other matrix it reads (Z₁, dA₂) Σ a² is taken the moment the fast
step makes it (`scratchnet/fast/taps.py`): the step overwrites it before it ends. A block is handed over when it
holds `BLOCK_BYTES` or its epoch ends, and then let go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from scratchnet.fast import FastStep
from scratchnet.fast.layout import FlatLayout
from scratchnet.fast.rules import flat_state
from scratchnet.fast.taps import Taps
from scratchnet.layer import DenseLayer
from scratchnet.loss import MeanSquaredError
from scratchnet.network import DenseNetwork
from scratchnet.softmax import SoftmaxCrossEntropy

BLOCK_BYTES = 8 * 2**20
"""The most parameter and gradient rows a block keeps before it is handed over."""


def squared_sum(matrix: np.ndarray) -> np.floating:
    """Σ a² over a matrix an operation made, as the fast step's taps take it: one dot product of its entries, a
    single pass over memory (a copy summed later would be three, a square and a sum two), and a single call (at 32
    rows, `np.vdot` takes 0.4 µs where `np.ravel` and `np.dot` take 0.7)."""
    return np.vdot(matrix, matrix)


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
    parameter_vectors: list[np.ndarray]
    """The k+1 flat parameter vectors, as kept (see `thetas`)."""
    gradients: np.ndarray | None
    """(k, size): each iteration's flat ∂L/∂θ, when the hook asked for them: rows of a buffer the next block
    overwrites, so read them in the hook, never keep them."""
    squares: dict[str, np.ndarray]
    """(k,) per matrix asked for (Z1, dA2): `squared_sum` of each iteration's, in the matrix's dtype."""
    layout: FlatLayout
    """Where each layer's W and b sit in a row."""
    measures: Measures
    """Its epoch's loss, held-out loss and accuracies."""
    state_vectors: list[tuple[np.ndarray, ...]] | None = None
    """The update rule's flat state vectors (momentum: v; Adam: m, s) before row 0 and after each row's update,
    when the hook asked for them (see `states`)."""
    steps: np.ndarray | None = None
    """(k,): t of each row's update (1 for a network's first), with `state_vectors`."""

    @cached_property
    def states(self) -> tuple[np.ndarray, ...]:
        """(k+1, size) per state vector of the update rule, rows as in `thetas`."""
        assert self.state_vectors is not None, "the run keeps the rule's state when a condition reads it"
        rows = len(self.state_vectors)
        return tuple(np.concatenate(vectors).reshape(rows, self.layout.size)
                     for vectors in zip(*self.state_vectors, strict=True))

    @cached_property
    def thetas(self) -> np.ndarray:
        """(k+1, size): row i the flat parameters iteration `first + i` started from, row k what the last one made.
        Made when first read: a hook reading only what operations make never pays for it."""
        rows = len(self.parameter_vectors)
        return np.concatenate(self.parameter_vectors).reshape(rows, self.layout.size)  # np.stack: 5× the time


class TrailKeeper:
    """Keeps an epoch's iterations, and hands `hook` a `Trail` each time a block fills and when the epoch ends.
    `matrices`: what else to take Σ a² of each iteration (Z1, A2, dZ1: see `made_at`)."""

    def __init__(self, network: DenseNetwork, hook: Callable[[Trail], object], gradients: bool,
                 matrices: Sequence[str] = (), state: bool = False) -> None:
        self.layout = FlatLayout.of(network.parameters)
        self.hook = hook
        dtype = self.layout.dtype
        places: dict[str, Made] = {}
        for name in matrices:
            place = made_at(network, name)
            if place is None:
                raise ValueError(f"an iteration on the fast path makes no {name!r}")
            places[name] = place
        self.places = places
        self.keeps_state = state
        row_bytes = dtype.itemsize * (self.layout.size * (2 if gradients else 1) + len(places))
        self.capacity = max(1, BLOCK_BYTES // row_bytes)
        self.gradient_rows = np.empty((self.capacity, self.layout.size), dtype) if gradients else None
        self.square_rows = {name: np.empty(self.capacity, dtype) for name in places}
        self.taps = None if not places else Taps(
            {made.index: self._sink(name) for name, made in places.items() if made.kind == "output"},
            {made.index: self._sink(name) for name, made in places.items() if made.kind == "gradient"},
            {made.fast: self._sink(name) for name, made in places.items() if made.kind == "head"})
        """What the fast step is to hand over as it goes (None: nothing but parameters and gradients)."""
        self.thetas: list[np.ndarray] = []
        self.losses: list[float] = []
        self.states: list[tuple[np.ndarray, ...]] = []
        self.updates = 0
        """Updates the rule had made when the block began."""
        self.epoch = self.first = self.iterations = 0
        self.measures: Measures = (float("nan"), None, None, None)

    def start(self, epoch: int, iterations: int, network: DenseNetwork,
              fast: FastStep | None) -> Callable[[float], None]:
        """An epoch begins, on the fast step or (None) the network's own: returns what keeps each iteration, given
        its loss."""
        self.epoch, self.first, self.iterations = epoch, 0, iterations
        self.losses = []
        if fast is None:
            self.thetas = [self.layout.gather(network.parameters)]
            if self.keeps_state:
                vectors, self.updates = flat_state(self.layout, network.optimizer)
                self.states = [vectors]
            return lambda loss: self.keep_network(loss, network)
        self.thetas = [fast.theta]
        fast.tap(self.taps)
        if not self.keeps_state:
            return lambda loss: self.keep(loss, fast.theta, fast.gradient)
        rule = fast.rule
        self.states, self.updates = [rule.vectors()], rule.count
        return lambda loss: self.keep(loss, fast.theta, fast.gradient, rule.vectors())

    def _sink(self, name: str) -> Callable[[np.ndarray], None]:
        squares = self.square_rows[name]

        def take(made: np.ndarray) -> None:
            squares[len(self.losses)] = squared_sum(made)

        return take

    def keep(self, loss: float, theta: np.ndarray, gradient: np.ndarray | None,
             state: tuple[np.ndarray, ...] = ()) -> None:
        """One iteration: its loss, the new parameters and the rule's new state (never written to again), and its
        gradient (copied)."""
        kept = len(self.losses)
        self.losses.append(loss)
        self.thetas.append(theta)
        if self.keeps_state:
            self.states.append(state)
        if self.gradient_rows is not None:
            self.gradient_rows[kept] = gradient
        if kept + 1 == self.capacity:
            self.flush()

    def keep_network(self, loss: float, network: DenseNetwork) -> None:
        """One iteration of the network's own step: its parameters and gradients gathered into flat rows, and Σ a²
        of the matrices its operations and loss head kept."""
        gradients = None
        if self.gradient_rows is not None:
            gradients = self.layout.gather([(layer.weight_gradient, layer.bias_gradient)
                                            for layer in network.layers if isinstance(layer, DenseLayer)])
        for name, made in self.places.items():
            matrix = kept_by(network, made)
            assert matrix is not None, f"the network's own step keeps {name}"
            self._sink(name)(matrix)
        state = flat_state(self.layout, network.optimizer)[0] if self.keeps_state else ()
        self.keep(loss, self.layout.gather(network.parameters), gradients, state)

    def flush(self) -> None:
        """Hand over what is kept (if anything), and keep on from the last parameters."""
        kept = len(self.losses)
        if not kept:
            return
        gradients = None if self.gradient_rows is None else self.gradient_rows[:kept]
        squares = {name: rows[:kept] for name, rows in self.square_rows.items()}
        states, steps = None, None
        if self.keeps_state:
            states, steps = self.states, np.arange(self.updates + 1, self.updates + 1 + kept)
        self.hook(Trail(self.epoch, self.first, self.iterations, np.array(self.losses, np.float64), self.thetas,
                        gradients, squares, self.layout, self.measures, states, steps))
        self.first += kept
        self.updates += kept
        self.thetas, self.losses, self.states = [self.thetas[-1]], [], self.states[-1:]


@dataclass(frozen=True)
class Made:
    """Where an iteration makes a matrix that a tap can take."""

    kind: str
    """"output" (what operation `index` makes on the way forward), "gradient" (what it passes back), or "head" (what
    the loss head makes)."""
    index: int = 0
    fast: str = ""
    """For "head": where the fast head keeps it."""
    kept: str = ""
    """For "head": where the network's own loss head keeps it."""


HEAD_MATRICES: dict[type, dict[str, str]] = {
    MeanSquaredError: {"error": "error", "squared_error": "squared_error"},
    SoftmaxCrossEntropy: {"P": "probabilities", "sample_loss": "sample_loss", "error": "error"}}
"""What each kind of loss head keeps of its last step, by the tape's name (its fast form keeps it by the same name)."""
HEAD_GRADIENTS: dict[type, str] = {MeanSquaredError: "loss_gradient_wrt_prediction",
                                   SoftmaxCrossEntropy: "loss_gradient_wrt_logits"}
"""Where it keeps the gradient backpropagation starts from (dL/dŷ, dL/dZ3); its fast form keeps it as `gradient`."""


def made_at(network: DenseNetwork, name: str) -> Made | None:
    """Where an iteration makes matrix `name` that a tap can take: what an operation makes on the way forward (Z1,
    A1, ŷ), the gradient it passes back (dA1, dZ1, dX2, and dX1, which a tapped fast step then makes), what the loss
    head makes (error, P, dL/dŷ). None for anything else: a parameter or its gradient and the update rule's state
    (kept whole), the data, the loss."""
    places = network.places()
    for index, place in enumerate(places):
        if place.output == name:
            return Made("output", index)
        if place.gradient_out == name:
            return Made("gradient", index)
    head = type(network.loss_head)
    if name in HEAD_MATRICES.get(head, {}):
        attribute = HEAD_MATRICES[head][name]
        return Made("head", fast=attribute, kept=attribute)
    if places and name == places[-1].gradient_in and head in HEAD_GRADIENTS:
        return Made("head", fast="gradient", kept=HEAD_GRADIENTS[head])
    return None


def kept_by(network: DenseNetwork, made: Made) -> np.ndarray | None:
    """The matrix as the network's own step left it (in its operation, or its loss head)."""
    if made.kind == "head":
        return getattr(network.loss_head, made.kept, None)
    return getattr(network.layers[made.index], "output" if made.kind == "output" else "input_gradient", None)
