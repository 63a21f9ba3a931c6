"""Pinned cells: each one's value at the current phase, and a sparkline across the epochs kept so far."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from backprop_tui.cell_format import format_value
from scratchnet.names import pretty_name

MAX_PINS = 8


class WatchRow(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(classes="watch-label")
        yield Sparkline([0.0], classes="watch-sparkline")

    def show(self, label: str, history: list[float]) -> None:
        self.query_one(".watch-label", Static).update(label)
        finite = [value for value in history if math.isfinite(value)]  # Sparkline cannot draw NaN or inf
        self.query_one(Sparkline).data = finite or [0.0]


class WatchPanel(Vertical):
    """A fixed set of rows, shown as needed, so updating it never mounts or removes widgets."""

    def compose(self) -> ComposeResult:
        for _ in range(MAX_PINS):
            yield WatchRow()

    def show(self, rows: list[tuple[str, tuple[int, int], float | None, list[float]]]) -> None:
        """rows: (name, cell, value now, history)."""
        self.display = bool(rows)
        self.border_title = f"Watch ({len(rows)})"
        for widget, row in zip(self.query(WatchRow), [*rows, *[None] * MAX_PINS]):
            widget.display = row is not None
            if row is not None:
                name, cell, value, history = row
                now = "—" if value is None else format_value(value).strip()
                widget.show(f"{pretty_name(name)}[{cell[0]},{cell[1]}] = {now}", history)
