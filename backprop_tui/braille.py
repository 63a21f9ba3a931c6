"""Braille dots: a cell of the terminal holds 2 × 4 of them, the finest a plot of text can draw.

No Textual here: a mask of dots in, rows of characters out.
"""

from __future__ import annotations

import numpy as np

BLANK = chr(0x2800)
"""The empty braille cell, drawn as a space: some fonts show it as faint dots."""
_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""The braille bit of the dot at (row, column) of a cell's 4 × 2."""


def braille(dots: np.ndarray) -> list[str]:
    """A (4·rows) × (2·cols) mask of dots as rows of braille characters."""
    rows, cols = dots.shape[0] // 4, dots.shape[1] // 2
    codes = np.full((rows, cols), 0x2800, dtype=np.int64)
    for r in range(4):
        for c in range(2):
            codes += dots[r::4, c::2][:rows, :cols] * _BITS[r][c]
    return ["".join(map(chr, row)).replace(BLANK, " ") for row in codes]


def line_dots(levels: np.ndarray, height: int) -> np.ndarray:
    """A height × len(levels) mask with a dot at each column's level (0 at the top), each joined to the one before
    it, so a steep stretch stays a line."""
    dots = np.zeros((height, len(levels)), dtype=bool)
    for x, y in enumerate(levels):
        before = levels[x - 1] if x else y
        if before > y:  # rising: from this dot down to just above the one before
            dots[y:before, x] = True
        elif before < y:
            dots[before + 1:y + 1, x] = True
        else:
            dots[y, x] = True
    return dots


def runs(text: str, styles: list[str]) -> list[tuple[str, str]]:
    """`text` cut where its per-character style changes: one (text, style) piece per run, not per character."""
    pieces: list[tuple[str, str]] = []
    start = 0
    for end in range(1, len(text) + 1):
        if end == len(text) or styles[end] != styles[start]:
            pieces.append((text[start:end], styles[start]))
            start = end
    return pieces
