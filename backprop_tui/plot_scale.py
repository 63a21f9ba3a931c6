"""The axes of the loss plots: their ranges, ticks and tick labels, for the screen and the SVG file alike.

Both pictures take their axes from here, so a tick the screen shows is a tick the file shows. Positions on
the loss axis are fractions of its height (0 at the bottom, 1 at the top), computed once from the losses
themselves: a picture maps a fraction to its rows or pixels and never transforms a value again. (plotext 5
applies its log scale to the data it keeps on every redraw, so the second redraw takes the log of a log.)
Fractions also keep a loss near float64's largest value from overflowing where a picture scales it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
LARGEST_DECADE = 308.0
"""10 to a larger power is no float64: log-scale ticks stop here."""


@dataclass(frozen=True)
class Axis:
    """An axis from `low` to `high`, in the axis's own units: epochs, a loss, or log₁₀ of a loss."""

    low: float
    high: float
    ticks: tuple[float, ...]
    """Tick positions, in the axis's units, ascending, all within [low, high]."""
    labels: tuple[str, ...]
    title: str

    def fractions(self, values: np.ndarray) -> np.ndarray:
        """Where `values` sit from `low` (0) to `high` (1), scaled first so no difference overflows."""
        scale = max(abs(self.low), abs(self.high), 1e-300)
        low, high = self.low / scale, self.high / scale
        return (np.asarray(values, dtype=np.float64) / scale - low) / (high - low)

    @property
    def tick_fractions(self) -> np.ndarray:
        return self.fractions(np.array(self.ticks, dtype=np.float64))


def value_range(values: np.ndarray, log_scale: bool) -> tuple[float, float]:
    """The smallest and largest of `values` (finite, already log₁₀ on a log scale), widened when they are one
    value, so an axis always has length: half a decade each way on a log scale, a tenth of the value otherwise;
    (0, 1) when there is nothing to show."""
    if values.size == 0:
        return (0.0, 1.0)
    low, high = float(values.min()), float(values.max())
    if high > low:
        return low, high
    if log_scale:
        return low - 0.5, high + 0.5
    pad = abs(low) / 10 if low != 0 else 1.0
    return max(low - pad, -sys.float_info.max), min(high + pad, sys.float_info.max)


def nice_step(low: float, high: float, max_ticks: int) -> float:
    """The smallest of 1, 2 and 5 times a power of ten whose multiples between `low` and `high` number at most
    `max_ticks`."""
    power = math.floor(math.log10((high - low) / max(max_ticks, 1)))
    for exponent in range(power - 1, power + 3):
        for multiple in (1.0, 2.0, 5.0):
            step = multiple * 10.0**exponent
            if math.floor(high / step + 1e-9) - math.ceil(low / step - 1e-9) + 1 <= max_ticks:
                return step
    return 10.0 ** (power + 3)


def linear_ticks(low: float, high: float, max_ticks: int) -> tuple[list[float], list[str]]:
    """Ticks at round values between `low` and `high`, labelled with as many decimals as the step needs.

    The step is found on values divided by a power of ten, so losses near 1e308 step without overflowing."""
    magnitude = max(abs(low), abs(high))
    scale = 10.0 ** math.floor(math.log10(magnitude)) if magnitude > 0 else 1.0
    lo, hi = low / scale, high / scale
    step = nice_step(lo, hi, max_ticks)
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    ticks = [min(max(k * step * scale, low), high) for k in range(first, last + 1)]
    return ticks, [_linear_label(tick, step * scale, magnitude) for tick in ticks]


def _linear_label(value: float, step: float, magnitude: float) -> str:
    if value == 0:
        return "0"
    if 1e-4 <= step and magnitude < 1e6:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        return f"{value:.{decimals}f}"
    digits = max(0, min(3, math.floor(math.log10(magnitude)) - math.floor(math.log10(step) + 1e-9)))
    return f"{value:.{digits}e}"


def power_label(exponent: int, multiple: int = 1) -> str:
    """10⁻³, or 2×10⁻³: a tick on a log scale says it is a power of ten."""
    power = "10" + str(exponent).translate(SUPERSCRIPT)
    return power if multiple == 1 else f"{multiple}×{power}"


def log_ticks(low: float, high: float, max_ticks: int) -> tuple[list[float], list[str]]:
    """Ticks for an axis of log₁₀ values: at powers of ten (every 2nd, 5th, … when too many); with room, at 1, 2
    and 5 (or 1 and 3) times them too when the losses span fewer than three powers; within less than a factor of
    2½, at round losses. Positions are log₁₀ of the tick's loss."""
    low, high = max(low, -LARGEST_DECADE - 15), min(high, LARGEST_DECADE)
    first, last = math.ceil(low - 1e-9), math.floor(high + 1e-9)
    if last - first >= 2:
        stride = 1
        while (last - first) // stride + 1 > max_ticks:
            stride = next(s for s in _strides() if s > stride)
        exponents = [e for e in range(first, last + 1) if e % stride == 0] or [first]
        return [float(e) for e in exponents], [power_label(e) for e in exponents]
    for multiples in ((1, 2, 5), (1, 3), (1,)):
        inside = [(math.log10(m) + e, m, e) for e in range(first - 1, last + 1) for m in multiples
                  if low - 1e-9 <= math.log10(m) + e <= high + 1e-9]
        if 2 <= len(inside) <= max_ticks:
            return [at for at, _, _ in inside], [power_label(e, m) for _, m, e in inside]
    values, labels = linear_ticks(10.0**low, 10.0**high, max_ticks)
    return [min(max(math.log10(v), low), high) for v in values if v > 0], [
        label for v, label in zip(values, labels) if v > 0
    ]


def _strides() -> list[int]:
    return [m * 10**k for k in range(4) for m in (1, 2, 5)]


def epoch_ticks(first: int, last: int, max_ticks: int) -> tuple[list[float], list[str]]:
    """Whole epochs at round steps of at least 1, labelled with thousands separators (10,000)."""
    if last <= first:
        return [float(first)], [f"{first:,}"]
    step = max(1, round(nice_step(first, last, max_ticks)))
    ticks = list(range(math.ceil(first / step) * step, last + 1, step))
    return [float(t) for t in ticks], [f"{t:,}" for t in ticks]


def loss_axis(values: np.ndarray, log_scale: bool, max_ticks: int) -> Axis:
    """The loss axis over `values` (finite, already log₁₀ on a log scale), titled to say which scale it is.
    A linear axis starts at 0 when the losses reach down to less than half their largest: a falling loss is
    read against 0, and one that has settled far from it is read on its own range (or on the log scale)."""
    low, high = value_range(values, log_scale)
    if not log_scale and 0 <= low <= high / 2:
        low = 0.0
    ticks, labels = (log_ticks if log_scale else linear_ticks)(low, high, max(max_ticks, 2))
    title = "loss (log₁₀ scale)" if log_scale else "loss"
    return Axis(low, high, tuple(ticks), tuple(labels), title)


def epoch_axis(first: int, last: int, max_ticks: int) -> Axis:
    """The epoch axis from `first` to `last`; one epoch alone still spans an epoch each way."""
    low, high = (first, last) if last > first else (first - 1, first + 1)
    ticks, labels = epoch_ticks(low, high, max(max_ticks, 2))
    return Axis(float(low), float(high), tuple(ticks), tuple(labels), "epoch")
