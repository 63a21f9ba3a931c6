"""Which cell of a phase a handout works out: the one the inspector opens on, the one it shows now, or the cell a
lesson step pins.

No Textual here. The inspector explains a cell of the phase's outputs: the focused output's cursor, else the
result's (its first cell when a phase is first opened); a handout picks its cell the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from scratchnet import Phase, Tape
from scratchnet.debugger.explain import Read, explain

if TYPE_CHECKING:
    from backprop_tui.session import View

Cell = tuple[int, int]
Worked = tuple[str, Cell]
"""An output of a phase and one of its cells."""


def opening_cell(phase: Phase) -> Worked:
    """The cell the inspector explains when a phase opens: the result's first."""
    return phase.result_name, (0, 0)


def inspected_cell(phase: Phase, view: View) -> Worked:
    """The cell the inspector explains for `view`: the focused output's cursor, else the result's cursor."""
    name = view.matrix if view.matrix is not None and view.matrix in phase.outputs else phase.result_name
    return name, _inside(view.cell_of(name), phase.outputs[name])


def pinned_cell(tape: Tape, phase: Phase, pin: tuple[str, Cell]) -> Worked | None:
    """A lesson step's pin as a cell this phase makes: the pinned cell itself when the phase makes that matrix, else
    the first output cell at the same place whose working reads it (W2[3,1] on update.2: W2'[3,1]); None if neither."""
    name, cell = pin
    if name in phase.outputs:
        return (name, cell) if _fits(cell, phase.outputs[name]) else None
    if name not in phase.inputs:
        return None
    for output, array in phase.outputs.items():
        if not _fits(cell, array):
            continue
        with np.errstate(all="ignore"):
            reads = explain(tape, phase, output, *cell).reads
        if name in reads and _covers(reads[name], cell):
            return output, cell
    return None


def _fits(cell: Cell, array: np.ndarray) -> bool:
    rows, columns = np.atleast_2d(array).shape
    return 0 <= cell[0] < rows and 0 <= cell[1] < columns


def _inside(cell: Cell, array: np.ndarray) -> Cell:
    rows, columns = np.atleast_2d(array).shape
    return min(max(cell[0], 0), rows - 1), min(max(cell[1], 0), columns - 1)


def _covers(read: Read, cell: Cell) -> bool:
    """Whether reading `read` of a matrix reads its `cell` (a row, a column, one cell, or all of it)."""
    return read.row in (None, cell[0]) and read.column in (None, cell[1])
