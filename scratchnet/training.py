"""Whole epochs on the fast path: the one loop that the command line, the session, the app's training
run and its branches all wrap.

Each epoch is its iterations: one over every row (the article's full batch), or, with `Batches(size=B)`,
⌈N/B⌉ over a shuffle of the rows that is a pure function of (seed, epoch), the last batch smaller when B
does not divide N. Each iteration runs on the fast path (`scratchnet.fast`: the network's `step` in reused
buffers, bit for bit), or, when a hook looks at every iteration, as the network's own `step`, so the hook
sees every matrix it stored. A hook that reads only losses, parameters, gradients and the norms of what
operations make sees the iterations in blocks instead (`scratchnet.trail`), and the fast path runs on. Hooks
see every iteration and every epoch and may stop the run; the one
divergence rule is applied here and nowhere else. Overflow is expected once a run diverges, so
NumPy's warnings are silenced and the divergence is reported once, by the caller, as a sentence.

The loss of epoch k is the data loss of the parameters epoch k started with, over all its rows: for the
full batch, the step's own forward pass (exactly the article's number); with batches, one forward pass
more before the epoch's first step. Held-out rows are measured the same way, and the mean of an epoch's
batch losses is kept as its running loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from scratchnet.divergence import diverged
from scratchnet.fast import Stepping
from scratchnet.labels import accuracy as classified_right
from scratchnet.network import DenseNetwork, Parameters
from scratchnet.seeding import shuffle_order
from scratchnet.trail import Measures, Trail, TrailKeeper


@dataclass(frozen=True)
class Batches:
    """How an epoch goes through its rows: all at once (`size` None, or at least the row count: the article),
    or in batches of `size` rows over a shuffle drawn from `seed` (SeedSequence child 2, one per epoch)."""

    size: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.size is not None and self.size < 1:
            raise ValueError(f"a batch needs at least one row (got {self.size})")

    def full(self, rows: int) -> bool:
        return self.size is None or self.size >= rows

    def count(self, rows: int) -> int:
        """Iterations in an epoch of `rows` rows: ⌈N/B⌉, or 1 for the full batch."""
        return 1 if self.full(rows) or self.size is None else -(-rows // self.size)

    def order(self, epoch: int, rows: int) -> np.ndarray | None:
        """The rows in the order epoch `epoch` visits them; None for the full batch (every row, in data order)."""
        return None if self.full(rows) else shuffle_order(self.seed, epoch, rows)

    def rows(self, epoch: int, iteration: int, rows: int, order: np.ndarray | None = None) -> np.ndarray | None:
        """The rows of batch `iteration` of epoch `epoch` (None: every row, the full batch). `order`: that epoch's
        order, when the caller already has it."""
        if self.full(rows) or self.size is None:
            return None
        order = self.order(epoch, rows) if order is None else order
        assert order is not None
        return order[iteration * self.size:(iteration + 1) * self.size]


FULL_BATCH = Batches()

HeldOut = tuple[np.ndarray, np.ndarray]
"""(X, y) of the held-out rows: measured every epoch, never trained on."""


def batch(X: np.ndarray, y: np.ndarray, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The batch's X and y: copies of those rows, or X and y themselves for the full batch."""
    return (X, y) if rows is None else (X[rows], y[rows])


@dataclass(frozen=True)
class Iteration:
    """What the hook after every iteration sees."""

    epoch: int
    iteration: int
    """Within the epoch, from 0."""
    iterations: int
    """How many the epoch has."""
    loss: float
    """The data loss of this iteration's forward pass (its batch), before its update."""
    before: Parameters
    """The parameters the iteration started from."""
    network: DenseNetwork
    """Its gradients, and the parameters after the update."""
    rows: np.ndarray | None = None
    """The rows of X in its batch, in order; None for the full batch."""
    epoch_loss: float = float("nan")
    """The loss of its epoch (the parameters the epoch started from, over every training row), known from the
    epoch's first iteration on: for the full batch it is this iteration's own loss."""
    test_loss: float | None = None
    """The held-out rows' loss of its epoch, likewise (None without held-out rows)."""
    accuracy: float | None = None
    """With `accuracy=True`: its epoch's share of training rows classified right, likewise."""
    test_accuracy: float | None = None


