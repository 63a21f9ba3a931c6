"""Predicted against true, for a regression: one braille dot per row, over the line y = x where they agree.

Both axes share one range (the smallest to the largest of either), so the diagonal runs corner to corner and a
point's height above it is how far the network overshoots. Points are the theme's accent (bold in the monochrome
theme), the diagonal dim, so they read apart without hue. The values are what `scratchnet.regions.
predicted_against_true` gives (the target's own units, dollars for the houses); this widget only places them.
"""

from __future__ import annotations

import math

import numpy as np
from textual.content import Content
from textual.widget import Widget

from backprop_tui.braille import braille, line_dots, runs
from backprop_tui.cell_format import MINUS
from backprop_tui.themes import MONOCHROME_THEMES

GUTTER = 9
"""Columns left of the plot for the predicted axis's labels."""


def short_number(value: float, unit: str = "") -> str:
    """A value in a few characters: 1.2M, 350k, 12.3; the unit in front ($350k)."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("∞" if value > 0 else MINUS + "∞")
    magnitude = abs(value)
    if magnitude >= 1e9:
        text = f"{magnitude:.3g}"
    elif magnitude >= 1e6:
        text = f"{magnitude / 1e6:.1f}M"
    elif magnitude >= 1e4:
        text = f"{magnitude / 1e3:.0f}k"
    else:
        text = f"{magnitude:.3g}"
    return (MINUS if value < 0 else "") + unit + text


def shared_range(*values: np.ndarray) -> tuple[float, float]:
    """The smallest and largest finite value of all of them; a single value gets ±1 around it."""
    finite = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values])
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return -1.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    return (low, high) if high > low else (low - 1.0, high + 1.0)


class PredictedVsTrue(Widget):
    """Call `show(predicted, true, unit)` with one value per row, a few times a second at most."""

    DEFAULT_CSS = """
    PredictedVsTrue {
        height: 1fr;
        min-height: 6;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.predicted = np.zeros(0)
        self.true = np.zeros(0)
        self.unit = ""

    def show(self, predicted: np.ndarray, true: np.ndarray, unit: str = "") -> None:
        """`predicted` and `true`: one value per row, in the target's units; `unit` goes before each label ($)."""
        self.predicted = np.asarray(predicted, dtype=np.float64).ravel()
        self.true = np.asarray(true, dtype=np.float64).ravel()
        self.unit = unit
        self.refresh()

    def dots(self, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
        """(the points' dots, the diagonal's dots, the range), each mask (4·rows) × (2·cols)."""
        height, width = 4 * rows, 2 * cols
        low, high = shared_range(self.predicted, self.true)
        span = high - low
        points = np.zeros((height, width), dtype=bool)
        finite = np.isfinite(self.predicted) & np.isfinite(self.true)
        x = np.rint((self.true[finite] - low) / span * (width - 1)).astype(int)
        y = np.rint((high - self.predicted[finite]) / span * (height - 1)).astype(int)
        points[np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)] = True
        diagonal = line_dots(np.rint(np.linspace(height - 1, 0, width)).astype(int), height)
        return points, diagonal, (low, high)

    def render(self) -> Content:
        width, height = self.content_size
        rows, cols = max(1, height - 3), max(1, width - GUTTER)
        points, diagonal, (low, high) = self.dots(rows, cols)
        monochrome = self.app.theme in MONOCHROME_THEMES
        point_style, line_style = ("bold", "dim") if monochrome else ("bold $accent", "dim")
        chars = braille(points | diagonal)
        has_point = np.asarray(points.reshape(rows, 4, cols, 2).any(axis=(1, 3)))
        lines = []
        for r, row in enumerate(chars):
            label = short_number(high, self.unit) if r == 0 else short_number(low, self.unit) if r == rows - 1 else ""
            lines.append(Content.assemble(
                f"{label:>{GUTTER - 2}} {'┤' if label else '│'}",
                *runs(row, [point_style if point else line_style for point in has_point[r]])))
        lines.append(Content(" " * (GUTTER - 1) + "└" + "─" * cols))
        low_label, high_label = short_number(low, self.unit), short_number(high, self.unit)
        labels = f"{low_label:>{GUTTER}}" + " " * max(1, cols - len(high_label)) + high_label
        lines.append(Content(labels))
        lines.append(Content.assemble(("⠁", point_style), " a row   ", ("⠑", line_style),
                                      " predicted = true   ↑ predicted   → true"))
        return Content("\n").join(line.truncate(width) for line in lines[:height])
