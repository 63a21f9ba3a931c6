"""What a loss plot draws, worked out once for the screen's widget and the SVG file: the curves, cut where a
loss is missing and thinned to the picture's width; their markers; the axes; and what could not be drawn.

No Textual here. A loss that is NaN or ±inf (or ≤ 0 on a log scale) is never drawn and never joined across:
the line stops, a mark stands at the top of the plot over that epoch, and a note says how many and from
which epoch. Thinning keeps each column's lowest and highest loss in their order, so 10,000 epochs draw as
fast as 300 and a spike is never thinned away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from backprop_tui.plot_scale import Axis, epoch_axis, loss_axis

MAX_RUNS = 64
"""Pieces one curve is cut into at most: past that only the widest gaps cut it (the marks still show all)."""


class CurveKind(Enum):
    TRAINING = "training"
    HELD_OUT = "held-out"
    RUNNING = "running"
    BRANCH = "branch"


@dataclass(frozen=True)
class LossSeries:
    """One curve: its name in the legend, its loss per epoch, and the epoch its first loss belongs to."""

    label: str
    losses: Sequence[float]
    first_epoch: int = 0
    kind: CurveKind = CurveKind.TRAINING


@dataclass(frozen=True)
class CurveStyle:
    """How a curve is told apart without colour: its marker (a glyph on screen, a shape in the file) and its
    dash pattern in the file; the colour (Okabe–Ito, safe for colour-blind readers) only helps."""

    glyph: str
    shape: str
    dash: str
    colour: str
    theme_colour: str
    """The Textual theme's variable the screen colours the curve with."""


TRAINING_STYLE = CurveStyle("●", "circle", "", "#0072B2", "primary")
HELD_OUT_STYLE = CurveStyle("■", "square", "7 4", "#D55E00", "warning")
RUNNING_STYLE = CurveStyle("+", "plus", "2 3", "#555555", "secondary")
BRANCH_STYLES = (
    CurveStyle("▲", "triangle", "10 3 2 3", "#E69F00", "success"),
    CurveStyle("◆", "diamond", "4 2", "#009E73", "accent"),
    CurveStyle("▼", "triangle-down", "12 5", "#CC79A7", "error"),
)
MISSING_GLYPH = "✗"
"""Stands at the top of the plot over an epoch whose loss is missing from the picture."""


def styles_for(series: Sequence[LossSeries]) -> list[CurveStyle]:
    """Each curve's style: fixed by its kind, branches in turn. More than three branches is a caller's error."""
    branches = iter(BRANCH_STYLES)
    fixed = {CurveKind.TRAINING: TRAINING_STYLE, CurveKind.HELD_OUT: HELD_OUT_STYLE, CurveKind.RUNNING: RUNNING_STYLE}
    styles = []
    for one in series:
        if one.kind is CurveKind.BRANCH:
            style = next(branches, None)
            if style is None:
                raise ValueError(f"a loss plot tells apart at most {len(BRANCH_STYLES)} branches")
            styles.append(style)
        else:
            styles.append(fixed[one.kind])
    return styles


@dataclass(frozen=True)
class Missing:
    """A curve's losses that are not drawn: NaN or ±inf, and on a log scale those ≤ 0."""

    not_finite: int
    not_positive: int
    first_epoch: int | None
    epochs: np.ndarray
    """The epochs to mark, at most one per column of the picture."""

    @property
    def count(self) -> int:
        return self.not_finite + self.not_positive


@dataclass(frozen=True)
class PreparedCurve:
    label: str
    kind: CurveKind
    style: CurveStyle
    runs: tuple[tuple[np.ndarray, np.ndarray], ...]
    """Pieces of line as (epochs, height as a fraction of the loss axis), thinned; two points at least each."""
    dots: tuple[np.ndarray, np.ndarray]
    """Marker positions: a few spread along the curve, and every loss that stands alone between gaps."""
    missing: Missing


@dataclass(frozen=True)
class LossFrame:
    """Everything a picture of the plot needs, in epochs across and fractions of the loss axis up."""

    curves: tuple[PreparedCurve, ...]
    x: Axis
    y: Axis
    log_scale: bool
    notes: tuple[str, ...]
    """A sentence per curve with losses not drawn: how many, why, from which epoch."""
    summary: str
    """The same in one short line, for a picture with no room for the sentences; "" when all is drawn."""


def prepare(series: Sequence[LossSeries], log_scale: bool, *, columns: int, markers: int = 8,
            x_ticks: int = 6, y_ticks: int = 5) -> LossFrame:
    """Work out the plot of `series` for a picture `columns` points wide (curves are thinned to that), with
    about `markers` markers per curve and at most `x_ticks`, `y_ticks` ticks."""
    styles = styles_for(series)
    columns = max(columns, 1)
    losses = [np.asarray(one.losses, dtype=np.float64).ravel() for one in series]
    shown = [_shown(values, log_scale) for values in losses]
    heights = [np.log10(values, where=mask, out=np.zeros_like(values)) if log_scale else values
               for values, mask in zip(losses, shown)]
    drawn = np.concatenate([h[m] for h, m in zip(heights, shown)]) if series else np.zeros(0)
    spans = [(one.first_epoch, one.first_epoch + len(values) - 1) for one, values in zip(series, losses) if len(values)]
    first = min((a for a, _ in spans), default=0)
    last = max((b for _, b in spans), default=0)
    x = epoch_axis(first, last, x_ticks)
    y = loss_axis(drawn, log_scale, y_ticks)
    curves = []
    for number, (one, style, values, mask, height) in enumerate(zip(series, styles, losses, shown, heights)):
        epochs = np.arange(one.first_epoch, one.first_epoch + len(values), dtype=np.float64)
        fraction = y.fractions(np.where(mask, height, y.low))
        runs, lone = _runs(epochs, fraction, mask, x, columns)
        offset = (number + 1) / (len(series) + 1)
        dots = _spread(epochs, fraction, mask, x, markers, offset)
        dots = (np.concatenate([dots[0], lone[0]]), np.concatenate([dots[1], lone[1]]))
        curves.append(PreparedCurve(one.label, one.kind, style, runs, dots,
                                    _missing(epochs, values, mask, log_scale, x, columns)))
    return LossFrame(tuple(curves), x, y, log_scale, tuple(_notes(curves)), _summary(curves))


