"""How one number is written in a matrix cell: 4 decimals, or scientific when that would lie."""

from __future__ import annotations

import math

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
