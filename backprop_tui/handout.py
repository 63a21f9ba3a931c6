"""The iteration as Markdown, for handouts: a heading per phase, its LaTeX, shapes, code and note, one cell
worked out with its numbers (the inspector's words, and again in LaTeX), and a lesson's notes beside their phases.

No Textual here: `trace --format markdown` and the app's export share it. Math is only ever in `$$…$$` blocks on
lines of their own (the equation, the worked cell), so a Markdown renderer with dollar math (pandoc, markdown-it's
plugin) finds each of them as one display block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from backprop_tui.cell_format import expansion_latex
from backprop_tui.expansion_words import explanation_lines
from backprop_tui.worked_cell import Worked, opening_cell, pinned_cell
from scratchnet import Phase, Tape
from scratchnet.debugger.explain import explain
from scratchnet.debugger.tape import shape_text

if TYPE_CHECKING:
    from backprop_tui.lesson import Lesson

MAX_TABLE = 8
TERMS_PER_LINE = 2
"""A worked cell's terms per line of its LaTeX: display math is not broken into lines by a renderer, and four
products with a bias run off an A4 page."""


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


def worked_markdown(tape: Tape, phase: Phase, worked: Worked) -> str:
    """One cell of `phase` worked out: the inspector's lines as it shows them, then the expansion in LaTeX (left out
    for an operation that has not written its words in LaTeX)."""
    name, cell = worked
    with np.errstate(all="ignore"):
        explanation = explain(tape, phase, name, *cell)
    first, *rest = explanation_lines(explanation)
    parts = ["### One cell worked out", "", f"`{first}`", ""]
    for line in rest:
        parts += [line, ""]
    latex = expansion_latex(explanation, per_line=TERMS_PER_LINE)
    if latex is not None:
        parts += [f"$${latex}$$", ""]
    return "\n".join(parts).rstrip() + "\n"


def phase_markdown(phase: Phase, number: int | None = None, total: int | None = None, *, tape: Tape | None = None,
                   worked: Worked | None = None, notes: Sequence[tuple[str, str]] = ()) -> str:
    """The phase's section. With its `tape`, one cell worked out: `worked`, or the one the inspector opens on.
    `notes`: (label, words) to stand beside the phase, a lesson's steps."""
    heading = f"## {phase.title}" + (f" ({number}/{total})" if number else "")
    parts = [heading, "", f"`{phase.key}`", ""]
    for label, words in notes:
        parts += [f"> **{label}.** {words}", ""]
    parts += [f"$${phase.equation.latex}$$", ""]
    if phase.legend:
        parts += [f"where {phase.legend}.", ""]
    parts += [f"Shapes: `{phase.shapes}`", "", "```python", phase.code, "```", "", phase.note, ""]
    if tape is not None:
        parts += [worked_markdown(tape, phase, worked or opening_cell(phase))]
    for role, matrices in (("Inputs", phase.inputs), ("Outputs", phase.outputs)):
        parts += [f"### {role}", ""]
        for name, array in matrices.items():
            parts += [matrix_markdown(name, array), ""]
    return "\n".join(parts).rstrip() + "\n"


def tape_markdown(tape: Tape, lesson: Lesson | None = None, steps: Sequence[int] = ()) -> str:
    """Every phase of the iteration, each with one cell worked out. With a `lesson`, the notes of its `steps` (indices
    into its steps, those that open on this iteration) stand beside their phases, and a step's pin, where the phase
    makes or reads that cell, is the cell worked out."""
    sizes = "→".join(str(n) for n in tape.sizes)
    intro = (
        f"# One training iteration, epoch {tape.epoch}\n\n"
        f"Network {sizes}, η = {tape.learning_rate:g}, {tape.dtype}, loss = {tape.loss:.6g}.\n"
    )
    if lesson is not None:
        intro += f"\nLesson: *{lesson.title}*, {len(steps)} of its {len(lesson.steps)} steps beside their phases.\n"
    notes: dict[str, list[tuple[str, str]]] = {}
    pins: dict[str, Worked] = {}
    for index in steps:
        assert lesson is not None  # steps are a lesson's
        step = lesson.steps[index]
        notes.setdefault(step.phase, []).append((f"Lesson step {index + 1}/{len(lesson.steps)}", step.note))
        if step.pin is not None and step.phase not in pins and step.phase in tape.keys:
            cell = pinned_cell(tape, tape[tape.index(step.phase)], step.pin)
            if cell is not None:
                pins[step.phase] = cell
    sections = [phase_markdown(phase, n, len(tape), tape=tape, worked=pins.get(phase.key),
                               notes=notes.get(phase.key, ())) for n, phase in enumerate(tape, 1)]
    return "\n".join([intro, *sections])
