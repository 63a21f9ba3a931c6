"""Whole epochs on the fast path: the same `step`, no recorder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from scratchnet.divergence import diverged
from scratchnet.network import DenseNetwork

Parameters = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class TrainingRun:
    losses: list[float] = field(default_factory=list)
    """The loss of each epoch's forward pass, before that epoch's update."""
    parameters: list[Parameters] = field(default_factory=list)
    """The parameters each epoch started from (only when asked for: they cost memory)."""
    diverged_at: int | None = None


def train(
    network: DenseNetwork,
    X: np.ndarray,
    y: np.ndarray,
    learning_rate: float,
    epochs: int,
    keep_parameters: bool = False,
    after_epoch: Callable[[int], None] | None = None,
) -> TrainingRun:
    """Stops at the first diverged epoch; its loss is the last one in `losses`.
    `after_epoch(k)` is told when k epochs are done (a progress bar listens).

    Overflow is expected once a run diverges, so NumPy's warnings are silenced here
    and the divergence is reported once, by the caller, as a sentence.
    """
    run = TrainingRun()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(epochs):
            if keep_parameters:
                run.parameters.append(network.parameters)
            loss = network.step(X, y, learning_rate)
            run.losses.append(loss)
            if after_epoch is not None:
                after_epoch(epoch + 1)
            if diverged(loss, run.losses[0]):
                run.diverged_at = epoch
                break
    return run
