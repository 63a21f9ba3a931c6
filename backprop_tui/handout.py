"""The iteration as Markdown, for handouts: a heading per phase, its LaTeX, shapes, code and note.

No Textual here: `trace --format markdown` and the app's export share it.
"""

from __future__ import annotations

import numpy as np

from scratchnet import Phase, Tape
from scratchnet.debugger.tape import shape_text

MAX_TABLE = 8


def _cell(value: float) -> str:
    if np.isnan(value):
        return "NaN"
    if np.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4f}" if value == 0 or 1e-4 <= abs(value) < 1e6 else f"{value:.3e}"


def matrix_markdown(name: str, array: np.ndarray) -> str:
    """A table for matrices up to 8×8; a larger one shows its top-left 8×8 corner and says so."""
    matrix = np.atleast_2d(np.asarray(array, dtype=np.float64))
    rows, columns = matrix.shape
    shown = matrix[:MAX_TABLE, :MAX_TABLE]
    caption = f"**{name}** ({shape_text(np.asarray(array))}, {np.asarray(array).dtype})"
    if rows > MAX_TABLE or columns > MAX_TABLE:
        caption += f", first {shown.shape[0]}×{shown.shape[1]} shown"
    header = "| | " + " | ".join(str(j) for j in range(shown.shape[1])) + " |"
    rule = "|---|" + "---:|" * shown.shape[1]
    body = [f"| {i} | " + " | ".join(_cell(v) for v in row) + " |" for i, row in enumerate(shown)]
    if rows > MAX_TABLE:
        body.append("| ⋮ | " + " | ".join("⋮" for _ in range(shown.shape[1])) + " |")
    return "\n".join([caption, "", header, rule, *body])


def phase_markdown(phase: Phase, number: int | None = None, total: int | None = None) -> str:
    heading = f"## {phase.title}" + (f" ({number}/{total})" if number else "")
    parts = [heading, "", f"`{phase.key}`", "", f"$${phase.equation.latex}$$", ""]
    if phase.legend:
        parts += [f"where {phase.legend}.", ""]
    parts += [f"Shapes: `{phase.shapes}`", "", "```python", phase.code, "```", "", phase.note, ""]
    for role, matrices in (("Inputs", phase.inputs), ("Outputs", phase.outputs)):
        parts += [f"### {role}", ""]
        for name, array in matrices.items():
            parts += [matrix_markdown(name, array), ""]
    return "\n".join(parts).rstrip() + "\n"


def tape_markdown(tape: Tape) -> str:
    sizes = "→".join(str(n) for n in tape.sizes)
    intro = (
        f"# One training iteration, epoch {tape.epoch}\n\n"
        f"Network {sizes}, η = {tape.learning_rate:g}, {tape.dtype}, loss = {tape.loss:.6g}.\n"
    )
    return "\n".join([intro, *(phase_markdown(phase, n, len(tape)) for n, phase in enumerate(tape, 1))])
