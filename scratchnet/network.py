"""The article's network: operations in a row, a loss, an update rule.

`step` is the recorded path: the article's lines, each result a new array the operations keep. The debugger
passes a recorder, which only *reads* what the step stored. Whole epochs with nobody watching run on the
fast path (`scratchnet/fast`): the same operations in the same order, written into reused buffers, giving
the same numbers bit for bit (the tests compare the two). The article's network is dense layers, mean squared
error and gradient descent; other operations plug in where those do (see `scratchnet/operation.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np

from scratchnet.activation import ACTIVATIONS
from scratchnet.adam import Adam
from scratchnet.debugger.names import pretty_name
from scratchnet.debugger.tape import PhaseWriter
from scratchnet.decay import WeightDecay
from scratchnet.layer import DenseLayer
from scratchnet.loss import MeanSquaredError
from scratchnet.momentum import Momentum
from scratchnet.operation import FRESH, Arrays, ChainOperation, LossHead, OptimizerState, Place, Trainable, UpdateRule
from scratchnet.optimizer import GradientDescent
from scratchnet.softmax import SoftmaxCrossEntropy

LOSSES: dict[str, type[LossHead]] = {"mse": MeanSquaredError, "cross-entropy": SoftmaxCrossEntropy}
"""By the name the command line takes."""
OPTIMIZERS = ("sgd", "momentum", "adam")
"""By the name the command line takes: plain gradient descent (the article), momentum, Adam."""


def make_update_rule(name: str, momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
                     eps: float = 1e-8) -> UpdateRule:
    """The update rule `name` (one of OPTIMIZERS) with its settings, before its first update."""
    if name == "sgd":
        return GradientDescent()
    if name == "momentum":
        return Momentum(momentum)
    if name == "adam":
        return Adam(beta1, beta2, eps)
    raise ValueError(f"no optimizer named {name!r} (known: {', '.join(OPTIMIZERS)})")


class Parameters(list[tuple[np.ndarray, np.ndarray]]):
    """(W, b) of each trainable layer, first to last, and `state`: where the update rule stood (momentum's
    velocities, Adam's moments and step count; nothing for gradient descent). Together, all an epoch or an
    iteration starts from. Updates make new arrays, so a kept Parameters is a snapshot.

    It is a list of pairs, so code that reads weights and biases need not know about the state; a plain list
    of pairs given where a Parameters is expected stands for an update rule that has not started (FRESH)."""

    state: OptimizerState

    def __init__(self, pairs: Iterable[tuple[np.ndarray, np.ndarray]] = (), state: OptimizerState = FRESH) -> None:
        super().__init__(pairs)
        self.state = state


def state_of(parameters: Sequence[tuple[np.ndarray, np.ndarray]]) -> OptimizerState:
    """The update rule's state that `parameters` carry (FRESH for a plain list of pairs)."""
    return parameters.state if isinstance(parameters, Parameters) else FRESH


class IterationRecorder(Protocol):
    def __call__(self, network: DenseNetwork, X: np.ndarray, y: np.ndarray, learning_rate: float,
                 before: list[Arrays]) -> None: ...


def run_forward(layers: Sequence[ChainOperation], value: np.ndarray) -> np.ndarray:
    """The forward pass alone, through `layers`: the one loop every replay of a forward pass uses."""
    for layer in layers:
        value = layer.forward(value)
    return value


class DenseNetwork:
    # Set by forward; absent (AttributeError), never None, until it has run.
    logits: np.ndarray

    def __init__(self, layers: Sequence[ChainOperation], loss: LossHead | None = None,
                 optimizer: UpdateRule | None = None, weight_decay: float = 0.0) -> None:
        """`weight_decay` λ: L2 on the weights (not the biases). The loss gains (λ/2)·Σ‖Wₗ‖², shown apart as the
        penalty, and each trainable layer adds λ·Wₗ to its ∂L/∂Wₗ; 0 runs the article's lines unchanged."""
        self.layers = list(layers)
        self.loss_head = loss if loss is not None else MeanSquaredError()
        self.optimizer = optimizer if optimizer is not None else GradientDescent()
        self._trainable = cast(list[Trainable], [layer for layer in self.layers if layer.trainable])
        self.weight_decay = weight_decay
        self.decay = WeightDecay(weight_decay) if weight_decay else None
        if weight_decay:
            for layer in self._trainable:
                if not hasattr(layer, "weight_decay"):
                    raise TypeError(f"{type(layer).__name__} cannot take weight decay (it has no weight_decay)")
                layer.weight_decay = weight_decay

    @classmethod
    def initialise(cls, sizes: Sequence[int], rng: np.random.Generator, dtype: np.dtype | str = "float64",
                   activations: Sequence[str] = (), loss: str = "mse", optimizer: UpdateRule | None = None,
                   weight_decay: float = 0.0) -> DenseNetwork:
        """`sizes` runs input → output, e.g. (4, 8, 4, 1) for three layers; `activations` names one per hidden
        layer (relu, tanh, sigmoid, leaky_relu or none; missing ones are none: the article's network); `loss` is
        mse or cross-entropy (softmax on the output layer); `optimizer` the update rule (default: gradient
        descent, the article's) and `weight_decay` λ (default 0). Weights are drawn as the article draws them
        whatever the activations, so a seed gives the same initial weights for every choice."""
        dtype = np.dtype(dtype)
        layers: list[ChainOperation] = []
        for number, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), 1):
            layers.append(DenseLayer.initialise(n_in, n_out, rng, dtype))
            activation = activations[number - 1] if number - 1 < len(activations) else "none"
            if activation != "none" and number < len(sizes) - 1:
                layers.append(ACTIVATIONS[activation]())
        return cls(layers, LOSSES[loss](), optimizer, weight_decay)

    @property
    def sizes(self) -> tuple[int, ...]:
        weights = [layer.weight for layer in self._trainable]
        return (weights[0].shape[0], *(weight.shape[1] for weight in weights))

    @property
    def parameters(self) -> Parameters:
        """(W, b) per trainable layer, with the update rule's state. Updates make new arrays, so keeping this
        list is a snapshot."""
        return Parameters([(layer.weight, layer.bias) for layer in self._trainable], self.optimizer.state)

    def set_parameters(self, parameters: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """These weights and biases, and the update rule at the state they carry (a plain list: not started)."""
        for layer, (weight, bias) in zip(self._trainable, parameters, strict=True):
            layer.weight, layer.bias = weight, bias
        self.optimizer = self.optimizer.rebuilt(state_of(parameters))

    def with_parameters(self, parameters: Sequence[tuple[np.ndarray, np.ndarray]]) -> DenseNetwork:
        """A network of the same operations holding these parameters (and the update rule's state they carry)
        and nothing else (for another thread)."""
        given = iter(parameters)
        layers = [layer.rebuilt(next(given) if layer.trainable else layer.parameters()) for layer in self.layers]
        return DenseNetwork(layers, type(self.loss_head)(), self.optimizer.rebuilt(state_of(parameters)),
                            self.weight_decay)

    def predict(self, X: np.ndarray, parameters: Sequence[tuple[np.ndarray, np.ndarray]] | None = None) -> np.ndarray:
        """The forward pass with these parameters (default: the current ones), leaving this network untouched."""
        return run_forward(self.with_parameters(self.parameters if parameters is None else parameters).layers, X)

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """(the data loss, the prediction) of the current parameters over X, leaving this network untouched: the
        loss of an epoch over all its rows when it goes by batches, and the loss of the held-out rows. The same
        operations as a step's forward pass and loss, so over the same rows it is that step's loss exactly."""
        logits = run_forward([layer.rebuilt(layer.parameters()) for layer in self.layers], X)
        return float(type(self.loss_head)().compute_loss(logits, y)), logits

    # --- one iteration ---------------------------------------------------------------------------

    def forward(self, X: np.ndarray) -> np.ndarray:
        output = X
        for layer in self.layers:
            output = layer.forward(output)
        self.logits = output
        return output

    def compute_loss(self, target: np.ndarray) -> np.floating:
        return self.loss_head.compute_loss(self.logits, target)

    def backward(self) -> None:
        cumulated_backpropagating_gradient = self.loss_head.backward()
        for layer in reversed(self.layers):
            cumulated_backpropagating_gradient = layer.backward(cumulated_backpropagating_gradient)

    def optimize(self, learning_rate: float) -> None:
        self.optimizer.optimize(self._trainable, learning_rate)

    def step(self, X: np.ndarray, y: np.ndarray, learning_rate: float,
             record: IterationRecorder | None = None) -> float:
        """One training iteration; returns the data loss of its forward pass (before the update; with weight
        decay the penalty is apart, in `decay`)."""
        self.forward(X)
        loss = self.compute_loss(y)
        if self.decay is not None:
            self.decay.add_penalty(loss, [layer.weight for layer in self._trainable])
        self.backward()
        before = [layer.parameters() for layer in self.layers]
        self.optimize(learning_rate)
        if record is not None:
            record(self, X, y, learning_rate, before)
        return float(loss)

    # --- what the debugger reads ---------------------------------------------------------------------

    def places(self) -> list[Place]:
        """Each operation's layer number and the names of what it reads and makes."""
        numbers, number = [], 0
        for layer in self.layers:
            number += layer.starts_layer
            numbers.append(max(number, 1))
        outputs = [layer.output_name(n) for layer, n in zip(self.layers, numbers)]
        gradients_out = [layer.gradient_name(n) for layer, n in zip(self.layers, numbers)]
        gradients_in = [*gradients_out[1:], self.loss_head.gradient_name_for(outputs[-1])]
        linear = all(layer.linear for layer in self.layers)
        last = len(self.layers) - 1
        places = []
        for i, n in enumerate(numbers):
            legend = (self.loss_head.gradient_legend_for(outputs[-1]) if i == last else
                      f"{pretty_name(gradients_in[i])}, the gradient {self.layers[i + 1].who(numbers[i + 1])} passed back")
            below = None if i == 0 else self.layers[i - 1]
            places.append(Place(n, number, "X" if i == 0 else outputs[i - 1], outputs[i], gradients_in[i],
                                gradients_out[i], legend, None if below is None else below.who(numbers[i - 1]),
                                below is not None and below.starts_layer, linear))
        return places

    def describe(self, writer: PhaseWriter, X: np.ndarray, y: np.ndarray, learning_rate: float,
                 before: list[Arrays]) -> tuple[float, str, ReplayedForward]:
        """Every phase of the step just taken, in the order it ran; `before`: each operation's parameters
        as the forward pass used them."""
        places = self.places()
        for layer, place, parameters in zip(self.layers, places, before):
            layer.phases.forward(writer, layer, place, parameters)
        self.loss_head.phases.record(writer, self.loss_head, places[-1].output, y)
        if self.decay is not None:  # the penalty is part of the loss: its phase follows the data loss's
            weights = [layer.parameter_names(place.layer)[0] for layer, place in zip(self.layers, places)
                       if layer.trainable]
            self.decay.phases.record(writer, self.decay, weights)
            keys = [phase.key for phase in writer.phases]
            if "loss" in keys:
                writer.phases.insert(keys.index("loss") + 1, writer.phases.pop())
        for layer, place, parameters in reversed(list(zip(self.layers, places, before))):
            layer.phases.backward(writer, layer, place, parameters)
        for layer, place, parameters in zip(self.layers, places, before):
            if layer.trainable:
                self.optimizer.phases.record(writer, self.optimizer, cast(Trainable, layer), place, parameters,
                                             learning_rate)
        owners = {name: (i, j) for i, (layer, place) in enumerate(zip(self.layers, places))
                  for j, name in enumerate(layer.parameter_names(place.layer))}
        decayed = frozenset(layer.parameter_names(place.layer)[0] for layer, place in zip(self.layers, places)
                            if layer.trainable and self.weight_decay)
        replay = ReplayedForward(
            tuple(layer.rebuilt(parameters) for layer, parameters in zip(self.layers, before)),
            (*(place.input for place in places), places[-1].output), owners, type(self.loss_head)(), X, y,
            self.weight_decay, decayed)
        return float(self.loss_head.loss), str(self._trainable[0].weight.dtype), replay


@dataclass(frozen=True)
class ReplayedForward:
    """One iteration's forward pass, replayable in float64 from any matrix it read or made: what the
    gradient check perturbs, one entry at a time."""

    layers: tuple[ChainOperation, ...]
    """The operations with the parameters the forward pass used."""
    inputs: tuple[str, ...]
    """Each operation's input name, then the prediction's."""
    owners: Mapping[str, tuple[int, int]]
    """Parameter name (W2) → (operation, position among its parameters)."""
    loss: LossHead
    X: np.ndarray
    y: np.ndarray
    weight_decay: float = 0.0
    decayed: frozenset[str] = frozenset()
    """The weights the penalty (λ/2)·‖W‖² reads: changing one of them changes the loss through it too."""

    @property
    def quadratic(self) -> bool:
        """Whether the loss is a quadratic in any single entry (linear layers, squared error): then a central
        difference is exact, and one step is enough."""
        return all(layer.linear for layer in self.layers) and self.loss.quadratic

    def loss_around(self, name: str) -> tuple[np.ndarray, Callable[[np.ndarray], tuple[Any, bytes]],
                                              Callable[[Any, Any], float]]:
        """(a float64 copy of matrix `name`, the prediction made from a changed copy of it with the side of every
        kink it fell on (ReLU inputs above 0 or not, packed), L(prediction up) − L(prediction down)).

        For a weight under weight decay the "prediction" is the pair (prediction, the changed weight), and the
        difference adds the penalty's: (λ/2)·Σ (up − down)·(up + down), which no rounding of two nearly equal
        sums of squares blurs."""
        X, y = self.X.astype(np.float64), self.y.astype(np.float64)
        layers = [layer.rebuilt(tuple(p.astype(np.float64) for p in layer.parameters())) for layer in self.layers]

        def difference(up: np.ndarray, down: np.ndarray) -> float:
            return self.loss.loss_difference(up, down, y)

        point, predict = self._prediction_around(name, X, layers)
        if name in self.decayed:

            def predict_decayed(changed: np.ndarray) -> tuple[Any, bytes]:
                prediction, sides = predict(changed)
                return (prediction, changed.copy()), sides

            def difference_decayed(up: tuple[np.ndarray, np.ndarray], down: tuple[np.ndarray, np.ndarray]) -> float:
                (up_prediction, up_weight), (down_prediction, down_weight) = up, down
                penalty = self.weight_decay / 2 * float(np.sum((up_weight - down_weight) * (up_weight + down_weight)))
                return difference(up_prediction, down_prediction) + penalty

            return point, predict_decayed, difference_decayed
        return point, predict, difference

    def _prediction_around(self, name: str, X: np.ndarray, layers: list[ChainOperation]) -> tuple[
            np.ndarray, Callable[[np.ndarray], tuple[np.ndarray, bytes]]]:
        """(a float64 copy of matrix `name`, the prediction from a changed copy of it and its kinks' sides)."""

        def run(chain: Sequence[ChainOperation], value: np.ndarray) -> tuple[np.ndarray, bytes]:
            prediction = np.array(run_forward(chain, value))  # a copy even when no operation runs
            sides = b"".join(layer.kink_sides() for layer in chain)
            return prediction, sides

        if name in self.owners:
            i, j = self.owners[name]
            point = layers[i].parameters()[j].copy()

            def predict(changed: np.ndarray) -> tuple[np.ndarray, bytes]:
                parameters = list(layers[i].parameters())
                parameters[j] = changed
                return run([*layers[:i], layers[i].rebuilt(tuple(parameters)), *layers[i + 1:]], X)

            return point, predict
        start = self.inputs.index(name)
        point = np.array(run_forward(layers[:start], X))

        def predict_from(changed: np.ndarray) -> tuple[np.ndarray, bytes]:
            return run(layers[start:], changed)

        return point, predict_from


def phase_keys(n_layers: int) -> list[str]:
    """The article network's phases in order: forward, error, loss, dL/dŷ, backward from the last layer, updates."""
    keys = [f"forward.{layer}" for layer in range(1, n_layers + 1)]
    keys += ["error", "loss", "loss_gradient"]
    for layer in range(n_layers, 0, -1):
        keys += [f"backward.{layer}.weight", f"backward.{layer}.bias", f"backward.{layer}.input"]
    keys += [f"update.{layer}" for layer in range(1, n_layers + 1)]
    return keys