def _shown(values: np.ndarray, log_scale: bool) -> np.ndarray:
    finite = np.isfinite(values)
    return finite & (values > 0) if log_scale else finite


def _runs(epochs: np.ndarray, fraction: np.ndarray, mask: np.ndarray, x: Axis,
          columns: int) -> tuple[tuple[tuple[np.ndarray, np.ndarray], ...], tuple[np.ndarray, np.ndarray]]:
    """The pieces of line between missing losses, thinned, and the lone losses no line can draw."""
    if not mask.any():
        return (), (np.zeros(0), np.zeros(0))
    edges = np.diff(np.concatenate([[False], mask, [False]]).astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if len(starts) > MAX_RUNS:
        gaps = starts[1:] - ends[:-1]
        widest = np.sort(np.argsort(-gaps, kind="stable")[: MAX_RUNS - 1])
        starts, ends = np.concatenate([starts[:1], starts[1:][widest]]), np.concatenate([ends[:-1][widest], ends[-1:]])
    runs, lone_x, lone_y = [], [], []
    for start, end in zip(starts, ends):
        keep = np.flatnonzero(mask[start:end]) + start
        if len(keep) == 1:
            lone_x.append(epochs[keep])
            lone_y.append(fraction[keep])
            continue
        runs.append(thin(epochs[keep], fraction[keep], x.low, x.high, columns))
    lone = (np.concatenate(lone_x), np.concatenate(lone_y)) if lone_x else (np.zeros(0), np.zeros(0))
    return tuple(runs), lone


def thin(epochs: np.ndarray, heights: np.ndarray, low: float, high: float,
         columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most the lowest and highest point of each of `columns` columns, in their order, and both ends: the
    line a picture of that width would draw from every point. Returns the points kept, as given."""
    n = len(heights)
    if n <= 2 * columns + 2:
        return epochs, heights
    column = np.clip(((epochs - low) * (columns / max(high - low, 1e-12))).astype(np.int64), 0, columns - 1)
    starts = np.flatnonzero(np.concatenate([[True], column[1:] != column[:-1]]))
    segment = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    index = np.arange(n)
    lowest = np.minimum.reduceat(np.where(heights == np.minimum.reduceat(heights, starts)[segment], index, n), starts)
    highest = np.minimum.reduceat(np.where(heights == np.maximum.reduceat(heights, starts)[segment], index, n), starts)
    keep = np.unique(np.concatenate([lowest, highest, [0, n - 1]]))
    return epochs[keep], heights[keep]


def _spread(epochs: np.ndarray, fraction: np.ndarray, mask: np.ndarray, x: Axis, markers: int,
            offset: float) -> tuple[np.ndarray, np.ndarray]:
    """About `markers` marker positions evenly over the whole epoch axis, shifted by `offset` of a step so the
    markers of curves that lie on each other do not cover each other; only on losses that are drawn."""
    if len(epochs) == 0 or markers <= 0:
        return np.zeros(0), np.zeros(0)
    wanted = x.low + (np.arange(markers) + offset) * ((x.high - x.low) / markers)
    index = np.unique(np.rint(wanted - epochs[0]).astype(np.int64))
    index = index[(index >= 0) & (index < len(epochs))]
    index = index[mask[index]]
    return epochs[index], fraction[index]


def _missing(epochs: np.ndarray, values: np.ndarray, mask: np.ndarray, log_scale: bool, x: Axis,
             columns: int) -> Missing:
    absent = ~mask
    not_finite = int((~np.isfinite(values)).sum())
    first = int(epochs[np.argmax(absent)]) if absent.any() else None
    marked = epochs[absent]
    if len(marked) > columns:
        column = ((marked - x.low) * (columns / max(x.high - x.low, 1e-12))).astype(np.int64)
        marked = marked[np.unique(column, return_index=True)[1]]
    return Missing(not_finite, int(absent.sum()) - not_finite, first, marked)


def _notes(curves: Sequence[PreparedCurve]) -> list[str]:
    """One line per curve with losses left out: how many, why, and the first epoch."""
    notes = []
    for curve in curves:
        missing = curve.missing
        if not missing.count:
            continue
        parts = []
        if missing.not_finite:
            parts.append(f"{_epochs(missing.not_finite)} NaN or inf")
        if missing.not_positive:
            parts.append(f"{_epochs(missing.not_positive)} ≤ 0, which a log scale cannot show")
        notes.append(f"{MISSING_GLYPH} {curve.label}: {' and '.join(parts)} (first: epoch {missing.first_epoch}),"
                     " not drawn")
    return notes


def _summary(curves: Sequence[PreparedCurve]) -> str:
    parts = []
    for curve in curves:
        missing = curve.missing
        counts = [f"{n:,} {why}" for n, why in ((missing.not_finite, "NaN/inf"), (missing.not_positive, "≤ 0")) if n]
        if counts:
            parts.append(f"{curve.label} {' + '.join(counts)} from epoch {missing.first_epoch}")
    return f"{MISSING_GLYPH} not drawn: " + "; ".join(parts) if parts else ""


def _epochs(count: int) -> str:
    return f"{count:,} epoch" + ("" if count == 1 else "s")