@dataclass(frozen=True)
class EpochEnd:
    """What the hook after every epoch sees."""

    epoch: int
    loss: float
    """The epoch's loss (the data loss of the parameters it started from, over every training row)."""
    network: DenseNetwork
    """The parameters after the epoch; `logits`, its last iteration's prediction, and each dense layer's
    `weight_gradient` and `bias_gradient` from that iteration (the rest the operations keep is from their last
    recorded step: a fast iteration stores nothing there)."""
    diverged: bool
    """This epoch's loss broke the divergence rule (the run stops after it unless told to go on)."""
    running_loss: float = float("nan")
    """The mean of its batch losses (for the full batch, its loss)."""
    test_loss: float | None = None
    """The held-out rows' data loss for the parameters it started from (None without held-out rows)."""
    accuracy: float | None = None
    """With `accuracy=True`: the share of training rows classified right by the parameters it started from."""
    test_accuracy: float | None = None


@dataclass
class TrainingRun:
    losses: list[float] = field(default_factory=list)
    """The loss of each epoch run, in order: the data loss of the parameters that epoch started from, over
    every training row."""
    parameters: list[Parameters] = field(default_factory=list)
    """The parameters (with the update rule's state) after each epoch run (only when asked for: they cost memory)."""
    diverged_at: int | None = None
    """The first epoch whose loss broke the divergence rule, whether or not the run stopped there."""
    stopped_at: tuple[int, int] | None = None
    """(epoch, iteration) after which a hook stopped the run."""
    running_losses: list[float] = field(default_factory=list)
    """The mean of each epoch's batch losses (equal to its loss for the full batch)."""
    test_losses: list[float] = field(default_factory=list)
    """With held-out rows: their data loss for the parameters each epoch started from."""
    accuracies: list[float] = field(default_factory=list)
    """With `accuracy=True`: each epoch's share of training rows classified right, like its loss."""
    test_accuracies: list[float] = field(default_factory=list)


def run_epochs(
    network: DenseNetwork,
    X: np.ndarray,
    y: np.ndarray,
    learning_rate: float,
    start: int,
    end: int,
    *,
    batches: Batches = FULL_BATCH,
    held_out: HeldOut | None = None,
    accuracy: bool = False,
    first_loss: float | None = None,
    stop_at_divergence: bool = True,
    keep_parameters: bool = False,
    after_iteration: Callable[[Iteration], bool] | None = None,
    after_epoch: Callable[[EpochEnd], bool] | None = None,
    after_iterations: Callable[[Trail], object] | None = None,
    trail_gradients: bool = False,
    trail_matrices: Sequence[str] = (),
    trail_state: bool = False,
) -> TrainingRun:
    """Epochs start … end−1 from the network's current parameters (and its update rule's state).

    `batches`: the full batch (default) or mini-batches; `held_out`: rows to measure every epoch and never train
    on; `accuracy`: also measure the share classified right (classification data).
    `first_loss`: the loss of epoch 0 when the run starts later (the divergence rule compares with it).
    A hook returning True stops the run there. With `stop_at_divergence`, the diverged epoch is the last
    one run; without, the run goes on and only reports where it first diverged.
    `after_iteration` sees each iteration as it ends, and makes every iteration the network's own step, which keeps
    every matrix for it to read. `after_iterations` reads only losses, parameters and (with `trail_gradients`)
    gradients, Σ a² of `trail_matrices` (Z1, dA2: see `trail.made_at`) and with `trail_state` the update rule's
    state, which the fast path hands it in blocks (`Trail`), each time a block fills and as each epoch ends; it
    cannot stop the run (`after_epoch` can).
    """
    run = TrainingRun()
    rows = X.shape[0]
    iterations = batches.count(rows)
    stepping = Stepping(network, X, y, fast=after_iteration is None)
    keeper = None if after_iterations is None else TrailKeeper(network, after_iterations, trail_gradients,
                                                               trail_matrices, trail_state)
    watched = after_iteration is not None or keeper is not None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(start, end):
            measured = None if iterations == 1 else _measure(network, X, y, accuracy)
            tested = None if held_out is None else _measure(network, *held_out, accuracy)
            order = batches.order(epoch, rows)
            total = 0.0
            measures: Measures | None = None
            step = stepping.start()
            keep = None if keeper is None else keeper.start(epoch, iterations, network, stepping.running)
            try:
                for iteration in range(iterations):
                    chosen = None if order is None else batches.rows(epoch, iteration, rows, order)
                    X_batch, y_batch = batch(X, y, chosen)
                    before = None if after_iteration is None else network.parameters
                    loss = step(X_batch, y_batch, learning_rate)
                    total += loss
                    if not watched:
                        continue
                    if measures is None:  # once an epoch: every iteration of it shares them
                        measures = _epoch_measures(loss, network, measured, tested, accuracy, y, held_out)
                        if keeper is not None:
                            keeper.measures = measures
                    if keep is not None:
                        keep(loss)
                    if after_iteration is not None:
                        assert before is not None
                        if after_iteration(Iteration(epoch, iteration, iterations, loss, before, network, chosen,
                                                     *measures)):
                            run.stopped_at = (epoch, iteration)
                            return run
                if keeper is not None:
                    keeper.flush()
            finally:
                stepping.settle()
            logits: np.ndarray | None
            if measured is None:  # full batch: the step's own forward pass is the epoch's data loss
                epoch_loss, logits = loss, network.logits
            else:
                epoch_loss, logits = measured
            running = total / iterations
            run.losses.append(epoch_loss)
            run.running_losses.append(running)
            if tested is not None:
                run.test_losses.append(tested[0])
            if accuracy and logits is not None:
                run.accuracies.append(classified_right(logits, y))
                if held_out is not None and tested is not None and tested[1] is not None:
                    run.test_accuracies.append(classified_right(tested[1], held_out[1]))
            if keep_parameters:
                run.parameters.append(network.parameters)
            first_loss = epoch_loss if first_loss is None else first_loss
            blown = diverged(epoch_loss, first_loss)
            if blown and run.diverged_at is None:
                run.diverged_at = epoch
            end_of_epoch = EpochEnd(
                epoch, epoch_loss, network, blown, running, None if tested is None else tested[0],
                run.accuracies[-1] if accuracy else None,
                run.test_accuracies[-1] if accuracy and tested is not None else None)
            stop = after_epoch is not None and after_epoch(end_of_epoch)
            if blown and stop_at_divergence:
                return run
            if stop:
                run.stopped_at = (epoch, iterations - 1)
                return run
    return run


