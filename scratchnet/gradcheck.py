"""Check a gradient on the tape against central finite differences, in float64.

With no activations the loss is a quadratic in any single entry, so a central
difference has no truncation error: a step of 1e-3 leaves only rounding, and the
relative errors come out near 1e-9 or below. The check recomputes the loss from
the epoch's own starting parameters, independently of the backward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from scratchnet.tape import Phase, Tape

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
    return phase.kind in ("loss_gradient", "weight", "bias", "input")


def _parameters(tape: Tape) -> list[tuple[np.ndarray, np.ndarray]]:
    """The weights and biases this iteration's forward pass used, as float64."""
    n_layers = len(tape.sizes) - 1
    parameters = []
    for layer in range(1, n_layers + 1):
        forward = tape[tape.index(f"forward.{layer}")]
        parameters.append((forward.inputs[f"W{layer}"].astype(np.float64), forward.inputs[f"b{layer}"].astype(np.float64)))
    return parameters


def _run(parameters: Sequence[tuple[np.ndarray, np.ndarray]], start: int, value: np.ndarray) -> np.ndarray:
    for weight, bias in parameters[start - 1:]:
        value = value @ weight + bias
    return value


def check_gradient(
    tape: Tape,
    key: str,
    max_cells: int = MAX_CELLS,
    seed: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
) -> GradientCheck:
    """Central differences for the result of gradient phase `key`; raises Cancelled if asked to stop."""
    phase = tape[tape.index(key)]
    if not is_gradient_phase(phase):
        raise ValueError(f"{key} is not a gradient phase")
    parameters = _parameters(tape)
    first = tape[0]
    X = first.inputs["X"].astype(np.float64)
    y = tape[tape.index("error")].inputs["y"].astype(np.float64)
    name = phase.result_name
    analytic_matrix = np.atleast_2d(phase.outputs[name]).astype(np.float64)

    if phase.kind == "loss_gradient":
        point = _run(parameters, 1, X)
        def evaluate(p: np.ndarray) -> np.ndarray:
            return p.copy()  # the point is changed in place between the two calls
    else:
        layer = phase.layer
        if layer is None:
            raise ValueError(f"{key} has no layer")  # weight, bias and input phases always have one
        if phase.kind == "input":
            point = _run(parameters[: layer - 1], 1, X) if layer > 1 else X.copy()
            def evaluate(p: np.ndarray) -> np.ndarray:
                return _run(parameters, layer, p)
        else:
            weight, bias = parameters[layer - 1]
            point = (weight if phase.kind == "weight" else bias).copy()

            def evaluate(p: np.ndarray) -> np.ndarray:
                changed = list(parameters)
                changed[layer - 1] = (p, bias) if phase.kind == "weight" else (weight, p)
                return _run(changed, 1, X)

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
            up = evaluate(point)
            point[i, j] = original - STEP
            down = evaluate(point)
            point[i, j] = original
            # L(up) − L(down) as Σ (up − down)·(up + down − 2y) / N: the difference of squares
            # never subtracts two nearly equal losses, so rounding stays far below the gradient.
            numeric[position] = np.sum((up - down) * (up + down - 2 * y)) / y.size / (2 * STEP)
        analytic = analytic_matrix[cells[:, 0], cells[:, 1]]
        errors = relative_error(analytic, numeric)
    return GradientCheck(name, cells, analytic, numeric, errors, shape, sampled, seed)
