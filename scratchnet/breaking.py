"""Continue until something happens: break conditions checked at every iteration, and where to look then.

A `Breaker` reads what the fast step already made. Conditions on the loss, the parameters, their gradients, the
update rule's state, what each operation and the loss head make, and what an epoch measures (`nan`, `loss_up`,
`loss`, `acc`, `epoch`, `norm(dW1)`, `ratio(W2)`, `norm(m̂W1)`, `norm(Z1)`, `norm(dX1)`, `norm(dL/dŷ)`, …) see the
epoch's iterations in blocks (`scratchnet.trail`), a row per iteration, and are checked over a block in a few NumPy
calls: continue then runs near the speed of plain training. A network the fast path cannot run takes its own step,
read one iteration at a time. `nan` looks at the loss and the new parameters, which are small; the large arrays are
scanned only in the one iteration that stopped, when its tape is recorded and `stop_place` finds the first phase
that made a non-finite value.

A run stops as the epoch with the first hit ends: that epoch's loss (known from its start) reaches the loss table,
and `stopped` is the hit's own iteration, taken again from its epoch's start. While conditions are set the
divergence rule does not end a run: it ends at the first condition that holds, or at the first non-finite loss
(`Hit.non_finite`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from scratchnet.adam import Adam
from scratchnet.conditions import Compare, Condition, Flag, Values, holds_where, leaves, matrices
from scratchnet.conditions import evaluate as holds
from scratchnet.debugger.names import M_HAT, S_HAT
from scratchnet.debugger.tape import Tape, TapeRecorder
from scratchnet.fast.rules import RULES
from scratchnet.momentum import Momentum
from scratchnet.network import DenseNetwork, Parameters
from scratchnet.trail import Trail, kept_by, made_at, squared_sum
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
    non-finite). Give `run_until` to run it, or its hooks to `run_epochs` yourself (`check_block` or
    `check_iteration` after iterations, `check_epoch` after each epoch)."""

    def __init__(self, conditions: Sequence[Condition], X: np.ndarray, y: np.ndarray, learning_rate: float, *,
                 batches: Batches = FULL_BATCH, start_parameters: Parameters | None = None,
                 previous_loss: float | None = None, after: tuple[int, int] = (-1, -1)) -> None:
        self.conditions = tuple(conditions)
        self.hit: Hit | None = None
        self.stopped: Iteration | None = None
        """The iteration the hit is in, taken again (its `before` and rows replay it), once its epoch has ended."""
        self.after = after
        """(epoch, iteration) up to which nothing stops the run: where a continue starts from."""
        self._X, self._y, self._learning_rate, self._batches = X, y, learning_rate, batches
        self._start = start_parameters
        """The parameters the running epoch started from: what the hit's iteration is taken again from."""
        self._previous_loss = previous_loss
        """The loss of the epoch before the one running (for loss_up)."""
        self._getters: dict[int, Getter] = {}
        self._layers: dict[str, int | None] = {}
        """The trainable layer (from 0) of each matrix the conditions name, None when it is not a parameter."""
        self._states: dict[str, StatePlace] = {}
        """Where in the update rule's state each state matrix the conditions name is (vW1, m̂b2)."""

    def getter(self, leaf: Compare | Flag, network: DenseNetwork) -> Getter:
        """How to read `leaf` (worked out for the first network it is read from: every network a run steps has the
        same operations)."""
        key = id(leaf)
        if key not in self._getters:
            self._getters[key] = _getter(self, leaf, network)
        return self._getters[key]

    def made_matrices(self, network: DenseNetwork) -> list[str]:
        """The matrices other than parameters whose norms the conditions read (Z1, dA2), of which the fast step
        hands over Σ a² as it makes them (`trail.made_at`)."""
        return [name for name in self._normed(network) if made_at(network, name) is not None]



    def reads_recorded(self, network: DenseNetwork) -> bool:
        """Whether a condition reads the norm of a matrix no tap takes (the data X or y, the loss, the penalty):
        then every iteration runs the network's own step, and it is read from the tape."""
        return any(made_at(network, name) is None and _state_place(network, name) is None
                   for name in self._normed(network))

    def reads_state(self, network: DenseNetwork) -> bool:
        """Whether a condition reads the update rule's state (vW1, mW1', m̂W1): then each iteration's is kept."""
        return any(_state_place(network, name) is not None for name in self._normed(network))

    def _normed(self, network: DenseNetwork) -> list[str]:
        """The matrices whose norms the conditions read, other than parameters and their gradients."""
        names = [leaf.quantity.matrix for condition in self.conditions for leaf in leaves(condition)
                 if isinstance(leaf, Compare) and leaf.quantity.kind == "norm" and leaf.quantity.matrix is not None]
        return [name for name in dict.fromkeys(names) if _trainable_index(network, name) is None]

    def reads_gradients(self, network: DenseNetwork) -> bool:
        """Whether a condition reads a parameter's gradient (dW1, db2): then each iteration's is kept for
        `check_block` (not for dZ1 or dL/dŷ, which taps take)."""
        return any(isinstance(leaf, Compare) and leaf.quantity.kind == "norm" and leaf.quantity.matrix is not None
                   and leaf.quantity.matrix.startswith("d") and _trainable_index(network, leaf.quantity.matrix) is not None
                   for condition in self.conditions for leaf in leaves(condition))

    def check_block(self, trail: Trail) -> None:
        """After a block of iterations: the first (after `after`) where a condition holds, or the loss is not
        finite, becomes the hit. The run goes on to its epoch's end, where `check_epoch` stops it."""
        if self.hit is not None:
            return
        rows = len(trail.losses)
        reading = _BlockReading(self, trail)
        waiting = np.arange(trail.first, trail.first + rows) <= self.after[1] if trail.epoch == self.after[0] else \
            np.full(rows, trail.epoch < self.after[0])
        firsts = []
        for condition in self.conditions:
            held = holds_where(condition, reading.value, rows) & ~waiting
            firsts.append(int(np.argmax(held)) if held.any() else rows)
        broken = ~np.isfinite(trail.losses) & ~waiting
        first = min(firsts, default=rows)
        if first < rows:
            condition = self.conditions[firsts.index(first)]
            self.hit = Hit(trail.epoch, trail.first + first, str(condition), reading.read_for(condition, first))
        elif broken.any():
            self.hit = Hit(trail.epoch, trail.first + int(np.argmax(broken)), None)

    def check_iteration(self, step: Iteration) -> bool:
        """After one iteration of the network's own step: a condition that holds there (or a loss that is not
        finite) becomes the hit, and the run goes on to its epoch's end, where `check_epoch` stops it. Returns
        False: this hook never stops a run itself."""
        if self.hit is not None or (step.epoch, step.iteration) <= self.after:
            return False
        reading = _Reading(self, step)
        for condition in self.conditions:
            if holds(condition, reading.value):
                self.hit = Hit(step.epoch, step.iteration, str(condition), reading.read_for(condition))
                return False
        if not math.isfinite(step.loss):
            self.hit = Hit(step.epoch, step.iteration, None)
        return False

    def check_epoch(self, end: EpochEnd) -> bool:
        """After an epoch: True to stop, when a hit was found in it (`stopped` is then its iteration)."""
        start, self._start = self._start, end.network.parameters
        self._previous_loss = end.loss
        if self.hit is None:
            return False
        if self.stopped is None and start is not None:
            *_, self.stopped = self._retaken(end.network, start, end.epoch, self.hit.iteration + 1, _measures_of(end))
        return True

    def bind(self, network: DenseNetwork) -> None:
        """The network the run steps: where its first epoch starts (unless the breaker was made knowing it), and
        which trainable layer each parameter a condition names belongs to (for `check_block`)."""
        if self._start is None:
            self._start = network.parameters
        self._layers = {name: _trainable_index(network, name) for condition in self.conditions
                        for name in matrices(condition)}
        self._states = {name: place for name in self._layers if (place := _state_place(network, name)) is not None}

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

    breaker.bind(network)
    recorded = breaker.reads_recorded(network)
    return run_epochs(network, X, y, learning_rate, start, end, batches=batches, held_out=held_out, accuracy=accuracy,
                      first_loss=first_loss, stop_at_divergence=False, after_epoch=epoch_end,
                      after_iteration=breaker.check_iteration if recorded else None,
                      after_iterations=None if recorded else breaker.check_block,
                      trail_gradients=breaker.reads_gradients(network),
                      trail_matrices=() if recorded else breaker.made_matrices(network),
                      trail_state=not recorded and breaker.reads_state(network))


