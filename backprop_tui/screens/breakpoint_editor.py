"""B: the breakpoints and conditions, to add, enable, disable and delete.

A condition that cannot be read is not added: the message under the field says why, with a caret under the place
it goes wrong, and the text stays in the field to be mended.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from backprop_tui.breakpoints import Breakpoints, ConditionError

HINT = ("nan · loss_up · loss < 0.05 · test_loss < x · acc >= 0.9 · epoch == 40 · norm(dW1) > 10 · "
        "ratio(W1) > 0.01 · and, or, not, ( )")


class BreakpointEditor(ModalScreen[None]):
    BINDINGS = [
        Binding("space", "toggle_entry", "Enable/disable", id="breakpoint-toggle"),
        Binding("delete,backspace,d", "delete_entry", "Delete", id="breakpoint-delete"),
        Binding("escape", "close", "Close", id="close-breakpoints"),
    ]
    DEFAULT_CSS = """
    BreakpointEditor { align: center middle; }
    BreakpointEditor > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: round $accent; padding: 0 1; background: $surface;
    }
    BreakpointEditor DataTable { height: auto; max-height: 12; margin-bottom: 1; }
    BreakpointEditor #breakpoint-problem { color: $error; height: auto; }
    BreakpointEditor .hint { color: $text-muted; }
    """

    def __init__(self, breakpoints: Breakpoints, known: set[str]) -> None:
        super().__init__()
        self.breakpoints = breakpoints
        self.known = known
        self.problem = ""
        """The last condition refused, and why (what the message under the field says)."""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Breakpoints  (space enables or disables, d deletes, Esc closes)"
            yield DataTable(id="breakpoint-table", cursor_type="row", zebra_stripes=True)
            yield Input(id="condition-input", placeholder="add a condition, then Enter: e.g. norm(dW1) > 10")
            yield Static(id="breakpoint-problem")
            yield Static(f"Conditions: {HINT}. C continues until one holds; b on a phase stops there.",
                         classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("on", "breakpoint")
        self._fill()
        self.query_one(Input).focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for entry in self.breakpoints.entries:
            table.add_row("●" if entry.enabled else "○", entry.label)
        if not self.breakpoints.entries:
            table.add_row("", Text("none yet", style="italic"))
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            return
        problem = self.query_one("#breakpoint-problem", Static)
        try:
            self.breakpoints.add_condition(text, self.known)
        except ConditionError as error:
            self.problem = error.message
            caret = "\u00a0" * (error.column - 1) + "^ "  # no-break spaces: a line's leading spaces are not kept
            problem.update(Text.assemble(f"{error.text}\n", caret, error.message))
            return
        self.problem = ""
        problem.update("")
        event.input.value = ""
        self._fill()

    def _selected(self) -> int | None:
        table = self.query_one(DataTable)
        if not self.breakpoints.entries or not table.has_focus:
            return None
        return table.cursor_row

    def action_toggle_entry(self) -> None:
        if (index := self._selected()) is not None:
            self.breakpoints.toggle(index)
            self._fill()

    def action_delete_entry(self) -> None:
        if (index := self._selected()) is not None:
            self.breakpoints.delete(index)
            self._fill()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the field has focus, space, d and backspace are typed into it."""
        if action in ("toggle_entry", "delete_entry"):
            return self.query_one(DataTable).has_focus
        return True

    def action_close(self) -> None:
        self.dismiss(None)
