"""Check a gradient on the tape against central finite differences, in float64.

With no activations the loss is a quadratic in any single entry, so a central
difference has no truncation error: a step of 1e-3 leaves only rounding, and the
relative errors come out near 1e-9 or below. With activations or softmax the
loss curves, so two steps are combined (Richardson extrapolation) to cancel the
step-squared error; a step that carries a ReLU input across 0 has no derivative
to check, and such cells are found (the replay reports each kink's side) and named. The check recomputes the loss from
the epoch's own starting parameters, independently of the backward pass, through
whatever operations the network has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
    at_kink: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Per checked cell: the step crossed a kink (ReLU at Z = 0), where there is no derivative to check; such cells
    are listed, not counted in the maximum."""

    @property
    def max_relative_error(self) -> float:
        """Over the cells where a derivative exists (not across a kink)."""
        errors = self.relative_error[~self.at_kink] if self.at_kink.size else self.relative_error
        return float(np.max(errors)) if errors.size else 0.0

    @property
    def kinks(self) -> int:
        return int(np.count_nonzero(self.at_kink))

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
    at_kink = np.zeros(len(cells), dtype=bool)
    quadratic = tape.model.quadratic

    def central(i: int, j: int, step: float) -> tuple[float, bool]:
        """The central difference, and whether the two evaluations fell on different sides of a kink."""
        original = point[i, j]
        point[i, j] = original + step
        up, up_sides = predict(point)
        point[i, j] = original - step
        down, down_sides = predict(point)
        point[i, j] = original
        return difference(up, down) / (2 * step), up_sides != down_sides

    with np.errstate(all="ignore"):
        for position, (i, j) in enumerate(cells):
            if should_stop():
                raise Cancelled
            numeric[position], at_kink[position] = central(i, j, STEP)
            if not quadratic:  # Richardson: (4·D(h/2) − D(h))/3 cancels the h² error of a curved loss
                half, crossed = central(i, j, STEP / 2)
                numeric[position] = (4 * half - numeric[position]) / 3
                at_kink[position] |= crossed
        analytic = analytic_matrix[cells[:, 0], cells[:, 1]]
        errors = relative_error(analytic, numeric)
    return GradientCheck(name, cells, analytic, numeric, errors, shape, sampled, seed, at_kink)
