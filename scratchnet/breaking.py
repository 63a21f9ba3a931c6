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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from scratchnet.conditions import Compare, Condition, Flag, leaves, matrices
from scratchnet.conditions import evaluate as holds
from scratchnet.debugger.tape import Tape, TapeRecorder
from scratchnet.network import DenseNetwork, Parameters
from scratchnet.training import FULL_BATCH, Batches, EpochEnd, HeldOut, Iteration, TrainingRun, batch, run_epochs


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
    """Stops a run at the first iteration after `after` where any of `conditions` holds (or the loss turns
    non-finite). Give `run_until` to run it, or its two hooks to `run_epochs` yourself.

    Conditions that read only what an epoch measures (`loss`, `acc`, `epoch`, `loss_up`, their `test_` forms) and
    `nan` cost nothing per iteration: they are checked at each epoch's end, and an epoch in which something turned
    non-finite is replayed from its start, iteration by iteration, to find the first where it did. Conditions that
    read a matrix (`norm`, `ratio`) are checked after every iteration."""

    def __init__(self, conditions: Sequence[Condition], X: np.ndarray, y: np.ndarray, learning_rate: float, *,
                 batches: Batches = FULL_BATCH, start_parameters: Parameters | None = None,
                 previous_loss: float | None = None, after: tuple[int, int] = (-1, -1)) -> None:
        self.conditions = tuple(conditions)
        self.hit: Hit | None = None
        self.stopped: Iteration | None = None
        """The iteration the hit is in (its `before` and rows replay it)."""
        self.after = after
        """(epoch, iteration) up to which nothing stops the run: where a continue starts from."""
        self._X, self._y, self._learning_rate, self._batches = X, y, learning_rate, batches
        self._start = start_parameters
        """The parameters the running epoch started from: what a replay of it starts from."""
        self._previous_loss = previous_loss
        """The loss of the epoch before the one running (for loss_up)."""
        self._epoch: int | None = None
        self._epoch_loss = math.nan
        self.per_iteration = any(matrices(condition) for condition in self.conditions)
        """Whether a condition reads a matrix, so every iteration must be checked as it runs."""
        self._getters: dict[int, Getter] = {}

    def getter(self, leaf: Compare | Flag, network: DenseNetwork) -> Getter:
        """How to read `leaf` (worked out for the first network it is read from: every network a run steps has the
        same operations)."""
        key = id(leaf)
        if key not in self._getters:
            self._getters[key] = _getter(self, leaf, network)
        return self._getters[key]

    @property
    def after_iteration(self) -> Callable[[Iteration], bool] | None:
        return self.check_iteration if self.per_iteration else None

    def check_iteration(self, step: Iteration) -> bool:
        """After one iteration: True (and `hit` set) if a condition holds there, or its loss is not finite."""
        if step.epoch != self._epoch:
            if self._epoch is not None:
                self._previous_loss = self._epoch_loss
            self._epoch, self._epoch_loss = step.epoch, step.epoch_loss
        if (step.epoch, step.iteration) <= self.after:
            return False
        reading = _Reading(self, step)
        for condition in self.conditions:
            if holds(condition, reading.value):
                return self._stop(step, Hit(step.epoch, step.iteration, str(condition), reading.read_for(condition)))
        if not math.isfinite(step.loss):
            return self._stop(step, Hit(step.epoch, step.iteration, None))
        return False

    def _stop(self, step: Iteration, hit: Hit) -> bool:
        """The hit, and the iteration it is in: on the fast path taken again from its epoch's start on the network's
        own step (the fast path hands over no optimizer state per iteration, and a tape needs it)."""
        self.hit = hit
        self.stopped = step if step.after is None or self._start is None else self._taken_again(step)
        return True

    def _taken_again(self, step: Iteration) -> Iteration:
        assert self._start is not None
        *_, again = self._retaken(step.network, self._start, step.epoch, step.iteration + 1,
                                  (step.epoch_loss, step.test_loss, step.accuracy, step.test_accuracy))
        return again

    def _retaken(self, network: DenseNetwork, start: Parameters, epoch: int, count: int,
                 measures: tuple[float, float | None, float | None, float | None]) -> Iterator[Iteration]:
        """The first `count` iterations of epoch `epoch` taken again from its start on a copy of `network`, on its own
        step (which keeps the optimizer's state with each iteration's parameters, as a tape needs), one by one."""
        rows = self._X.shape[0]
        iterations = self._batches.count(rows)
        order = self._batches.order(epoch, rows)
        copy = network.with_parameters(start)
        with np.errstate(all="ignore"):
            for iteration in range(count):
                chosen = self._batches.rows(epoch, iteration, rows, order)
                before = copy.parameters
                loss = copy.step(*batch(self._X, self._y, chosen), self._learning_rate)
                yield Iteration(epoch, iteration, iterations, loss, before, copy, chosen, *measures)

    def reads_only_parameters(self, network: DenseNetwork) -> bool:
        """Whether every matrix the conditions read is a parameter or its gradient (W1, b2, W1', dW2), which the
        fast path hands a hook: then continue runs on it."""
        return all(_trainable_index(network, name) is not None
                   for condition in self.conditions for name in matrices(condition))

    def check_epoch(self, end: EpochEnd) -> bool:
        """After an epoch: with only epoch-level conditions and nan, the whole epoch's check (a replay of it when
        something in it turned non-finite). True to stop."""
        start, self._start = self._start, end.network.parameters
        if self.per_iteration or self.hit is not None:
            return self.hit is not None
        finite = math.isfinite(end.running_loss) and _parameters_finite(end.network)
        if not finite and start is not None:
            return self._replay_epoch(end, start)
        previous, self._previous_loss = self._previous_loss, end.loss
        first = end.epoch, (self.after[1] + 1 if self.after[0] == end.epoch else 0)
        iterations = self._batches.count(self._X.shape[0])
        if first <= self.after or first[1] >= iterations:
            return False
        view = _EpochView(end, previous)
        for condition in self.conditions:
            if holds(condition, view.value):
                self.hit = Hit(end.epoch, first[1], str(condition), view.read_for(condition))
                self.stopped = None if start is None else self._iteration_at(end, start, first[1])
                return True
        return False

    def _iteration_at(self, end: EpochEnd, start: Parameters, index: int) -> Iteration:
        """Iteration `index` of `end`'s epoch, taken again from the epoch's start (what the stopped iteration's tape
        is recorded from)."""
        *_, again = self._retaken(end.network, start, end.epoch, index + 1, _measures_of(end))
        return again

    def _replay_epoch(self, end: EpochEnd, start: Parameters) -> bool:
        """The epoch again from its start, each iteration checked: the first where a condition holds, or the loss
        is not finite. Nothing found (a `not nan`, say): the run goes on."""
        self._epoch = None
        iterations = self._batches.count(self._X.shape[0])
        if any(self.check_iteration(step) for step in self._retaken(end.network, start, end.epoch, iterations,
                                                                    _measures_of(end))):
            return True
        self._previous_loss = end.loss
        return False

    def replay(self, step: Iteration) -> Tape:
        """The iteration recorded again from where it started: what a matrix the fast path keeps no copy of is read
        from (the same operations, so the same numbers)."""
        network = step.network.with_parameters(step.before)
        recorder = TapeRecorder(step.epoch, step.iteration, step.iterations)
        with np.errstate(all="ignore"):
            network.step(*batch(self._X, self._y, step.rows), self._learning_rate, record=recorder)
        return recorder.tape


