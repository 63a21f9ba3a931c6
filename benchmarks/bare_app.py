"""The floor the debugger is measured against: a bare Textual app that imports NumPy
and redraws a 12×8 Rich table on each key. Run it directly for the launch benchmark."""

from __future__ import annotations

import numpy as np
from rich.table import Table
from textual.app import App, ComposeResult
from textual.widgets import Static


class BareApp(App):
    BINDINGS = [("right", "redraw", "Redraw"), ("left", "redraw", "Redraw"), ("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static(id="table")

    def on_mount(self) -> None:
        self.action_redraw()

    def action_redraw(self) -> None:
        table = Table()
        values = np.random.default_rng().normal(size=(12, 8))
        for column in range(8):
            table.add_column(str(column))
        for row in values:
            table.add_row(*(f"{v:.4f}" for v in row))
        self.query_one("#table", Static).update(table)


if __name__ == "__main__":
    BareApp().run()
