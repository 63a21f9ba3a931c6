"""One training iteration as an ordered, immutable list of phases.

The recorder runs after `DenseNetwork.step` has done the real work and only *reads* what the step
stored: each operation of the network writes its own phases (see `DenseLayer`'s phases in
`scratchnet/layer.py`). Every matrix on the tape is a read-only view of the array the computation
made: nothing is copied, and nothing is computed twice for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from scratchnet.debugger.words import Equation, Words

if TYPE_CHECKING:
    from scratchnet.debugger.explanation import Explanation

STAGES = ("forward", "loss", "backward", "update")
"""Where a phase sits in the iteration; the phase list groups by it."""


def shape_text(array: np.ndarray) -> str:
    return "scalar" if array.ndim == 0 else "×".join(str(n) for n in array.shape)


def _frozen(array: np.ndarray | np.floating) -> np.ndarray:
    view = np.asarray(array).view()
    view.flags.writeable = False
    return view


def _matrices(named: Mapping[str, np.ndarray | np.floating]) -> Mapping[str, np.ndarray]:
    return MappingProxyType({name: _frozen(array) for name, array in named.items()})


class Explainer(Protocol):
    """How an operation writes out one cell it made, with the real numbers."""

    def __call__(self, tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation: ...


class ForwardModel(Protocol):
    """The iteration's forward pass, replayable from any matrix it read or made: what the gradient
    check perturbs. `DenseNetwork` provides it; the tape only carries it."""

    @property
    def quadratic(self) -> bool: ...

    def loss_around(self, name: str) -> tuple[np.ndarray, Callable[[np.ndarray], tuple[Any, bytes]],
                                              Callable[[Any, Any], float]]: ...


@dataclass(frozen=True)
class Phase:
    key: str
    kind: str
    """What the operation calls this step: forward, error, loss, loss_gradient, weight, bias, input, update…"""
    stage: str
    """One of STAGES."""
    layer: int | None
    title: str
    equation: Equation
    legend: str
    shapes: str
    code: str
    note: str
    inputs: Mapping[str, np.ndarray]
    outputs: Mapping[str, np.ndarray]
    explainer: Explainer = field(compare=False, repr=False)
    gradient_of: str | None = None
    """For a gradient phase, the matrix its result is the loss's gradient with respect to (W2, Z1, X…)."""

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

    def explain(self, tape: Tape, name: str, row: int, column: int) -> Explanation:
        return self.explainer(tape, self, name, row, column)


@dataclass(frozen=True)
class Tape:
    epoch: int
    learning_rate: float
    sizes: tuple[int, ...]
    dtype: str
    loss: float
    phases: tuple[Phase, ...]
    model: ForwardModel = field(repr=False, compare=False)
    _index: Mapping[str, int] = field(repr=False, compare=False)
    iteration: int = 0
    """Which iteration of its epoch this is, from 0 (always 0 for the article's full batch)."""
    iterations: int = 1
    """How many iterations its epoch has: ⌈N/B⌉ with batches of B rows, 1 for the full batch."""
    batch_rows: np.ndarray | None = field(default=None, compare=False)
    """The original data rows of this iteration's batch (read-only), in the order its X and y hold them; None:
    every row, in data order (the article's full batch)."""

    def data_rows(self) -> np.ndarray:
        """The original data row of each row of this iteration's X."""
        if self.batch_rows is not None:
            return self.batch_rows
        X = self.matrix("X")
        return np.arange(0 if X is None else X.shape[0])

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

    def made_by(self, name: str) -> Phase | None:
        """The phase of this iteration that made matrix `name`, or None if it came from outside."""
        return next((phase for phase in self.phases if name in phase.outputs), None)

    def matrix(self, name: str) -> np.ndarray | None:
        """Matrix `name` as this iteration made or read it (None if no phase has it)."""
        for phase in self.phases:
            if name in phase.outputs:
                return phase.outputs[name]
            if name in phase.inputs:
                return phase.inputs[name]
        return None


class PhaseWriter:
    """What an operation writes its phases with, in the order the iteration ran them. `iterations`: how many
    iterations the epoch has (1: the article's full batch), for words that say "this epoch" or "this batch"."""

    def __init__(self, iteration: int = 0, iterations: int = 1) -> None:
        self.phases: list[Phase] = []
        self.iteration, self.iterations = iteration, iterations

    @property
    def full_batch(self) -> bool:
        return self.iterations == 1

    def add(self, key: str, kind: str, stage: str, layer: int | None, words: Words, shapes: str, code: str,
            inputs: Mapping[str, np.ndarray | np.floating], outputs: Mapping[str, np.ndarray | np.floating],
            explainer: Explainer, gradient_of: str | None = None) -> None:
        assert stage in STAGES, stage
        self.phases.append(Phase(key, kind, stage, layer, words.title, words.equation, words.legend, shapes, code,
                                 words.note, _matrices(inputs), _matrices(outputs), explainer, gradient_of))


class Describable(Protocol):
    """A network that can write the phases of the step it has just taken."""

    @property
    def sizes(self) -> tuple[int, ...]: ...

    def describe(self, writer: PhaseWriter, X: np.ndarray, y: np.ndarray, learning_rate: float,
                 before: Any) -> tuple[float, str, ForwardModel]: ...


class TapeRecorder:
    """Pass as `record=` to `DenseNetwork.step`; afterwards `.tape` holds the iteration."""

    def __init__(self, epoch: int = 0, iteration: int = 0, iterations: int = 1,
                 batch_rows: np.ndarray | None = None) -> None:
        self.epoch = epoch
        self.iteration, self.iterations = iteration, iterations
        self.batch_rows = None if batch_rows is None else _frozen(np.asarray(batch_rows, dtype=np.intp))
        self._tape: Tape | None = None

    @property
    def tape(self) -> Tape:
        """The recorded iteration; raises RuntimeError before a step has been recorded."""
        if self._tape is None:
            raise RuntimeError("TapeRecorder.tape: no step recorded yet (pass the recorder as record= to step)")
        return self._tape

    def __call__(self, network: Describable, X: np.ndarray, y: np.ndarray, learning_rate: float,
                 before: Any) -> None:
        writer = PhaseWriter(self.iteration, self.iterations)
        loss, dtype, model = network.describe(writer, X, y, learning_rate, before)
        phases = tuple(writer.phases)
        self._tape = Tape(
            epoch=self.epoch, learning_rate=learning_rate, sizes=network.sizes, dtype=dtype, loss=loss,
            phases=phases, model=model,
            _index=MappingProxyType({phase.key: position for position, phase in enumerate(phases)}),
            iteration=self.iteration, iterations=self.iterations, batch_rows=self.batch_rows,
        )