def _epoch_measures(loss: float, network: DenseNetwork, measured: tuple[float, np.ndarray | None] | None,
                    tested: tuple[float, np.ndarray | None] | None, accuracy: bool, y: np.ndarray,
                    held_out: HeldOut | None) -> Measures:
    """An epoch's measures as its iterations' hook sees them: from the extra pass with batches, from the epoch's
    first step itself for the full batch (whose forward pass is over every row)."""
    if measured is None:
        epoch_loss, share = loss, classified_right(network.logits, y) if accuracy else None
    else:
        epoch_loss, logits = measured
        share = classified_right(logits, y) if accuracy and logits is not None else None
    test_share = None
    if accuracy and held_out is not None and tested is not None and tested[1] is not None:
        test_share = classified_right(tested[1], held_out[1])
    return epoch_loss, None if tested is None else tested[0], share, test_share


def _measure(network: DenseNetwork, X: np.ndarray, y: np.ndarray, keep_prediction: bool) -> tuple[float, np.ndarray | None]:
    """The data loss of the network's current parameters over X, and its prediction if it is wanted (accuracy)."""
    loss, prediction = network.evaluate(X, y)
    return loss, prediction if keep_prediction else None


def replay_iterations(network: DenseNetwork, X: np.ndarray, y: np.ndarray, learning_rate: float, batches: Batches,
                      epoch: int, iterations: int) -> None:
    """The first `iterations` iterations of epoch `epoch` on the fast path, from the network's current parameters
    (those the epoch, or its first of these iterations, starts from): what reopening a batch in the middle of an
    epoch replays, the very steps `run_epochs` takes."""
    rows = X.shape[0]
    order = batches.order(epoch, rows)
    stepping = Stepping(network, X, y)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        step = stepping.start()
        try:
            for iteration in range(iterations):
                step(*batch(X, y, batches.rows(epoch, iteration, rows, order)), learning_rate)
        finally:
            stepping.settle()


def train(
    network: DenseNetwork,
    X: np.ndarray,
    y: np.ndarray,
    learning_rate: float,
    epochs: int,
    after_epoch: Callable[[int], None] | None = None,
    *,
    batches: Batches = FULL_BATCH,
    held_out: HeldOut | None = None,
    accuracy: bool = False,
) -> TrainingRun:
    """`epochs` epochs from the start, stopping at the first diverged one (its loss is the last in `losses`).
    `after_epoch(k)` is told when k epochs are done (a progress bar listens)."""

    def tell(end: EpochEnd) -> bool:
        if after_epoch is not None:
            after_epoch(end.epoch + 1)
        return False

    return run_epochs(network, X, y, learning_rate, 0, epochs, batches=batches, held_out=held_out, accuracy=accuracy,
                      after_epoch=tell)