def _measures_of(end: EpochEnd) -> tuple[float, float | None, float | None, float | None]:
    return end.loss, end.test_loss, end.accuracy, end.test_accuracy


class _BlockReading:
    """The values a block of iterations offers the conditions: an array over its rows for what changes from one
    iteration to the next (a norm, a ratio, nan), one value for what its epoch shares. Each is worked out once,
    when a condition first asks, by the same arithmetic as `_norm` and `_ratio`, so the numbers are those a
    condition read one iteration at a time would see."""

    def __init__(self, breaker: Breaker, trail: Trail) -> None:
        self.breaker, self.trail = breaker, trail
        self.cache: dict[int, Values] = {}

    def value(self, leaf: Compare | Flag) -> Values:
        key = id(leaf)
        if key not in self.cache:
            self.cache[key] = self._read(leaf)
        return self.cache[key]

    def _read(self, leaf: Compare | Flag) -> Values:
        trail = self.trail
        epoch_loss, test_loss, accuracy, test_accuracy = trail.measures
        if isinstance(leaf, Flag):
            if leaf.name == "nan":  # see _all_finite
                return ~(np.isfinite(trail.losses) & np.isfinite(trail.thetas[1:]).all(axis=1))
            previous = self.breaker._previous_loss
            return previous is not None and epoch_loss > previous
        quantity = leaf.quantity
        if quantity.matrix is None:
            return {"loss": epoch_loss, "test_loss": test_loss, "acc": accuracy, "test_acc": test_accuracy,
                    "epoch": float(trail.epoch)}[quantity.kind]
        name = quantity.matrix
        if quantity.kind == "norm" and name in trail.squares:
            return _root(trail.squares[name])
        if quantity.kind == "norm" and name in self.breaker._states:
            return _row_norms(_state_rows(trail, self.breaker._states[name]))
        index = self.breaker._layers.get(name)
        if index is None:
            return None
        start, middle, end = trail.layout.spans[index]
        span = slice(start, middle) if name.lstrip("d").startswith("W") else slice(middle, end)
        before, after = trail.thetas[:-1, span], trail.thetas[1:, span]
        if quantity.kind == "ratio":
            size, moved = _row_norms(before), _row_norms(after - before)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(size > 0, moved / size, np.where(moved > 0, math.inf, 0.0))
        if name.startswith("d"):
            assert trail.gradients is not None, "the run keeps gradients when a condition reads one"
            return _row_norms(trail.gradients[:, span])
        return _row_norms(after if name.endswith("'") else before)

    def read_for(self, condition: Condition, row: int) -> tuple[tuple[str, float], ...]:
        read = {}
        for leaf in leaves(condition):
            if isinstance(leaf, Compare):
                value = self.value(leaf)
                value = value[row] if isinstance(value, np.ndarray) else value
                if value is not None and not isinstance(value, bool):
                    read[str(leaf.quantity)] = float(value)
        return tuple(read.items())


