"""How one number is written in a matrix cell: 4 decimals, or scientific when that would lie."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import partial

import numpy as np

from scratchnet.debugger.explain import Explanation

MINUS = "−"
CELL_WIDTH = 8
"""Characters a number may take: "−12.3456", "−1.2e+05", "NaN", "−∞"."""


def format_value(value: float, decimals: int = 4, width: int = CELL_WIDTH) -> str:
    """Fixed point with 4 decimals while it fits and stays truthful; else fewer decimals; else scientific.

    A tiny non-zero value is never shown as 0.0000, and a negative zero keeps its
    sign, since either would misstate what the computation produced.
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else MINUS + "∞"
    sign = MINUS if math.copysign(1.0, value) < 0 else ""
    magnitude = abs(value)
    tiny = magnitude != 0 and magnitude < 0.5 * 10 ** -decimals
    if not tiny:
        # Big values give up decimals (down to one) before going scientific.
        for places in range(decimals, 0, -1):
            fixed = f"{magnitude:.{places}f}"
            if len(sign) + len(fixed) <= width:
                return sign + fixed
    for digits in range(width, -1, -1):
        mantissa, exponent = f"{magnitude:.{digits}e}".split("e")
        text = f"{sign}{mantissa}e{int(exponent):+03d}"
        if len(text) <= width:
            return text
    return text


def format_short(value: float) -> str:
    """A number as a cell writes it, for running text: `format_value` without padding."""
    return format_value(value).strip()


def operand_text(value: float, digits: int) -> str:
    """An operand in a worked calculation: `digits` significant digits, thousands grouped (3,329.4)."""
    text = f"{value:,.{digits}g}"
    return text.replace("-", MINUS)


def _exact(text: str) -> Fraction:
    """A written number as the exact value a person reads: 3,329.4 is 33294/10, not the float nearest it."""
    return Fraction(text.replace(",", "").replace(MINUS, "-"))


def rounds_to(value: Fraction, shown: str) -> bool:
    """Whether `value` is written as `shown` to the digits `shown` has, beyond doubt: strictly within half a
    unit of its last digit (a value exactly halfway could be rounded either way by the person checking)."""
    try:
        written = Decimal(shown.replace(MINUS, "-"))
    except ArithmeticError:  # NaN, ∞: nothing to check by hand
        return False
    exponent = written.as_tuple().exponent
    if not written.is_finite() or not isinstance(exponent, int):
        return False
    return abs(value - Fraction(written)) < Fraction(1, 2) * Fraction(10) ** exponent


def reproducing(operands: Sequence[float], combine: Callable[..., Fraction], shown: str,
                fewest: int = 4) -> list[str]:
    """The operands written with the fewest significant digits (at least `fewest`) such that working the
    calculation by hand from the written numbers gives `shown`, the result as it is displayed.

    Four digits of each operand rarely give four decimals of a result: (3,329 − 1,981) / 876.6 is
    1.5378, not the 1.5381 the data holds. A learner checking our arithmetic must get our answer.
    """
    for digits in range(fewest, 18):
        texts = [operand_text(value, digits) for value in operands]
        try:
            if rounds_to(combine(*map(_exact, texts)), shown):
                return texts
        except (ZeroDivisionError, ValueError, OverflowError):
            break
    return [operand_text(value, 17) for value in operands]


def column_format(values: np.ndarray, width: int = CELL_WIDTH) -> Callable[[float], str]:
    """One format for a whole column of raw values: the most decimals (up to 4) that let its largest
    value fit, else scientific for every cell, so a column never mixes 316500.0 with 92500.00 and 3.0e+05."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    largest = float(np.max(np.abs(finite))) if finite.size else 0.0
    for places in range(4, -1, -1):
        if len(f"{-largest:.{places}f}") <= width:
            return partial(_fixed, places=places)
    digits = max(0, width - 7)  # −d.ddde+05

    def scientific(value: float) -> str:
        if not math.isfinite(value):
            return format_value(value)
        mantissa, exponent = f"{abs(value):.{digits}e}".split("e")
        return f"{MINUS if value < 0 else ''}{mantissa}e{int(exponent):+03d}"

    return scientific


def _fixed(value: float, *, places: int) -> str:
    if not math.isfinite(value):
        return format_value(value)
    return f"{value:.{places}f}".replace("-", MINUS)


def reproducing_decimals(operands: Sequence[float], combine: Callable[..., Fraction], shown: str,
                         fewest: int = 4) -> int:
    """The fewest decimals (at least `fewest`) at which operands written by `_operand` give `shown` when the
    calculation is worked exactly from the written numbers; `fewest` if none do up to 17 (a sum that
    cancels, or a non-finite one)."""
    for decimals in range(fewest, 18):
        try:
            if rounds_to(combine(*(_exact(_operand(value, decimals)) for value in operands)), shown):
                return decimals
        except (ZeroDivisionError, ValueError, OverflowError):  # an operand written as NaN or ∞
            break
    return fewest


def expansion_text(explanation: Explanation) -> str:
    """An explanation as the inspector writes it: the total to 4 decimals, and, where every operand is
    written out, the operands with as many decimals as a hand calculation needs to give that total."""
    operand, total = _expansion_formats(explanation)
    return explanation.text(operand, lambda value: total)


def expansion_latex(explanation: Explanation, per_line: int = 0) -> str | None:
    """`expansion_text` in LaTeX, digit for digit (None where the operation has not written its words in LaTeX);
    `per_line`: over several lines, that many terms to a line."""
    operand, total = _expansion_formats(explanation)
    return explanation.latex_text(lambda value: latex_number(operand(value)), lambda value: latex_number(total),
                                  per_line)


def _expansion_formats(explanation: Explanation) -> tuple[Callable[[float], str], str]:
    """How the inspector writes an expansion's operands, and its total."""
    total = format_value(explanation.total).strip()
    decimals = 4
    if explanation.complete and math.isfinite(explanation.total):
        decimals = reproducing_decimals(explanation.operands, explanation.by_hand, total)
    return partial(_operand, decimals=decimals), total


def latex_number(text: str) -> str:
    """A number as a cell writes it, in LaTeX: −1.2e+05 is -1.2 \\times 10^{5}, ∞ is \\infty, NaN upright."""
    text = text.strip().replace(MINUS, "-").replace(",", "{,}")
    if text in ("NaN", "nan"):
        return r"\mathrm{NaN}"
    if text.endswith("∞"):
        return text[:-1] + r"\infty"
    mantissa, _, exponent = text.partition("e")
    if exponent:
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _operand(value: float, decimals: int) -> str:
    """An operand of an expansion: `decimals` decimals where they fit in a cell grown to hold them."""
    return format_value(value, decimals, width=max(CELL_WIDTH, decimals + 4))
