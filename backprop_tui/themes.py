"""Projector themes: the names the command line takes, and the two themes we add to Textual's."""

from __future__ import annotations

from textual.theme import Theme

from backprop_tui.config import THEME_NAMES

HIGH_CONTRAST = Theme(
    name="backprop-high-contrast",
    primary="#ffffff",
    secondary="#ffff00",
    accent="#ffff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    success="#00ffff",
    warning="#ffff00",
    error="#ff66ff",
    dark=True,
)

MONOCHROME = Theme(
    name="backprop-monochrome",
    primary="#bbbbbb",
    secondary="#888888",
    accent="#ffffff",
    foreground="#e8e8e8",
    background="#000000",
    surface="#111111",
    panel="#222222",
    success="#cccccc",
    warning="#dddddd",
    error="#ffffff",
    dark=True,
)

THEMES = dict(zip(THEME_NAMES, ("textual-dark", "textual-light", HIGH_CONTRAST.name, MONOCHROME.name), strict=True))
"""Command-line name → Textual theme name."""

MONOCHROME_THEMES = {MONOCHROME.name}
"""Themes whose heat map uses brightness only, no hue."""


def theme_flag(theme: str) -> str:
    """The command-line name of a Textual theme; "dark" for one the command line cannot name."""
    return next((flag for flag, name in THEMES.items() if name == theme), "dark")
