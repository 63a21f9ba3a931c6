"""The heat map: a diverging blue ↔ orange palette blended into the theme's background.

Blue and orange stay apart for every common colour-vision deficiency (unlike red
and green), and the sign is also written as "−", so no meaning rests on hue alone.
"""

from __future__ import annotations

import math
from functools import lru_cache

from rich.style import Style
from textual.color import Color

NEGATIVE = Color.parse("#2c7bb6")
POSITIVE = Color.parse("#e66101")
LEVELS = 8
STRENGTH = 0.7
"""How far toward the pure hue the strongest cell goes: text must stay readable on it."""


def level(value: float, scale: float) -> int:
    """−LEVELS … +LEVELS; 0 for zero, non-finite values and a zero scale."""
    if not math.isfinite(value) or not math.isfinite(scale) or scale <= 0 or value == 0:
        return 0
    magnitude = min(1.0, abs(value) / scale)
    step = max(1, math.ceil(magnitude * LEVELS))
    return step if value > 0 else -step


@lru_cache(maxsize=256)
def level_style(level_: int, background: str, foreground: str, monochrome: bool = False) -> Style:
    """One Rich style per (level, theme): a few dozen objects, reused by every cell."""
    base = Color.parse(background)
    text = Color.parse(foreground)
    if level_ == 0:
        return Style(color=text.rich_color, bgcolor=base.rich_color)
    amount = STRENGTH * abs(level_) / LEVELS
    if monochrome:
        hue = text
    else:
        hue = POSITIVE if level_ > 0 else NEGATIVE
    shade = base.blend(hue, amount)
    return Style(color=_readable(shade, text).rich_color, bgcolor=shade.rich_color)


def _readable(background: Color, preferred: Color) -> Color:
    """The theme's text colour, unless it would vanish on this shade."""
    contrast = abs(background.brightness - preferred.brightness)
    if contrast >= 0.45:
        return preferred
    return Color(0, 0, 0) if background.brightness > 0.5 else Color(255, 255, 255)
