"""The always-visible panel that expands the selected cell: where this number comes from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from backprop_tui.expansion_words import explanation_lines
from scratchnet.debugger.explain import Explanation

if TYPE_CHECKING:
    from scratchnet.debugger.gradcheck import GradientCheck


class Inspector(Static):
    text = ""
    """The panel's words as plain text, for tests and exports."""
    explanation: Explanation | None = None
    """The cell expansion shown now: None when there is none, or while a quiz hides the result."""

    def show(
        self,
        explanation: Explanation | None,
        origin: str | None = None,
        check: GradientCheck | None = None,
        check_status: str | None = None,
    ) -> None:
        """`origin`: where a selected operand cell came from; `check`: a finished gradient check."""
        self.explanation = explanation
        lines: list[Text] = []
        if explanation is not None:
            first, *rest = explanation_lines(explanation)
            lines += [Text(first, style="bold"), *(Text(line) for line in rest)]
        if origin:
            lines.append(Text(origin, style="italic"))
        if check is not None:
            scope = (f"a seeded sample of {len(check.cells):,} of {check.shape[0] * check.shape[1]:,} cells "
                     f"(seed {check.seed})" if check.sampled else f"all {len(check.cells):,} cells")
            lines.append(Text.assemble(
                ("gradient check ", "bold"),
                f"{check.name}: central differences in float64 over {scope}; max relative error ",
                (f"{check.max_relative_error:.1e}", "bold"),
                f" ({check.kinks:,} {'cell' if check.kinks == 1 else 'cells'} whose step crossed a ReLU kink, where "
                "there is no derivative, not counted)" if check.kinks else "",
            ))
        elif check_status:
            lines.append(Text(check_status, style="italic"))
        self.text = "\n".join(line.plain for line in lines)
        self.update(Group(*lines) if lines else "")