def run_until(network: DenseNetwork, X: np.ndarray, y: np.ndarray, learning_rate: float, start: int, end: int,
              breaker: Breaker, *, batches: Batches = FULL_BATCH, held_out: HeldOut | None = None,
              accuracy: bool = False, first_loss: float | None = None,
              after_epoch: Callable[[EpochEnd], bool] | None = None) -> TrainingRun:
    """Epochs start … end−1 until `breaker` stops them (its `hit` says where), the divergence rule set aside."""

    def epoch_end(done: EpochEnd) -> bool:
        stop = after_epoch(done) if after_epoch is not None else False
        return breaker.check_epoch(done) or stop

    return run_epochs(network, X, y, learning_rate, start, end, batches=batches, held_out=held_out, accuracy=accuracy,
                      first_loss=first_loss, stop_at_divergence=False, after_iteration=breaker.after_iteration,
                      after_epoch=epoch_end, hook_reads_parameters=breaker.reads_only_parameters(network))


def _measures_of(end: EpochEnd) -> tuple[float, float | None, float | None, float | None]:
    return end.loss, end.test_loss, end.accuracy, end.test_accuracy


def _parameters_finite(network: DenseNetwork) -> bool:
    return all(np.isfinite(array).all() for layer in network.layers for array in layer.parameters())


class _EpochView:
    """An epoch's measures as conditions read them at its end (no matrix: only epoch-level conditions come here)."""

    def __init__(self, end: EpochEnd, previous_loss: float | None) -> None:
        self.end, self.previous_loss = end, previous_loss

    def value(self, leaf: Compare | Flag) -> float | bool | None:
        end = self.end
        if isinstance(leaf, Flag):
            return False if leaf.name == "nan" else self.previous_loss is not None and end.loss > self.previous_loss
        return {"loss": end.loss, "test_loss": end.test_loss, "acc": end.accuracy, "test_acc": end.test_accuracy,
                "epoch": float(end.epoch)}[leaf.quantity.kind]

    def read_for(self, condition: Condition) -> tuple[tuple[str, float], ...]:
        read = {}
        for leaf in leaves(condition):
            if isinstance(leaf, Compare) and isinstance(value := self.value(leaf), (int, float)):
                read[str(leaf.quantity)] = float(value)
        return tuple(read.items())


Getter = Callable[[Iteration], "float | bool | None"]


