"""Continue until something happens: break conditions checked after every fast iteration, and where to look then.

A `Breaker` is `run_epochs`' hook after each iteration. It reads what the fast step already made: the loss, the
gradients and parameters each trainable layer holds, the outputs each operation kept, and the epoch's measures
`run_epochs` hands over. Only a matrix the fast path does not keep (an optimizer's bias-corrected moments, dX₁)
costs more: the iteration is replayed with a recorder to read it. `nan` looks at the loss, the gradients and the
new parameters, which are small; the large arrays are scanned only in the one iteration that stopped, when its
tape is recorded and `stop_place` finds the first phase that made a non-finite value.

While conditions are set the divergence rule does not end a run: it ends at the first condition that holds, or at
the first non-finite loss (`Hit.non_finite`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scratchnet.conditions import Compare, Condition, Flag, leaves, matrices
from scratchnet.conditions import evaluate as holds
from scratchnet.debugger.tape import Tape, TapeRecorder
from scratchnet.network import DenseNetwork
from scratchnet.training import Iteration, batch


@dataclass(frozen=True)
class Hit:
    """Where a run stopped, and why."""

    epoch: int
    iteration: int
    condition: str | None
    """The condition that held, in normal form; None when the run stopped at a non-finite loss that no condition
    asked for."""
    values: tuple[tuple[str, float], ...] = ()
    """What the condition read, leaf by leaf (`norm(dW1)`, 12.3), for the message."""

    @property
    def non_finite(self) -> bool:
        return self.condition is None

    def where(self, iterations: int) -> str:
        return f"epoch {self.epoch}" + (f", batch {self.iteration + 1}/{iterations}" if iterations > 1 else "")

    def describe(self, iterations: int) -> str:
        """One line: where, and what was read there."""
        where = self.where(iterations)
        if self.condition is None:
            return f"{where}: the loss is not a finite number"
        read = ", ".join(f"{name} = {value:.6g}" for name, value in self.values)
        return f"{where}: {self.condition}" + (f" ({read})" if read else "")


class Breaker:
    """The hook that stops `run_epochs` at the first iteration where any of `conditions` holds."""

    def __init__(self, conditions: Sequence[Condition], X: np.ndarray, y: np.ndarray, learning_rate: float,
                 previous_loss: float | None = None) -> None:
        self.conditions = tuple(conditions)
        self.hit: Hit | None = None
        self._X, self._y, self._learning_rate = X, y, learning_rate
        self._previous_loss = previous_loss
        """The loss of the epoch before the one running (for loss_up)."""
        self._epoch: int | None = None
        self._epoch_loss = math.nan
        self._wanted = [name for condition in self.conditions for name in matrices(condition)]

    def __call__(self, step: Iteration) -> bool:
        if step.epoch != self._epoch:
            if self._epoch is not None:
                self._previous_loss = self._epoch_loss
            self._epoch, self._epoch_loss = step.epoch, step.epoch_loss
        reading = _Reading(self, step)
        for condition in self.conditions:
            if holds(condition, reading.value):
                self.hit = Hit(step.epoch, step.iteration, str(condition), reading.read_for(condition))
                return True
        if not math.isfinite(step.loss):
            self.hit = Hit(step.epoch, step.iteration, None)
            return True
        return False

    def replay(self, step: Iteration) -> Tape:
        """The iteration recorded again from where it started: what a matrix the fast path keeps no copy of is read
        from (the same operations, so the same numbers)."""
        network = step.network.with_parameters(step.before)
        recorder = TapeRecorder(step.epoch, step.iteration, step.iterations)
        with np.errstate(all="ignore"):
            network.step(*batch(self._X, self._y, step.rows), self._learning_rate, record=recorder)
        return recorder.tape


class _Reading:
    """The values one iteration offers the conditions, each read once, when a condition first asks."""

    def __init__(self, breaker: Breaker, step: Iteration) -> None:
        self.breaker, self.step = breaker, step
        self.cache: dict[str, float | bool | None] = {}
        self.tape: Tape | None = None

    def value(self, leaf: Compare | Flag) -> float | bool | None:
        key = str(leaf.quantity) if isinstance(leaf, Compare) else leaf.name
        if key not in self.cache:
            self.cache[key] = self._read(leaf)
        return self.cache[key]

    def read_for(self, condition: Condition) -> tuple[tuple[str, float], ...]:
        read = []
        for leaf in leaves(condition):
            if isinstance(leaf, Compare):
                value = self.value(leaf)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    read.append((str(leaf.quantity), float(value)))
        return tuple(dict(read).items())

    def _read(self, leaf: Compare | Flag) -> float | bool | None:
        step = self.step
        if isinstance(leaf, Flag):
            if leaf.name == "nan":
                return not _all_finite(step)
            previous = self.breaker._previous_loss
            return previous is not None and step.epoch_loss > previous
        quantity = leaf.quantity
        if quantity.kind == "loss":
            return step.epoch_loss
        if quantity.kind == "test_loss":
            return step.test_loss
        if quantity.kind == "acc":
            return step.accuracy
        if quantity.kind == "test_acc":
            return step.test_accuracy
        if quantity.kind == "epoch":
            return float(step.epoch)
        assert quantity.matrix is not None
        if quantity.kind == "ratio":
            return _update_ratio(step, quantity.matrix)
        return _norm(self._matrix(quantity.matrix))

    def _matrix(self, name: str) -> np.ndarray | None:
        live = live_matrix(self.step, name)
        if live is not None:
            return live
        if self.tape is None:
            self.tape = self.breaker.replay(self.step)
        return self.tape.matrix(name)


def _norm(matrix: np.ndarray | None) -> float | None:
    if matrix is None:
        return None
    with np.errstate(all="ignore"):
        return float(np.linalg.norm(matrix))


def _update_ratio(step: Iteration, name: str) -> float | None:
    """‖P' − P‖ / ‖P‖ for parameter P (W1, b2) of this update."""
    index = _trainable_index(step.network, name)
    if index is None:
        return None
    before = step.before[index][0 if name.startswith("W") else 1]
    after = step.network.parameters[index][0 if name.startswith("W") else 1]
    with np.errstate(all="ignore"):
        size = float(np.linalg.norm(before))
        moved = float(np.linalg.norm(after - before))
    return moved / size if size > 0 else (math.inf if moved > 0 else 0.0)


