"""The matrix panels of a phase: what it makes (results, on the left) beside what it reads (operands).

On an activation phase the operand column starts with the activation's curve over the Z it reads."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import zip_longest

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget

from backprop_tui.panels import Shown
from backprop_tui.session import View
from backprop_tui.widgets.activation_plot import ActivationPlot
from backprop_tui.widgets.matrix_view import MatrixView
from scratchnet.debugger.explain import Read

RESULT_SLOTS = 4
OPERAND_SLOTS = 4
TALL = 12
"""Matrices with more rows than this share the leftover height; smaller ones take just their rows."""


class MatrixArea(Horizontal):
    def compose(self) -> ComposeResult:
        with VerticalScroll(id="results", can_focus=False):
            for slot in range(RESULT_SLOTS):
                yield MatrixView(id=f"result-{slot}", classes="matrix result")
        with VerticalScroll(id="operands", can_focus=False):
            yield ActivationPlot(id="activation-plot")
            for slot in range(OPERAND_SLOTS):
                yield MatrixView(id=f"operand-{slot}", classes="matrix operand")

    def show(self, results: list[Shown], operands: list[Shown], view: View, hide_results: bool) -> None:
        """Each matrix in a view of its own, at the cell and scroll `view` remembers; views left over hide.

        Four views a side are made up front (enough for the article's phases); a phase with more matrices (an
        Adam update reads and makes a dozen) gets more views, mounted once and kept, and is shown when they are."""
        grown = False
        for column, kind, items in (("#results", "result", results), ("#operands", "operand", operands)):
            have = len(self.query(f"{column} MatrixView"))
            if len(items) > have:
                extra = [MatrixView(id=f"{kind}-{slot}", classes=f"matrix {kind}") for slot in range(have, len(items))]
                for matrix_view in extra:  # the look the others have
                    matrix_view.set_zoom(self._zoomed)
                    if self._palette is not None:
                        matrix_view.set_palette(*self._palette)
                self.query_one(column).mount(*extra)
                grown = True
        if grown:
            self.call_after_refresh(self.show, results, operands, view, hide_results)
        widest = 0
        for views, items in ((self.query("#results MatrixView").results(MatrixView), results),
                             (self.query("#operands MatrixView").results(MatrixView), operands)):
            for matrix_view, shown in zip_longest(views, items):
                if matrix_view is None:
                    break
                matrix_view.display = shown is not None
                if shown is None:
                    matrix_view.shown = None
                    continue
                matrix_view.show(shown, cursor=view.cell_of(shown.name), scroll=view.scroll_of(shown.name))
                matrix_view.styles.height = "1fr" if matrix_view.n_rows > TALL else "auto"
                if matrix_view.has_class("result"):
                    widest = max(widest, matrix_view.content_width)
        results_column = self.query_one("#results")
        results_column.styles.width = widest + 2
        results_column.display = not hide_results

    def named(self, name: str | None) -> MatrixView | None:
        """The shown view of matrix `name`."""
        for matrix_view in self.query(MatrixView):
            if matrix_view.display and matrix_view.shown is not None and matrix_view.shown.name == name:
                return matrix_view
        return None

    def view(self, focused: Widget | None) -> View:
        """What is looked at now: the focused matrix, and each shown matrix's cell and scroll."""
        views = [(v, shown) for v in self.query(MatrixView) if v.display and (shown := v.shown) is not None]
        return View(
            matrix=focused.shown.name if isinstance(focused, MatrixView) and focused.shown else None,
            cells=tuple((shown.name, v.cursor) for v, shown in views),
            scrolls=tuple((shown.name, (int(v.scroll_offset.y), int(v.scroll_offset.x))) for v, shown in views),
        )

    def highlight_reads(self, reads: Mapping[str, Read], focused: Widget | None) -> None:
        """Mark in each operand what the explained cell reads, scrolled into sight unless it has focus."""
        for matrix_view in self.query("#operands MatrixView").results(MatrixView):
            if matrix_view.shown is not None:
                read = reads.get(matrix_view.shown.name)
                matrix_view.highlight(read.row if read else None, read.column if read else None,
                                      reveal=matrix_view is not focused)

    _zoomed = False
    _palette: tuple[str, str, bool] | None = None

    def set_zoom(self, zoomed: bool) -> None:
        self._zoomed = zoomed
        for matrix_view in self.query(MatrixView):
            matrix_view.set_zoom(zoomed)

    def set_palette(self, background: str, foreground: str, monochrome: bool) -> None:
        self._palette = (background, foreground, monochrome)
        for matrix_view in self.query(MatrixView):
            matrix_view.set_palette(background, foreground, monochrome)
