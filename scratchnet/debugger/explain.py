"""Where one number on the tape comes from, with the real numbers.

Each explanation lists the terms that make a cell (the first few, how many there
are) and, for sums over the batch, the samples that contribute most. The terms
are re-multiplied to be shown, but the total is always the tape's own value,
never a recomputation. Each operation writes out the cells it made (the dense
layer's in `scratchnet/layer.py`); this module holds what they share. Everything is vectorised: a dW cell over 100,000 samples
is a couple of array operations, not a Python loop.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from scratchnet.debugger.explanation import (
    SHOWN_TERMS,
    Contributor,
    Explanation,
    LatexWords,
    Read,
    Term,
)
from scratchnet.debugger.tape import Phase, Tape

__all__ = ["SHOWN_TERMS", "TOP", "Contributor", "Explanation", "LatexWords", "Read", "Term", "batch_sum", "cell_value",
           "change_matrix", "changed_outputs", "explain", "largest_changes"]

TOP = 3


def _top(values: np.ndarray, total_abs: float) -> tuple[Contributor, ...]:
    """The largest |terms| with their shares; if any term is NaN or ±inf, the first such terms instead."""
    if values.size == 0:
        return ()
    with np.errstate(all="ignore"):
        magnitudes = np.abs(values)
    finite = np.isfinite(magnitudes)
    if not finite.all():
        return tuple(Contributor(int(i), float(values[i]), float("nan")) for i in np.flatnonzero(~finite)[:TOP])
    if not np.isfinite(total_abs):  # finite terms whose sum overflows: shares of the sum scaled by the largest
        largest = float(magnitudes.max())
        magnitudes = magnitudes / largest
        total_abs = float(np.sum(magnitudes, dtype=np.float64))
    count = min(TOP, values.size)
    picked = np.argpartition(-magnitudes, count - 1)[:count] if values.size > count else np.arange(values.size)
    picked = picked[np.argsort(-magnitudes[picked], kind="stable")]
    return tuple(
        Contributor(int(i), float(values[i]), float(magnitudes[i] / total_abs) if total_abs > 0 else 0.0)
        for i in picked
    )


def batch_sum(cell: str, formula: str, factor_columns: list[np.ndarray], total: float,
               reads: Mapping[str, Read]) -> Explanation:
    """A sum over the samples: the first terms, how many, the total, and the top contributors."""
    with np.errstate(all="ignore"):
        values = factor_columns[0] if len(factor_columns) == 1 else factor_columns[0] * factor_columns[1]
        total_abs = float(np.sum(np.abs(values), dtype=np.float64))
    shown = tuple(
        Term(tuple(float(column[i]) for column in factor_columns), float(values[i]), i)
        for i in range(min(SHOWN_TERMS, values.size))
    )
    n_nonfinite = int(values.size - np.count_nonzero(np.isfinite(values)))
    return Explanation(cell, formula, shown, int(values.size), total, top=_top(values, total_abs), reads=reads,
                       n_nonfinite=n_nonfinite)


def explain(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    """How output `name`[row, column] of `phase` (a phase of `tape`) was made: the operation that made
    the phase writes it out."""
    return phase.explain(tape, name, row, column)


def cell_value(array: np.ndarray, row: int, column: int) -> float:
    """The tape's own value of a cell (a scalar has one cell)."""
    return float(array) if array.ndim == 0 else float(array[row, column])


def change_matrix(phase: Phase, name: str) -> np.ndarray:
    """W' − W for an update phase's output `name`: what the step actually did to each entry (vW' − vW for an
    optimizer's state). An output with nothing before it (Adam's bias-corrected m̂W, made afresh at every update)
    has no change: all NaN (`changed_outputs` leaves it out)."""
    stem = name.rstrip("'")
    if stem not in phase.inputs:
        return np.full(np.shape(phase.outputs[name]), np.nan)
    with np.errstate(all="ignore"):
        return phase.outputs[name] - phase.inputs[stem]


def changed_outputs(phase: Phase) -> list[str]:
    """The outputs of an update phase that replace an input (W2' replaces W2, vW2' replaces vW2): those with a Δ."""
    return [name for name in phase.outputs if name.endswith("'") and name.rstrip("'") in phase.inputs]


def largest_changes(change: np.ndarray, count: int = TOP) -> list[tuple[int, int]]:
    """The cells of `change` with the largest |Δ|, biggest first."""
    matrix = np.atleast_2d(change)
    top = np.finfo(matrix.dtype).max if np.issubdtype(matrix.dtype, np.floating) else None  # float32 stays float32
    magnitudes = np.nan_to_num(np.abs(matrix), nan=0.0, posinf=top).ravel()
    count = min(count, magnitudes.size)
    order = np.argsort(-magnitudes, kind="stable")[:count]
    rows, columns = np.unravel_index(order, matrix.shape)
    return [(int(row), int(column)) for row, column in zip(rows, columns)]
