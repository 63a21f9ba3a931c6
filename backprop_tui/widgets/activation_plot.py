"""σ over the batch's Z, on an activation phase: where the units sit on the curve, and how many pass no gradient.

The curve is drawn in braille (2 × 4 dots a cell) over [min Z, max Z] of this batch: σ(z) on the forward phase,
σ'(z) on the backward one (what dZ = G ⊙ σ'(Z) multiplies by). Under it a bar per column counts the entries of Z
that fall there. Columns whose σ' is at most 0.01 (a ReLU's z ≤ 0, the flat tails of tanh and sigmoid) are held
back: orange against the theme's blue, dim in the monochrome theme, and always with a dashed axis under them, so
no meaning rests on hue. Every value comes from `scratchnet.activation_profile`, which runs the
activation's own functions; this widget only places them. It goes through Z once (in a worker when Z is large,
so a step costs what it does for a small batch), then reads any width from what it found.

On a short screen it keeps the bars and the count (3 lines, no border); on a tiny one it goes with the operand
column it sits in.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
from textual import work
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.worker import get_current_worker

from backprop_tui.braille import braille, line_dots, runs
from backprop_tui.cell_format import format_short
from backprop_tui.themes import MONOCHROME_THEMES
from scratchnet.activation import SATURATED
from scratchnet.activation_profile import ActivationAt, ActivationProfile, activation_profile
from scratchnet.debugger.names import pretty_name

BARS = " ▁▂▃▄▅▆▇█"
CURVE_ROWS = 4
"""Text rows of the curve: 16 braille dots from the lowest value to the highest."""
COUNT_ROWS = 2
IN_STEP = 1 << 18
"""The most entries of Z gone through while a step is drawn (a few milliseconds); a larger Z goes to a worker."""
HELD_BACK = "#e66101"
"""The heat map's orange: apart from the theme's blue for every common colour-vision deficiency."""


def curve_dots(values: np.ndarray, low: float, high: float, rows: int) -> np.ndarray:
    """The curve through `values` (one per dot column) as dots, `rows` text rows tall, `high` at the top."""
    height = 4 * rows
    level = np.rint((high - values) / (high - low) * (height - 1))
    return line_dots(np.clip(np.nan_to_num(level, nan=height - 1), 0, height - 1).astype(int), height)


def y_range(values: np.ndarray) -> tuple[float, float]:
    """From the curve's lowest to its highest value, 0 always included; a flat curve gets a height of 1."""
    finite = values[np.isfinite(values)]
    low = min(0.0, float(finite.min())) if finite.size else 0.0
    high = max(0.0, float(finite.max())) if finite.size else 1.0
    return (low, high) if high > low else (low, low + 1.0)


def percent(share: float) -> str:
    """A share as a person reads it, never rounded to 0% or 100% when it is not."""
    text = f"{share:.0%}"
    if 0 < share < 1 and text in ("0%", "100%"):
        text = f"{share:.1%}"
        text = {"0.0%": "<0.1%", "100.0%": ">99.9%"}.get(text, text)
    return text


@dataclass(frozen=True)
class Columns:
    """The profile read for one width: the curve at two points a column, a count and a held-back flag a column."""

    z: np.ndarray
    sigma: np.ndarray
    sigma_prime: np.ndarray
    counts: np.ndarray
    held_back: np.ndarray

    @classmethod
    def of(cls, profile: ActivationProfile, columns: int) -> Columns:
        return cls(*profile.curve(2 * columns), profile.counts(columns), profile.held_back_bins(columns))

    @property
    def zero(self) -> int:
        """The column whose stretch of z holds 0; −1 when 0 is outside the batch's range."""
        z, columns = self.z, len(self.counts)
        if not z[0] < 0 < z[-1]:
            return -1
        return min(columns - 1, int(np.floor(-z[0] / (z[-1] - z[0]) * columns)))


