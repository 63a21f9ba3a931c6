"""Gradient health: per layer, across epochs, ‖dWₗ‖ and the update ratio ‖ΔWₗ‖/‖Wₗ‖ on one log scale.

One scale for every layer of a measure, so a first layer whose ratio sits three rows of blocks below the last
layer's is seen to learn a thousand times slower (vanishing gradients), and a column climbing to the top before a ✗
is an explosion on its way. A non-finite value is drawn ✗, never as a gap that would read as zero.
"""

from __future__ import annotations

import math

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from backprop_tui.cell_format import format_short
from scratchnet.debugger.names import subscript

BLOCKS = "▁▂▃▄▅▆▇█"
NOT_FINITE = "✗"


def log_strip(values: list[float], low: float, high: float) -> str:
    """One block per value: its log₁₀ placed between `low` and `high` (log₁₀ too); ✗ for a non-finite value, the
    lowest block for 0 (no change at all)."""
    cells = []
    span = max(high - low, 1e-12)
    for value in values:
        if not math.isfinite(value):
            cells.append(NOT_FINITE)
        elif value <= 0:
            cells.append(BLOCKS[0])
        else:
            level = (math.log10(value) - low) / span
            cells.append(BLOCKS[max(0, min(len(BLOCKS) - 1, round(level * (len(BLOCKS) - 1))))])
    return "".join(cells)


def _log_range(series: list[list[float]]) -> tuple[float, float]:
    logs = [math.log10(value) for values in series for value in values if math.isfinite(value) and value > 0]
    return (min(logs), max(logs)) if logs else (0.0, 1.0)


def health_lines(rows: list[tuple[int, tuple[float, ...], tuple[float, ...]]], width: int) -> list[Text]:
    """The panel's lines for `rows` (epoch, ‖dWₗ‖ per layer, ‖ΔWₗ‖/‖Wₗ‖ per layer), the last epochs that fit."""
    if not rows:
        return [Text("Train (e) or step past an epoch to see each layer's gradient and update sizes.", style="italic")]
    layers = len(rows[0][1])
    label_width, value_width = 13, 9
    shown = rows[-max(1, width - label_width - value_width - 2):]
    lines = [Text(f"epochs {shown[0][0]}–{shown[-1][0]} · log₁₀ scale, one per measure · {NOT_FINITE} not finite",
                  style="italic")]
    for title, stem, measure in (("‖dW‖", "‖dW{}‖", [norms for _, norms, _ in shown]),
                                 ("‖ΔW‖/‖W‖", "ratio W{}", [ratios for _, _, ratios in shown])):
        series = [[row[layer] for row in measure] for layer in range(layers)]
        low, high = _log_range(series)
        lines.append(Text(f"{title}  from {10 ** low:.1e} to {10 ** high:.1e}", style="bold"))
        for layer, values in enumerate(series, 1):
            last = values[-1]
            line = Text(f"{stem.format(subscript(layer)):<{label_width}}")
            strip = log_strip(values, low, high)
            line.append(strip, style="red" if NOT_FINITE in strip else "")
            line.append(f" {format_short(last) if math.isfinite(last) else 'not finite':>{value_width}}")
            lines.append(line)
    return lines


class HealthPanel(Static):
    """The session's gradient health, drawn when told (after epochs arrive, at the screen's redraw pace)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="health")
        self.border_title = "Gradient health"

    def show(self, rows: list[tuple[int, tuple[float, ...], tuple[float, ...]]], warning: str | None) -> None:
        lines: list[Text] = []
        if warning:
            lines.append(Text(warning, style="bold red"))
        lines += health_lines(rows, max(self.content_region.width, 30))
        self.update(Group(*lines))