@dataclass(frozen=True)
class StatePlace:
    """Where a matrix of the update rule's state sits in a block: which state vector (momentum: v; Adam: m, s), which
    layer's W or b, and whether it is the state before the update, after it, or after it bias-corrected (m̂, ŝ)."""

    vector: int
    layer: int
    weight: bool
    when: str
    """"before", "after" or "corrected"."""
    beta: float = 0.0
    """For "corrected": the β whose 1 − βᵗ divides it."""


def _state_place(network: DenseNetwork, name: str) -> StatePlace | None:
    """Where matrix `name` (vW1, mW2', sb1, m̂W1, ŝb3) is in the state of the network's update rule, if it is there and
    the fast path knows that rule."""
    rule = network.optimizer
    if type(rule) not in RULES:
        return None
    prefixes: dict[str, tuple[int, str, float]] = {}
    if isinstance(rule, Momentum):
        prefixes = {"v": (0, "before", 0.0)}
    elif isinstance(rule, Adam):
        prefixes = {"m": (0, "before", 0.0), "s": (1, "before", 0.0), M_HAT: (0, "corrected", rule.beta1),
                    S_HAT: (1, "corrected", rule.beta2)}
    for prefix, (vector, when, beta) in prefixes.items():
        rest = name[len(prefix):]
        if not name.startswith(prefix) or rest[:1] not in ("W", "b"):
            continue
        primed = rest.endswith("'")
        if primed and when == "corrected":
            return None
        index = _trainable_index(network, rest)
        if index is None:
            return None
        return StatePlace(vector, index, rest.startswith("W"), "after" if primed else when, beta)
    return None