class _Reading:
    """The values one iteration offers the conditions, each read once, when a condition first asks."""

    def __init__(self, breaker: Breaker, step: Iteration) -> None:
        self.breaker, self.step = breaker, step
        self.cache: dict[int, float | bool | None] = {}

    def value(self, leaf: Compare | Flag) -> float | bool | None:
        key = id(leaf)
        if key not in self.cache:
            self.cache[key] = self.breaker.getter(leaf, self.step.network)(self.step)
        return self.cache[key]

    def read_for(self, condition: Condition) -> tuple[tuple[str, float], ...]:
        read = []
        for leaf in leaves(condition):
            if isinstance(leaf, Compare):
                value = self.value(leaf)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    read.append((str(leaf.quantity), float(value)))
        return tuple(dict(read).items())


def _getter(breaker: Breaker, leaf: Compare | Flag, network: DenseNetwork) -> Getter:
    """How to read `leaf` from an iteration of `network`'s structure, worked out once: the per-iteration check
    then costs a lookup and the value's own arithmetic."""
    if isinstance(leaf, Flag):
        if leaf.name == "nan":
            return lambda step: not _all_finite(step)
        return lambda step: breaker._previous_loss is not None and step.epoch_loss > breaker._previous_loss
    quantity = leaf.quantity
    measures: dict[str, Getter] = {"loss": lambda step: step.epoch_loss, "test_loss": lambda step: step.test_loss,
                                   "acc": lambda step: step.accuracy, "test_acc": lambda step: step.test_accuracy,
                                   "epoch": lambda step: float(step.epoch)}
    if quantity.kind in measures:
        return measures[quantity.kind]
    name = quantity.matrix
    assert name is not None
    if quantity.kind == "ratio":
        index = _trainable_index(network, name)
        if index is None:
            return lambda step: None
        position = 0 if name.startswith("W") else 1
        return lambda step: _ratio(step.before[index][position], _after(step, index)[position])
    live = _live_getter(network, name)
    if live is not None:
        return lambda step: _norm(live(step))

    def from_replay(step: Iteration) -> float | None:
        tape = breaker.replay(step)
        return _norm(tape.matrix(name))

    return from_replay


def _after(step: Iteration, index: int) -> tuple[np.ndarray, ...]:
    """(W, b) of trainable layer `index` after the update: handed over on the fast path, else the network's."""
    if step.after is not None:
        return tuple(step.after[index])
    return [layer for layer in step.network.layers if layer.trainable][index].parameters()


def _norm(matrix: np.ndarray | None) -> float | None:
    """The Frobenius norm, √Σ a²: NaN or ∞ in the matrix make it NaN or ∞. Read inside the run's silenced floating
    point errors (an `np.errstate` per read would cost a quarter of an iteration of 32 rows)."""
    if matrix is None:
        return None
    flat = np.ravel(matrix)
    return math.sqrt(float(np.dot(flat, flat))) if flat.size else 0.0


def _ratio(before: np.ndarray, after: np.ndarray) -> float:
    """‖P' − P‖ / ‖P‖: how far an update moved a parameter, as a share of its size."""
    size, moved = _norm(before), _norm(after - before)
    assert size is not None and moved is not None
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


def _live_getter(network: DenseNetwork, name: str) -> Callable[[Iteration], np.ndarray | None] | None:
    """Where the fast step leaves matrix `name`, or None when it keeps no copy of it: parameters (before and after
    the update), their gradients, and what each operation made and passed back."""
    index = _trainable_index(network, name)
    if index is not None:
        layer = [i for i, operation in enumerate(network.layers) if operation.trainable][index]
        weight = name.lstrip("d").startswith("W")
        position = 0 if weight else 1
        if name.startswith("d"):
            attribute = "weight_gradient" if weight else "bias_gradient"
            return lambda step: (step.gradients[index][position] if step.gradients is not None
                                 else getattr(step.network.layers[layer], attribute, None))
        if name.endswith("'"):
            return lambda step: _after(step, index)[position]
        return lambda step: step.before[index][position]
    for position, place in enumerate(network.places()):
        if place.output == name:
            return lambda step: getattr(step.network.layers[position], "output", None)
        if place.gradient_out == name and place.input != "X":  # the fast path need not pass a gradient to the data
            return lambda step: getattr(step.network.layers[position], "input_gradient", None)
    return None


def _all_finite(step: Iteration) -> bool:
    """The loss and every new parameter finite: what `nan` checks after each iteration. A non-finite gradient
    always makes its parameter's update non-finite (η > 0), so the gradients need no scan of their own."""
    if not math.isfinite(step.loss):
        return False
    if step.after is not None:  # views of one flat vector on the fast path: one scan of it
        arrays = [array.base if array.base is not None else array for pair in step.after for array in pair]
        return all(np.isfinite(array).all() for array in {id(array): array for array in arrays}.values())
    return all(np.isfinite(array).all() for layer in step.network.layers for array in layer.parameters())


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
