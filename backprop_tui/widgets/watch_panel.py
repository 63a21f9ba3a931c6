"""Pinned cells: each one's value at the current phase, and a sparkline across the epochs kept so far.

One widget draws every row: a Label and a Sparkline widget per pin cost two dozen
widgets on every launch, most of them hidden.
"""

from __future__ import annotations

import math

from textual.content import Content
from textual.widget import Widget

from backprop_tui.cell_format import format_value
from scratchnet.debugger.names import pretty_name

MAX_PINS = 8
BARS = "▁▂▃▄▅▆▇█"

Row = tuple[str, tuple[int, int], "float | None", list[float]]


def sparkline(history: list[float], width: int) -> str:
    """Block characters from low to high; a long history is averaged into `width` buckets.

    Non-finite values are left out: a diverged epoch has no height to draw.
    """
    values = [value for value in history if math.isfinite(value)]
    if not values or width <= 0:
        return ""
    if len(values) > width:
        buckets = [values[len(values) * i // width: len(values) * (i + 1) // width] for i in range(width)]
        values = [math.fsum(bucket) / len(bucket) for bucket in buckets]
    low, high = min(values), max(values)
    if not high > low:  # flat, or too close to tell apart
        return BARS[len(BARS) // 2] * len(values)
    span = high - low
    return "".join(BARS[min(len(BARS) - 1, int((value - low) / span * len(BARS)))] for value in values)


class WatchPanel(Widget):
    DEFAULT_CSS = """
    WatchPanel {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[tuple[str, list[float]]] = []
        """(label, history) per pin, in pin order."""

    def show(self, rows: list[Row]) -> None:
        """rows: (name, cell, value now, history)."""
        self.display = bool(rows)
        self.border_title = f"Watch ({len(rows)})"
        shown = []
        for name, cell, value, history in rows[:MAX_PINS]:
            now = "—" if value is None else format_value(value).strip()
            shown.append((f"{pretty_name(name)}[{cell[0]},{cell[1]}] = {now}", list(history)))
        if shown != self.rows:
            self.rows = shown
            self.refresh(layout=True)

    def render(self) -> Content:
        width = self.content_size.width
        spark_style = "$accent"
        lines = []
        for label, history in self.rows:
            lines += [Content(label), Content.styled(" " + sparkline(history, max(0, width - 2)), spark_style)]
        return Content("\n").join(lines)