def _trainable_index(network: DenseNetwork, name: str) -> int | None:
    """Which trainable layer parameter `name` (W2, b2, W2', dW2, db2) belongs to, counting from 0."""
    stem = name.rstrip("'")
    stem = stem[1:] if stem.startswith("d") else stem
    if stem[:1] not in ("W", "b") or not stem[1:].isdigit():
        return None
    number = int(stem[1:])
    places = network.places()
    trainable = [place.layer for layer, place in zip(network.layers, places) if layer.trainable]
    return trainable.index(number) if number in trainable else None


def live_matrix(step: Iteration, name: str) -> np.ndarray | None:
    """Matrix `name` of this iteration as the fast step left it, or None when it keeps no copy of it: parameters
    (before and after the update), their gradients, and what each operation made and passed back."""
    network = step.network
    index = _trainable_index(network, name)
    if index is not None:
        trainable = [layer for layer in network.layers if layer.trainable]
        layer = trainable[index]
        weight = name.lstrip("d").startswith("W")
        if name.startswith("d"):
            return getattr(layer, "weight_gradient" if weight else "bias_gradient", None)
        if name.endswith("'"):
            return step.network.parameters[index][0 if weight else 1]
        return step.before[index][0 if weight else 1]
    for layer, place in zip(network.layers, network.places()):
        if place.output == name:
            return getattr(layer, "output", None)
        if place.gradient_out == name and place.input != "X":  # the fast path need not pass a gradient to the data
            return getattr(layer, "input_gradient", None)
    return None


def _all_finite(step: Iteration) -> bool:
    """The loss, every gradient and every new parameter finite: what `nan` checks after each iteration."""
    if not math.isfinite(step.loss):
        return False
    for layer in step.network.layers:
        if layer.trainable:
            for name in ("weight_gradient", "bias_gradient", "weight", "bias"):
                array = getattr(layer, name, None)
                if array is not None and not np.isfinite(array).all():
                    return False
    return True


def matrix_names(network: DenseNetwork, X: np.ndarray, y: np.ndarray, learning_rate: float) -> set[str]:
    """Every matrix name an iteration of this network records (what a condition may read), from one recorded step
    of a copy on two rows: the names depend on the network's operations, not on the data."""
    copy = network.with_parameters(network.parameters)
    recorder = TapeRecorder(0)
    with np.errstate(all="ignore"):
        copy.step(X[:2], y[:2], learning_rate, record=recorder)
    return {name for phase in recorder.tape for name in phase.matrix_names}


@dataclass(frozen=True)
class StopPlace:
    """Where the debugger opens on a stop: a phase, and the matrix and cell to look at (if one)."""

    phase: str
    matrix: str | None = None
    cell: tuple[int, int] | None = None


def stop_place(tape: Tape, hit: Hit, condition: Condition | None) -> StopPlace:
    """The first phase of the stopped iteration that makes a value the condition reads: for `nan` (and a
    non-finite loss), the first phase with a non-finite value in what it made, that cell selected."""
    reads_nan = condition is None or any(isinstance(leaf, Flag) and leaf.name == "nan" for leaf in leaves(condition))
    if reads_nan:
        for phase in tape:
            for name in phase.outputs:
                matrix = np.asarray(phase.outputs[name])
                bad = np.argwhere(~np.isfinite(matrix)) if matrix.size else np.empty((0, 2))
                if len(bad):
                    cell = tuple(int(v) for v in bad[0]) if matrix.ndim == 2 else (0, 0)
                    return StopPlace(phase.key, name, (cell[0], cell[1]))
    wanted: set[str] = set()
    for leaf in leaves(condition) if condition is not None else ():
        if isinstance(leaf, Flag):
            wanted.add("loss")
        elif leaf.quantity.matrix is not None:
            wanted.add(leaf.quantity.matrix + ("'" if leaf.quantity.kind == "ratio" else ""))
        elif leaf.quantity.kind != "epoch":
            wanted.add("loss")
    for phase in tape:
        made = [name for name in phase.outputs if name in wanted]
        if made:
            return StopPlace(phase.key, made[0])
    return StopPlace(tape[0].key)