class ActivationPlot(Widget):
    class Counted(Message):
        """A worker has been through a large Z."""

        def __init__(self, Z: np.ndarray, profile: ActivationProfile) -> None:
            super().__init__()
            self.Z = Z
            self.profile = profile

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.at: ActivationAt | None = None
        self.Z: np.ndarray | None = None
        self.profile: ActivationProfile | None = None
        """Z gone through once, or None while a worker goes through a large one."""
        self._columns: tuple[int, Columns] | None = None
        self.display = False

    def show(self, at: ActivationAt | None, Z: np.ndarray | None) -> None:
        """The activation of this phase and the batch's Z it reads; None hides the plot (not an activation
        phase, or the quiz still asks for its result). A Z of more than IN_STEP entries is gone through in a
        worker, so a step costs the same whatever the batch; the plot says so meanwhile."""
        self.display = at is not None and Z is not None
        if at == self.at and Z is self.Z:
            return
        self.workers.cancel_group(self, "activation-profile")
        self.at, self.Z, self.profile, self._columns = at, Z, None, None
        if at is None or Z is None:
            return
        name, z_name = at.activation.name, pretty_name(at.z_name)
        self.border_title = f"{name}'(z) over {z_name}" if at.backward else f"{name}(z) over {z_name}"
        self.border_subtitle = ""
        if Z.size <= IN_STEP:
            self._counted(activation_profile(at.activation, Z))
        else:
            self._count(at, Z)
            self.refresh()

    @work(thread=True, exclusive=True, group="activation-profile")
    def _count(self, at: ActivationAt, Z: np.ndarray) -> None:
        worker = get_current_worker()
        profile = activation_profile(at.activation, Z, should_stop=lambda: worker.is_cancelled)
        if profile is not None:
            self.post_message(self.Counted(Z, profile))

    def on_activation_plot_counted(self, message: Counted) -> None:
        if message.Z is self.Z:  # not a Z left behind since
            self._counted(message.profile)

    def _counted(self, profile: ActivationProfile | None) -> None:
        self.profile = profile
        if profile is not None and self.at is not None:
            held = profile.held
            self.border_subtitle = f"{held.whole_units} of {held.units} units {self.at.activation.held_back_unit}"
        self.refresh()

    @property
    def compact(self) -> bool:
        """On a short screen: the bars and the count only."""
        return self.screen.has_class("-short")

    @property
    def _gutter(self) -> int:
        return 0 if self.compact else 9

    def columns(self, columns: int) -> Columns | None:
        """The profile read for `columns` columns (kept until the width or the profile changes)."""
        if self.profile is None:
            return None
        if self._columns is None or self._columns[0] != columns:
            self._columns = columns, Columns.of(self.profile, columns)
        return self._columns[1]

    @property
    def count_text(self) -> str:
        """"46% of Z₁ ≤ 0: they pass no gradient back", in the activation's own words."""
        if self.at is None:
            return ""
        z_name = pretty_name(self.at.z_name)
        if self.profile is None:
            return f"counting the {0 if self.Z is None else self.Z.size:,} entries of {z_name}…"
        return f"{percent(self.profile.held.share)} of {z_name} {self.at.activation.held_back}"

    def render(self) -> Content:
        width = self.content_size.width
        columns = self.columns(max(1, width - self._gutter))
        if self.at is None:
            return Content("")
        if columns is None:
            return Content(self.count_text).truncate(width, ellipsis=True)
        monochrome = self.app.theme in MONOCHROME_THEMES
        live, held = ("bold", "dim") if monochrome else ("$primary", HELD_BACK)
        lines = [] if self.compact else self._curve(columns, live, held)
        lines += [self._bars(columns, live, held), self._axis(columns, held)]
        if self.compact:
            lines.append(Content(self.count_text).truncate(width, ellipsis=True))
        else:
            lines.append(self._labels(columns, width))
            wrapped = textwrap.wrap(self.count_text, max(1, width)) or [""]
            if len(wrapped) > COUNT_ROWS:
                wrapped = [*wrapped[:COUNT_ROWS - 1], " ".join(wrapped[COUNT_ROWS - 1:])]
            lines += [Content(line).truncate(width, ellipsis=True) for line in wrapped]
        return Content("\n").join(line.truncate(width) for line in lines)

    def _curve(self, columns: Columns, live: str, held: str) -> list[Content]:
        """σ (σ' on the way back) in braille, its highest and lowest values written on the left."""
        assert self.at is not None
        values = columns.sigma_prime if self.at.backward else columns.sigma
        low, high = y_range(values)
        rows = braille(curve_dots(values, low, high, CURVE_ROWS))
        column_held = np.asarray((columns.sigma_prime <= SATURATED).reshape(-1, 2).any(axis=1))
        lines = []
        for r, row in enumerate(rows):
            label = format_short(high) if r == 0 else format_short(low) if r == len(rows) - 1 else ""
            lines.append(Content.assemble(
                f"{label:>{self._gutter - 2}} {'┤' if label else '│'}",
                *runs(row, [held if blocked else live for blocked in column_held])))
        return lines

    def _bars(self, columns: Columns, live: str, held: str) -> Content:
        """How many entries of Z fall in each column's stretch of z, as a bar of 8 heights; any at all shows."""
        assert self.at is not None
        counts = columns.counts
        most = max(float(counts.max()), 1e-12)
        bars = [BARS[max(1 if count > 0 else 0, min(8, int(np.ceil(count / most * 8))))] for count in counts]
        gutter = f"{pretty_name(self.at.z_name):>{self._gutter - 2}} │" if self._gutter else ""
        return Content.assemble(gutter, *runs("".join(bars), [held if blocked else live
                                                              for blocked in columns.held_back]))

    def _axis(self, columns: Columns, held: str) -> Content:
        """The z axis: dashed where σ' ≤ 0.01 (so it reads without colour), ┴ at z = 0."""
        zero = columns.zero
        parts: list[str | tuple[str, str]] = [" " * (self._gutter - 1) + "└" if self._gutter else ""]
        for column, blocked in enumerate(columns.held_back):
            mark = "┴" if column == zero else "╌" if blocked else "─"
            parts.append((mark, held) if blocked else mark)
        return Content.assemble(*parts)

    def _labels(self, columns: Columns, width: int) -> Content:
        """The smallest Z under the axis's start, the largest at its end, 0 under ┴ where there is room."""
        low, high = format_short(float(columns.z[0])), format_short(float(columns.z[-1]))
        line = [" "] * width
        start = max(0, self._gutter - len(low))
        line[start:start + len(low)] = low
        line[width - len(high):] = high
        zero = columns.zero
        if zero >= 0 and start + len(low) < self._gutter + zero < width - len(high) - 1:
            line[self._gutter + zero] = "0"
        return Content("".join(line)[:width])
