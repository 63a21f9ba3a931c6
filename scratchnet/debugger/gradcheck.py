"""Check a gradient on the tape against central finite differences, in float64.

With no activations the loss is a quadratic in any single entry, so a central
difference has no truncation error: a step of 1e-3 leaves only rounding, and the
relative errors come out near 1e-9 or below. The check recomputes the loss from
the epoch's own starting parameters, independently of the backward pass, through
whatever operations the network has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratchnet.debugger.tape import Phase, Tape

MAX_CELLS = 1000
STEP = 1e-3
FLOOR = 1e-8
"""Floor under the relative error's denominator, so a gradient of ~0 does not blow it up."""


class Cancelled(Exception):
    pass


@dataclass(frozen=True)
class GradientCheck:
    name: str
    cells: np.ndarray
    """(k, 2) row, column of each checked cell."""
    analytic: np.ndarray
    numeric: np.ndarray
    relative_error: np.ndarray
    shape: tuple[int, int]
    sampled: bool
    seed: int

    @property
    def max_relative_error(self) -> float:
        return float(np.max(self.relative_error)) if self.relative_error.size else 0.0

    def error_matrix(self) -> np.ndarray:
        """Relative errors laid out like the gradient; cells not checked are NaN."""
        matrix = np.full(self.shape, np.nan)
        matrix[self.cells[:, 0], self.cells[:, 1]] = self.relative_error
        return matrix


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = FLOOR) -> np.ndarray:
    return np.abs(analytic - numeric) / np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)


def is_gradient_phase(phase: Phase) -> bool:
    return phase.gradient_of is not None


def check_gradient(
    tape: Tape,
    key: str,
    max_cells: int = MAX_CELLS,
    seed: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
) -> GradientCheck:
    """Central differences for the result of gradient phase `key`; raises Cancelled if asked to stop.

    The loss is recomputed from the matrix the gradient is taken with respect to, by replaying this
    iteration's forward pass (`tape.model`) in float64, independently of the backward pass."""
    phase = tape[tape.index(key)]
    if phase.gradient_of is None:
        raise ValueError(f"{key} is not a gradient phase")
    point, predict, difference = tape.model.loss_around(phase.gradient_of)
    point = np.atleast_2d(point)
    name = phase.result_name
    analytic_matrix = np.atleast_2d(phase.outputs[name]).astype(np.float64)

    shape = analytic_matrix.shape
    n_cells = shape[0] * shape[1]
    sampled = n_cells > max_cells
    if sampled:
        flat = np.sort(np.random.default_rng(seed).choice(n_cells, size=max_cells, replace=False))
    else:
        flat = np.arange(n_cells)
    cells = np.column_stack(np.unravel_index(flat, shape))
    numeric = np.empty(len(cells))
    with np.errstate(all="ignore"):
        for position, (i, j) in enumerate(cells):
            if should_stop():
                raise Cancelled
            original = point[i, j]
            point[i, j] = original + STEP
            up = predict(point)
            point[i, j] = original - STEP
            down = predict(point)
            point[i, j] = original
            numeric[position] = difference(up, down) / (2 * STEP)
        analytic = analytic_matrix[cells[:, 0], cells[:, 1]]
        errors = relative_error(analytic, numeric)
    return GradientCheck(name, cells, analytic, numeric, errors, shape, sampled, seed)