def _state_rows(trail: Trail, place: StatePlace) -> np.ndarray:
    """The state matrix of each row of the block, flat: before or after the row's update, or after it divided by
    1 − βᵗ as the rule divides it (t the row's update, the divisor in the state's dtype as a Python float becomes)."""
    start, middle, end = trail.layout.spans[place.layer]
    states = trail.states[place.vector][:, start:middle] if place.weight else trail.states[place.vector][:, middle:end]
    if place.when == "before":
        return states[:-1]
    if place.when == "after":
        return states[1:]
    assert trail.steps is not None
    divisors = np.array([1 - place.beta ** int(t) for t in trail.steps], dtype=states.dtype)
    return states[1:] / divisors[:, None]


def _row_norms(rows: np.ndarray) -> np.ndarray:
    """`_norm` of each row: NumPy sums each row of a matrix as it sums a vector (pairwise), so the bits agree."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _root(np.square(rows).sum(axis=1))


def _root(squares: np.ndarray) -> np.ndarray:
    """√ of each Σ a², in float64 as `_norm` takes it."""
    return np.sqrt(squares.astype(np.float64))


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
        norm = _made_norm if made_at(network, name) is not None else _norm
        return lambda step: norm(live(step))

    def from_replay(step: Iteration) -> float | None:
        tape = breaker.replay(step)
        return _norm(tape.matrix(name))

    return from_replay


def _after(step: Iteration, index: int) -> tuple[np.ndarray, ...]:
    """(W, b) of trainable layer `index` after the update."""
    return [layer for layer in step.network.layers if layer.trainable][index].parameters()


def _norm(matrix: np.ndarray | None) -> float | None:
    """The Frobenius norm, √Σ a²: NaN or ∞ in the matrix make it NaN or ∞. Read inside the run's silenced floating
    point errors (an `np.errstate` per read would cost a quarter of an iteration of 32 rows)."""
    if matrix is None:
        return None
    flat = np.ravel(matrix)
    return math.sqrt(float(np.square(flat).sum())) if flat.size else 0.0


def _made_norm(matrix: np.ndarray | None) -> float | None:
    """The Frobenius norm of a matrix an operation made (Z1, dX2), summed as a block of iterations sums it."""
    return None if matrix is None else math.sqrt(float(squared_sum(matrix)))


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
    """Where the network's own step leaves matrix `name`, or None when it keeps no copy of it: parameters (before
    and after the update), their gradients, what each operation made and passed back, and what the loss head made
    (error, P, dL/dŷ)."""
    index = _trainable_index(network, name)
    if index is not None:
        layer = [i for i, operation in enumerate(network.layers) if operation.trainable][index]
        weight = name.lstrip("d").startswith("W")
        position = 0 if weight else 1
        if name.startswith("d"):
            attribute = "weight_gradient" if weight else "bias_gradient"
            return lambda step: getattr(step.network.layers[layer], attribute, None)
        if name.endswith("'"):
            return lambda step: _after(step, index)[position]
        return lambda step: step.before[index][position]
    made = made_at(network, name)
    if made is not None:
        return lambda step: kept_by(step.network, made)
    return None


def _all_finite(step: Iteration) -> bool:
    """The loss and every new parameter finite: what `nan` checks after each iteration. A non-finite gradient
    always makes its parameter's update non-finite (η > 0), so the gradients need no scan of their own."""
    if not math.isfinite(step.loss):
        return False
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
