"""The phase in words: equation, what G is, the shape algebra, the NumPy line that ran, and why."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from backprop_tui.code_highlight import code_text
from scratchnet import Phase


class EquationPanel(Static):
    def show(self, phase: Phase, dark: bool = True, hide_result_shape: bool = False) -> None:
        shapes = phase.shapes
        if hide_result_shape and "→" in shapes:
            shapes = shapes[: shapes.rindex("→")] + "→ ?"
        parts = [
            Text(phase.equation.unicode, style="bold"),
        ]
        if phase.legend:
            parts.append(Text("where " + phase.legend, style="italic"))
        parts.append(Text.assemble(("shapes  ", "dim"), shapes))
        parts.append(code_text(phase.code, dark))
        parts.append(Text(phase.note))
        self.border_title = f"{phase.title}  ·  {phase.key}"
        self.update(Group(*parts))
