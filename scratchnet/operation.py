"""The three kinds of operation a network is made of, and what each tells the debugger.

An operation's module holds everything about it: the math that runs (said the article's way, forward
beside its local derivatives), then the phases it records, their words and how a cell it made is
written out. Adding an operation touches its own module; the network, the tape, the inspector, the
handout and the gradient check only use what these classes promise.

- `ChainOperation`: a step of the forward pass with its backward step (the dense layer).
- `LossHead`: turns the prediction into the loss and starts backpropagation (mean squared error).
- `UpdateRule`: moves the trainable layers' parameters, with any state it keeps (gradient descent;
  momentum and Adam, whose state is an `OptimizerState`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from scratchnet.debugger.tape import PhaseWriter

Arrays = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Place:
    """Where an operation sits, said with the names of what it reads and makes (the tape's names)."""

    layer: int
    """The layer number it belongs to (an operation that does not start a layer shares the previous one's)."""
    n_layers: int
    input: str
    """What it reads: X, Z1, …"""
    output: str
    """What it makes: Z2, …"""
    gradient_in: str
    """The gradient G arriving from above: dL/dŷ, dX3, …"""
    gradient_out: str
    """The gradient it passes down: dX2, …"""
    gradient_legend: str
    """How the phases say what G is, after "G = ∂L/∂<output> = "."""
    below: str | None
    """Who receives gradient_out ("layer 1"), or None when the input is the data."""
    below_starts_layer: bool
    """Whether that is a layer's first operation (a dense layer) rather than, say, an activation."""
    linear: bool
    """Whether the whole network is linear (no activation anywhere)."""


class ChainPhases:
    """What a chain operation shows: its forward phase(s), then, on the way back, its backward phase(s)."""

    def forward(self, writer: PhaseWriter, operation: ChainOperation, place: Place, parameters: Arrays) -> None:
        raise NotImplementedError

    def backward(self, writer: PhaseWriter, operation: ChainOperation, place: Place, parameters: Arrays) -> None:
        raise NotImplementedError


class ChainOperation:
    """A step of the forward pass that knows its way back.

    `forward` stores what its backward step needs; `backward(G)` takes the gradient arriving from above,
    keeps any parameter gradients, and returns the gradient for the step below.
    """

    starts_layer: ClassVar[bool] = False
    """Dense layers start a new layer number; the operations after one (an activation) share it."""
    trainable: ClassVar[bool] = False
    """Whether it has a weight and a bias that the update rule moves."""
    linear: ClassVar[bool] = True
    phases: ClassVar[ChainPhases]

    def forward(self, input_matrix: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, cumulated_backpropagating_gradient: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def parameters(self) -> Arrays:
        """The arrays the update rule moves (none for most operations)."""
        return ()

    def kink_sides(self) -> bytes:
        """For an operation whose derivative jumps (ReLU at 0): which side of the jump each input of the last
        forward pass fell on, packed. A finite difference whose two ends differ here spans the jump."""
        return b""

    def rebuilt(self, parameters: Arrays) -> ChainOperation:
        """A fresh operation like this one, with these parameters and nothing remembered."""
        raise NotImplementedError

    def output_name(self, layer: int) -> str:
        raise NotImplementedError

    def gradient_name(self, layer: int) -> str:
        """The name of the gradient `backward` returns: ∂L/∂(its input)."""
        raise NotImplementedError

    def parameter_names(self, layer: int) -> tuple[str, ...]:
        """The tape's names of `parameters()`, in order (W2, b2)."""
        return ()

    def who(self, layer: int) -> str:
        """How the phases name it in a sentence: "layer 2"."""
        return f"layer {layer}"


class LossPhases:
    def record(self, writer: PhaseWriter, loss: LossHead, prediction: str, y: np.ndarray) -> None:
        raise NotImplementedError


class LossHead:
    """The prediction against the target: the loss, and the gradient where backpropagation starts."""

    gradient_name: ClassVar[str] = "dL/dŷ"
    """The tape's name of the gradient `backward` returns, when it does not depend on the prediction's name."""
    gradient_legend: ClassVar[str] = "∂L/∂ŷ, the loss gradient: where backpropagation starts"
    """How the last layer's phases say what that gradient is."""
    phases: ClassVar[LossPhases]
    quadratic: ClassVar[bool] = False
    """Whether the loss is a quadratic function of the prediction (squared error)."""
    loss: np.floating

    def gradient_name_for(self, prediction: str) -> str:
        """The tape's name of the gradient `backward` returns, given what the prediction is called (Z3)."""
        return self.gradient_name

    def gradient_legend_for(self, prediction: str) -> str:
        return self.gradient_legend

    def compute_loss(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def loss_difference(self, up: np.ndarray, down: np.ndarray, target: np.ndarray) -> float:
        """L(up) − L(down) for two predictions, as exactly as the loss allows (the gradient check's numerator)."""
        return float(type(self)().compute_loss(up, target) - type(self)().compute_loss(down, target))


@dataclass(frozen=True)
class OptimizerState:
    """Where an update rule stands: how many updates it has made, and the arrays it carries from one update to
    the next (per trainable layer, first to last, in the rule's `state_names` order: vW, vb for momentum).

    A rule makes new arrays at every update and never changes these in place, so a kept state is a
    snapshot, like kept parameters: what an epoch (or an iteration) needs, with its weights, to start from."""

    step: int = 0
    """Updates made so far; Adam's next update is number step + 1 (its t)."""
    arrays: tuple[Arrays, ...] = ()
    """Empty before the first update (a rule then starts from zeros) and for rules that keep nothing."""

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for layer in self.arrays for array in layer)


FRESH = OptimizerState()
"""Before any update."""


class Trainable(Protocol):
    """A trainable layer as an update rule sees it (the dense layer)."""

    weight: np.ndarray
    bias: np.ndarray
    weight_gradient: np.ndarray
    bias_gradient: np.ndarray


class UpdatePhases:
    def record(self, writer: PhaseWriter, rule: UpdateRule, layer: Trainable, place: Place,
               parameters: Arrays, learning_rate: float) -> None:
        raise NotImplementedError


class UpdateRule:
    """Moves every trainable layer's parameters against their gradients; new arrays, never in place.

    A rule with state (momentum, Adam) keeps it in `state` and replaces it at every update; `rebuilt` makes
    a rule of the same kind and settings standing at a given state, which is how a network is reopened at
    an epoch or handed to another thread."""

    phases: ClassVar[UpdatePhases]
    state_names: ClassVar[tuple[str, ...]] = ()
    """The stems of the tape's names of what `state` carries per layer (vW, vb); the layer's number follows."""
    state: OptimizerState = FRESH

    def optimize(self, layers: Sequence[Trainable], learning_rate: float) -> None:
        raise NotImplementedError

    def rebuilt(self, state: OptimizerState = FRESH) -> UpdateRule:
        """A rule like this one (same kind, same settings) standing at `state`. A rule without state needs
        nothing but its kind."""
        return type(self)()
