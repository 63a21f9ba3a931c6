"""Whole epochs on the fast path: the one loop that the command line, the session, the app's training
run and its branches all wrap.

Each epoch is its iterations (today one, over every row: the article's full batch), each a bare
`step`. Hooks see every iteration and every epoch and may stop the run; the one divergence rule is
applied here and nowhere else. Overflow is expected once a run diverges, so NumPy's warnings are
silenced and the divergence is reported once, by the caller, as a sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from scratchnet.divergence import diverged
from scratchnet.network import DenseNetwork, Parameters


@dataclass(frozen=True)
class Iteration:
    """What the hook after every iteration sees."""

    epoch: int
    iteration: int
    """Within the epoch, from 0."""
    iterations: int
    """How many the epoch has."""
    loss: float
    """The loss of this iteration's forward pass, before its update."""
    before: Parameters
    """The parameters the iteration started from."""
    network: DenseNetwork
    """Its gradients, and the parameters after the update."""


@dataclass(frozen=True)
class EpochEnd:
    """What the hook after every epoch sees."""

    epoch: int
    loss: float
    """The epoch's loss (the data loss of the parameters it started from)."""
    network: DenseNetwork
    """The parameters after the epoch."""
    diverged: bool
    """This epoch's loss broke the divergence rule (the run stops after it unless told to go on)."""


@dataclass
class TrainingRun:
    losses: list[float] = field(default_factory=list)
    """The loss of each epoch run, in order: the data loss of the parameters that epoch started from."""
    parameters: list[Parameters] = field(default_factory=list)
    """The parameters after each epoch run (only when asked for: they cost memory)."""
    diverged_at: int | None = None
    """The first epoch whose loss broke the divergence rule, whether or not the run stopped there."""
    stopped_at: tuple[int, int] | None = None
    """(epoch, iteration) after which a hook stopped the run."""


def run_epochs(
    network: DenseNetwork,
    X: np.ndarray,
    y: np.ndarray,
    learning_rate: float,
    start: int,
    end: int,
    *,
    first_loss: float | None = None,
    stop_at_divergence: bool = True,
    keep_parameters: bool = False,
    after_iteration: Callable[[Iteration], bool] | None = None,
    after_epoch: Callable[[EpochEnd], bool] | None = None,
) -> TrainingRun:
    """Epochs start … end−1 from the network's current parameters.

    `first_loss`: the loss of epoch 0 when the run starts later (the divergence rule compares with it).
    A hook returning True stops the run there. With `stop_at_divergence`, the diverged epoch is the last
    one run; without, the run goes on and only reports where it first diverged.
    """
    run = TrainingRun()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(start, end):
            iterations = 1
            for iteration in range(iterations):
                before = network.parameters if after_iteration is not None else []
                loss = network.step(X, y, learning_rate)
                if after_iteration is not None and after_iteration(
                        Iteration(epoch, iteration, iterations, loss, before, network)):
                    run.stopped_at = (epoch, iteration)
                    return run
            epoch_loss = loss  # full batch: the step's own forward pass is the epoch's data loss
            run.losses.append(epoch_loss)
            if keep_parameters:
                run.parameters.append(network.parameters)
            first_loss = epoch_loss if first_loss is None else first_loss
            blown = diverged(epoch_loss, first_loss)
            if blown and run.diverged_at is None:
                run.diverged_at = epoch
            stop = after_epoch is not None and after_epoch(EpochEnd(epoch, epoch_loss, network, blown))
            if blown and stop_at_divergence:
                return run
            if stop:
                run.stopped_at = (epoch, iterations - 1)
                return run
    return run


def train(
    network: DenseNetwork,
    X: np.ndarray,
    y: np.ndarray,
    learning_rate: float,
    epochs: int,
    after_epoch: Callable[[int], None] | None = None,
) -> TrainingRun:
    """`epochs` epochs from the start, stopping at the first diverged one (its loss is the last in `losses`).
    `after_epoch(k)` is told when k epochs are done (a progress bar listens)."""

    def tell(end: EpochEnd) -> bool:
        if after_epoch is not None:
            after_epoch(end.epoch + 1)
        return False

    return run_epochs(network, X, y, learning_rate, 0, epochs, after_epoch=tell)
