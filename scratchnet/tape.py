"""One training iteration as an ordered, immutable list of phases.

The recorder runs after `DenseNetwork.step` has done the real work and only
*reads* what the step stored on the network and its layers. Every matrix on the
tape is a read-only view of the array the computation made: nothing is copied,
and nothing is computed twice for display.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from scratchnet import phase_text
from scratchnet.layer import DenseLayer
from scratchnet.network import DenseNetwork
from scratchnet.phase_text import Equation, Words
from scratchnet.source import code_line


def shape_text(array: np.ndarray) -> str:
    return "scalar" if array.ndim == 0 else "×".join(str(n) for n in array.shape)


def _frozen(array: np.ndarray | np.floating) -> np.ndarray:
    view = np.asarray(array).view()
    view.flags.writeable = False
    return view


def _matrices(named: Mapping[str, np.ndarray | np.floating]) -> Mapping[str, np.ndarray]:
    return MappingProxyType({name: _frozen(array) for name, array in named.items()})


@dataclass(frozen=True)
class Phase:
    key: str
    kind: str
    """forward, error, loss, loss_gradient, weight, bias, input or update."""
    layer: int | None
    title: str
    equation: Equation
    legend: str
    shapes: str
    code: str
    note: str
    inputs: Mapping[str, np.ndarray]
    outputs: Mapping[str, np.ndarray]

    @property
    def result_name(self) -> str:
        """The matrix this phase exists to make (the loss phase makes two; the mean is the point)."""
        names = list(self.outputs)
        return "loss" if "loss" in names else names[0]

    def matrix(self, name: str) -> np.ndarray:
        return self.outputs[name] if name in self.outputs else self.inputs[name]

    @property
    def matrix_names(self) -> list[str]:
        """Outputs first (the result leads), then inputs."""
        return [*self.outputs, *self.inputs]


@dataclass(frozen=True)
class Tape:
    epoch: int
    learning_rate: float
    sizes: tuple[int, ...]
    dtype: str
    loss: float
    phases: tuple[Phase, ...]
    _index: Mapping[str, int] = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.phases)

    def __getitem__(self, position: int) -> Phase:
        return self.phases[position]

    def __iter__(self) -> Iterator[Phase]:
        return iter(self.phases)

    def index(self, key: str) -> int:
        return self._index[key]

    @property
    def keys(self) -> list[str]:
        return [phase.key for phase in self.phases]


def phase_keys(n_layers: int) -> list[str]:
    """The canonical order: forward, error, loss, dL/dŷ, backward from the last layer, updates."""
    keys = [f"forward.{layer}" for layer in range(1, n_layers + 1)]
    keys += ["error", "loss", "loss_gradient"]
    for layer in range(n_layers, 0, -1):
        keys += [f"backward.{layer}.weight", f"backward.{layer}.bias", f"backward.{layer}.input"]
    keys += [f"update.{layer}" for layer in range(1, n_layers + 1)]
    return keys


class TapeRecorder:
    """Pass as `record=` to `DenseNetwork.step`; afterwards `.tape` holds the iteration."""

    def __init__(self, epoch: int = 0) -> None:
        self.epoch = epoch
        self._tape: Tape | None = None

    @property
    def tape(self) -> Tape:
        """The recorded iteration; raises RuntimeError before a step has been recorded."""
        if self._tape is None:
            raise RuntimeError("TapeRecorder.tape: no step recorded yet (pass the recorder as record= to step)")
        return self._tape

    def __call__(
        self,
        network: DenseNetwork,
        X: np.ndarray,
        y: np.ndarray,
        learning_rate: float,
        previous_parameters: list[tuple[np.ndarray, np.ndarray]],
    ) -> None:
        n_layers = len(network.layers)
        phases: list[Phase] = []

        def add(key: str, kind: str, layer: int | None, words: Words, shapes: str, code: str,
                inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray | np.floating]) -> None:
            phases.append(Phase(key, kind, layer, words.title, words.equation, words.legend, shapes, code,
                                words.note, _matrices(inputs), _matrices(outputs)))

        def input_name(layer: int) -> str:
            return "X" if layer == 1 else f"Z{layer - 1}"

        def gradient_name(layer: int) -> str:
            return "dL/dŷ" if layer == n_layers else f"dX{layer + 1}"

        for layer_number, (layer, (weight, bias)) in enumerate(zip(network.layers, previous_parameters), 1):
            n_rows = layer.input_matrix.shape[0]
            shapes = (
                f"({shape_text(layer.input_matrix)})·({shape_text(weight)}) + "
                f"({shape_text(bias)} broadcast over {n_rows} rows) → ({shape_text(layer.output)})"
            )
            add(f"forward.{layer_number}", "forward", layer_number, phase_text.forward(layer_number, n_layers),
                shapes, code_line(DenseLayer.forward, "output ="),
                {input_name(layer_number): layer.input_matrix, f"W{layer_number}": weight,
                 f"b{layer_number}": bias},
                {f"Z{layer_number}": layer.output})

        prediction = f"Z{n_layers}"
        same = shape_text(network.error)
        add("error", "error", None, phase_text.error(), f"({same}) − ({shape_text(y)}) → ({same})",
            code_line(DenseNetwork.compute_loss, "error ="),
            {prediction: network.logits, "y": y}, {"error": network.error})
        add("loss", "loss", None, phase_text.loss(), f"mean(({same})²) over {network.error.size} entries → scalar",
            "\n".join(code_line(DenseNetwork.compute_loss, start) for start in ("squared_error =", "loss =")),
            {"error": network.error}, {"squared_error": network.squared_error, "loss": network.loss})
        add("loss_gradient", "loss_gradient", None, phase_text.loss_gradient(),
            f"2·({same}) / {network.error.size} → ({same})",
            code_line(DenseNetwork.backward, "loss_gradient_wrt_prediction ="),
            {"error": network.error}, {"dL/dŷ": network.loss_gradient_wrt_prediction})

        for layer_number in range(n_layers, 0, -1):
            layer = network.layers[layer_number - 1]
            weight = previous_parameters[layer_number - 1][0]
            G, G_name = layer.incoming_gradient, gradient_name(layer_number)
            X_l = layer.input_matrix
            add(f"backward.{layer_number}.weight", "weight", layer_number,
                phase_text.weight_gradient(layer_number, n_layers),
                f"({shape_text(X_l)})ᵀ·({shape_text(G)}) = ({shape_text(X_l.T)})·({shape_text(G)}) → "
                f"({shape_text(layer.weight_gradient)}), summing over {G.shape[0]} rows",
                code_line(DenseNetwork.backward, "weight_gradient ="),
                {input_name(layer_number): X_l, G_name: G}, {f"dW{layer_number}": layer.weight_gradient})
            add(f"backward.{layer_number}.bias", "bias", layer_number,
                phase_text.bias_gradient(layer_number, n_layers),
                f"Σ over {G.shape[0]} rows of ({shape_text(G)}) → ({shape_text(layer.bias_gradient)})",
                code_line(DenseNetwork.backward, "bias_gradient ="),
                {G_name: G}, {f"db{layer_number}": layer.bias_gradient})
            add(f"backward.{layer_number}.input", "input", layer_number,
                phase_text.input_gradient(layer_number, n_layers),
                f"({shape_text(G)})·({shape_text(weight)})ᵀ = ({shape_text(G)})·({shape_text(weight.T)}) → "
                f"({shape_text(layer.input_gradient)})",
                code_line(DenseNetwork.backward, "cumulated_backpropagating_gradient = np.dot"),
                {G_name: G, f"W{layer_number}": weight}, {f"dX{layer_number}": layer.input_gradient})

        for layer_number, (layer, (weight, bias)) in enumerate(zip(network.layers, previous_parameters), 1):
            add(f"update.{layer_number}", "update", layer_number, phase_text.update(layer_number, learning_rate),
                f"({shape_text(weight)}) − η·({shape_text(weight)}) → ({shape_text(layer.weight)});  "
                f"({shape_text(bias)}) − η·({shape_text(bias)}) → ({shape_text(layer.bias)})",
                "\n".join(code_line(DenseNetwork.optimize, start) for start in ("new_weight =", "new_bias =")),
                {f"W{layer_number}": weight, f"b{layer_number}": bias,
                 f"dW{layer_number}": layer.weight_gradient, f"db{layer_number}": layer.bias_gradient},
                {f"W{layer_number}'": layer.weight, f"b{layer_number}'": layer.bias})

        self._tape = Tape(
            epoch=self.epoch,
            learning_rate=learning_rate,
            sizes=network.sizes,
            dtype=str(network.layers[0].weight.dtype),
            loss=float(network.loss),
            phases=tuple(phases),
            _index=MappingProxyType({phase.key: position for position, phase in enumerate(phases)}),
        )
