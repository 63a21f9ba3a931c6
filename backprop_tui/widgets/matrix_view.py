"""A matrix of any size, painted one visible line at a time (Textual's Line API).

Only the cells in view are formatted, so a 100,000-row matrix costs what a
12-row one does. The header row and the row-index gutter stay put while the
cells scroll under them.

The view draws its own scroll marks (a one-column track, ◂ and ▸ in the header)
instead of Textual's scrollbar widgets: those resize and re-layout the screen
whenever a phase shows matrices of another shape, which made a step cost about
twice what it does now.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from backprop_tui.cell_format import CELL_WIDTH, format_short, format_value
from backprop_tui.heatmap import level, level_style
from backprop_tui.panels import Shown
from scratchnet.debugger.names import pretty_name
from scratchnet.debugger.stats import MatrixStats

Cell = tuple[int, int]
LABEL_CAP = 14
"""Column labels (a CSV's feature names) widen their column up to this many characters; longer ones are cut
with … here, and the inspector gives the whole name."""


def stats_line(stats: MatrixStats) -> str:
    """min, max, mean, Frobenius norm and the count of NaN/inf, for the panel's bottom border."""
    f = format_short
    return (f"min {f(stats.minimum)}  max {f(stats.maximum)}  mean {f(stats.mean)}  ‖·‖ {f(stats.norm)}"
            f"  NaN {stats.n_nan}  inf {stats.n_inf}")


class MatrixView(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("h,shift+left", "move(0, -1)", "Cell ←", show=False, id="cell-left"),
        Binding("l,shift+right", "move(0, 1)", "Cell →", show=False, id="cell-right"),
        Binding("k,shift+up,up", "move(-1, 0)", "Cell ↑", show=False, id="cell-up"),
        Binding("j,shift+down,down", "move(1, 0)", "Cell ↓", show=False, id="cell-down"),
        Binding("g", "first_cell", "First cell", show=False, id="first-cell"),
        Binding("G", "last_cell", "Last cell", show=False, id="last-cell"),
    ]

    cursor: reactive[Cell] = reactive((0, 0), init=False)
    """The selected cell (row, column) in the matrix's own coordinates."""

    class CursorMoved(Message):
        def __init__(self, view: MatrixView, cell: Cell) -> None:
            super().__init__()
            self.view = view
            self.cell = cell

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.shown: Shown | None = None
        self._matrix = np.zeros((0, 0))
        self._decimals = 4
        self._zoomed = False
        self._label_width = 0
        self._palette = ("#000000", "#ffffff", False)
        self.highlight_row: int | None = None
        self.highlight_column: int | None = None

    # --- content -------------------------------------------------------------

    @property
    def cell_width(self) -> int:
        """Wide enough for a number, and for the column labels up to LABEL_CAP characters."""
        return max(CELL_WIDTH, self._label_width) + (4 if self._zoomed else 1)

    def set_zoom(self, zoomed: bool) -> None:
        """Projector mode: 2 decimals in wider cells."""
        self._zoomed = zoomed
        self._decimals = 2 if zoomed else 4
        if self.shown is not None:
            self.show(self.shown, self.cursor, (int(self.scroll_offset.y), int(self.scroll_offset.x)))

    @property
    def gutter_width(self) -> int:
        labels = self.shown.row_labels if self.shown is not None else None
        largest = int(np.max(labels)) if labels is not None and len(labels) else self._matrix.shape[0] - 1
        return len(str(max(0, largest))) + 2

    @property
    def n_rows(self) -> int:
        return self._matrix.shape[0]

    @property
    def n_columns(self) -> int:
        return self._matrix.shape[1]

    def show(self, shown: Shown, cursor: Cell = (0, 0), scroll: Cell = (0, 0)) -> None:
        self.shown = shown
        self._label_width = min(LABEL_CAP, max(map(len, shown.column_labels or ()), default=0))
        matrix = np.asarray(shown.array)
        self._matrix = matrix.reshape(1, 1) if matrix.ndim == 0 else matrix.reshape(matrix.shape[0], -1)
        self.highlight_row = self.highlight_column = None
        stats = shown.stats
        self.border_title = shown.title or f"{pretty_name(shown.name)}  {'×'.join(map(str, stats.shape)) or 'scalar'}  {stats.dtype}"
        self.border_subtitle = shown.stats_text or stats_line(stats)
        # One cell's width of slack, so scrolling a whole cell at a time still reaches the last column.
        self.virtual_size = Size(self.gutter_width + (self.n_columns + 1) * self.cell_width - 1, self.n_rows + 1)
        self.set_reactive(MatrixView.cursor, self._clamp(cursor))
        self.scroll_to(scroll[1], scroll[0], animate=False, immediate=True)
        self.refresh()

    def highlight(self, row: int | None, column: int | None, reveal: bool = False) -> None:
        """Mark what an explained cell reads: a row, a column, or (both given) one cell."""
        if (row, column) == (self.highlight_row, self.highlight_column):
            return
        self.highlight_row, self.highlight_column = row, column
        if reveal and (row is not None or column is not None):
            self._scroll_into_view(row if row is not None else self.scroll_offset.y,
                                   column if column is not None else self.scroll_offset.x // self.cell_width)
        self.refresh()

    def _highlighted(self, row: int, column: int) -> bool:
        hr, hc = self.highlight_row, self.highlight_column
        if hr is not None and hc is not None:
            return row == hr and column == hc
        return row == hr or column == hc

    def set_palette(self, background: str, foreground: str, monochrome: bool) -> None:
        self._palette = (background, foreground, monochrome)
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Rows plus the header."""
        return self.n_rows + 1

    @property
    def _has_track(self) -> bool:
        """Rows overflow the panel, so the last column is a scroll track."""
        return self.n_rows + 1 > self.scrollable_content_region.height

    @property
    def content_width(self) -> int:
        """Width that shows every column and the whole title, borders and scroll track included."""
        title = len(self.border_title or "") + 6
        return max(title, self.gutter_width + self.n_columns * self.cell_width + 4)

    # --- cursor ----------------------------------------------------------------

    def _clamp(self, cell: Cell) -> Cell:
        return (max(0, min(cell[0], self.n_rows - 1)), max(0, min(cell[1], self.n_columns - 1)))

    def watch_cursor(self, old: Cell, new: Cell) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.CursorMoved(self, new))

    def _scroll_to_cursor(self) -> None:
        self._scroll_into_view(*self.cursor)

    @property
    def columns_in_view(self) -> int:
        """Whole cells that fit beside the gutter: a cell is never drawn in part, since a cut-off
        number would read as another number."""
        width = self.scrollable_content_region.width - self._has_track - self.gutter_width
        return max(0, width // self.cell_width)

    @property
    def first_column(self) -> int:
        return int(self.scroll_offset.x) // self.cell_width

    def _scroll_into_view(self, row: int, column: int) -> None:
        """Scroll just enough that the cell is clear of the sticky header and gutter, a whole cell at a time."""
        height = self.scrollable_content_region.height - 1
        first, fit = self.first_column, max(1, self.columns_in_view)
        y = self.scroll_offset.y
        if column < first:
            first = column
        elif column >= first + fit:
            first = column - fit + 1
        x = first * self.cell_width
        if row < y:
            y = row
        elif row >= y + height:
            y = row - height + 1
        self.scroll_to(x, y, animate=False, immediate=True)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, rows: int, columns: int) -> None:
        self.cursor = self._clamp((self.cursor[0] + rows, self.cursor[1] + columns))

    def action_first_cell(self) -> None:
        self.cursor = (0, 0)

    def action_last_cell(self) -> None:
        self.cursor = self._clamp((self.n_rows - 1, self.n_columns - 1))

    def cell_at(self, x: int, y: int) -> Cell | None:
        """The cell under content-relative (x, y), or None over the header or gutter."""
        if y < 1 or x < self.gutter_width:
            return None
        row = self.scroll_offset.y + y - 1
        offset = (x - self.gutter_width) // self.cell_width
        column = self.first_column + offset
        if 0 <= row < self.n_rows and offset < self.columns_in_view and 0 <= column < self.n_columns:
            return (row, column)
        return None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        cell = None if offset is None else self.cell_at(offset.x, offset.y)
        if cell is not None:
            self.focus()
            self.cursor = cell

    # --- painting --------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        region = self.scrollable_content_region
        shown = self.shown
        if shown is None or region.width <= 0:
            return Strip.blank(region.width)
        if not self._has_track:
            return self._render_cells(shown, y, region.width)
        cells = self._render_cells(shown, y, region.width - 1)
        return Strip.join([cells, Strip([self._track_segment(y, region.height)])])

    def _track_segment(self, y: int, height: int) -> Segment:
        """One character of the vertical scroll track: where the visible rows sit among all of them."""
        background, foreground, _ = self._palette
        if y == 0:
            return Segment(" ", Style.parse(f"{foreground} on {background}"))
        visible = max(1, height - 1)
        thumb = max(1, round(visible * visible / self.n_rows))
        hidden = max(1, self.n_rows - visible)
        start = round(min(1.0, self.scroll_offset.y / hidden) * (visible - thumb))
        on_thumb = start <= y - 1 < start + thumb
        return Segment("┃" if on_thumb else "│", Style.parse(f"{foreground} on {background}") + Style(dim=not on_thumb))

    def _render_cells(self, shown: Shown, y: int, width: int) -> Strip:
        scroll_y = self.scroll_offset.y
        gutter = self.gutter_width
        cell_width = self.cell_width
        first = self.first_column
        fit = self.columns_in_view  # the same whole cells the cursor and clicks count with
        last = min(self.n_columns, first + fit)
        background, foreground, monochrome = self._palette
        plain = Style.parse(f"{foreground} on {background}")
        dim = plain + Style(dim=True)
        segments: list[Segment]
        if y == 0:
            labels = shown.column_labels
            segments = [Segment(("◂" if first > 0 else " ") + " " * (gutter - 1), dim)]
            for column in range(first, last):
                label = labels[column] if labels else str(column)
                if len(label) > cell_width - 1:
                    label = label[:cell_width - 2] + "…"
                style = dim + Style(bold=column == self.highlight_column or column == self.cursor[1])
                segments.append(Segment(label.rjust(cell_width - 1) + " ", style))
        else:
            row = scroll_y + y - 1
            if row >= self.n_rows:
                return Strip.blank(width, plain)
            row_style = dim + Style(bold=row == self.highlight_row or row == self.cursor[0])
            numbers = shown.row_labels
            number = int(numbers[row]) if numbers is not None and row < len(numbers) else row
            segments = [Segment(str(number).rjust(gutter - 1) + " ", row_style)]
            values = self._matrix[row, first:last]
            scale = shown.stats.max_abs if shown.heat else 0.0
            formats = shown.column_formats
            missing, marked = shown.missing, shown.marked
            focused = self.has_focus
            for offset, value in enumerate(values.tolist()):
                column = first + offset
                style = level_style(level(value, scale), background, foreground, monochrome)
                if value != value or value in (float("inf"), float("-inf")):
                    style = style + Style(bold=True, italic=True)
                if self._highlighted(row, column):
                    style = style + Style(underline=True, bold=True)
                if (row, column) == self.cursor and (focused or self.has_class("result")):
                    style = style + Style(reverse=True, bold=True) if focused else style + Style(underline=True)
                if missing is not None and value != value:
                    text = missing
                else:
                    text = formats[column](value) if formats else format_value(value, self._decimals)
                segments.append(Segment(text[: cell_width - 1].rjust(cell_width - 1), style))
                segments.append(Segment("◆" if (row, column) in marked else " ", plain))
        if fit == 0 and self.n_columns and y > 0:
            segments.append(Segment("…", dim))  # not even one cell fits: say so rather than cut a number
        strip = Strip(segments).extend_cell_length(width, plain).crop(0, width)
        if y == 0 and last < self.n_columns and width > gutter:
            strip = Strip.join([strip.crop(0, width - 1), Strip([Segment("▸", dim)])])  # columns continue right
        return strip
