"""The id of every key binding: the names a session file's [keys] table gives other keys to.

Kept apart from the bindings themselves so a session file is checked without loading the UI;
a test holds these lists and the bindings' ids to each other. The help screen (?) shows each id
beside its key.
"""

from __future__ import annotations

BINDING_IDS: dict[str, tuple[str, ...]] = {
    "debugger": (
        "next-phase", "previous-phase", "first-phase", "last-phase", "lesson-next", "lesson-previous", "train",
        "watch-cell", "check-gradient", "show-changes", "quiz", "zoom", "reset", "follow", "export-markdown",
        "screenshot", "save-session", "continue", "breakpoint", "edit-breakpoints", "gradient-health", "help",
        "quit",
    ),
    "phase list": ("phase-list-up", "phase-list-down", "phase-list-open"),
    "matrix": ("cell-left", "cell-right", "cell-up", "cell-down", "first-cell", "last-cell"),
    "training screen": (
        "pause", "stop", "faster", "slower", "max-speed", "log-scale", "next-panel", "pictures", "export-plot",
        "open-epoch", "branch", "run-again", "continue-training", "back-to-debugger",
    ),
    "help screen": ("close-help",),
    "breakpoint editor": ("breakpoint-toggle", "breakpoint-delete", "close-breakpoints"),
}
"""Binding ids by where the keys act."""

ALL_BINDING_IDS: frozenset[str] = frozenset(binding_id for ids in BINDING_IDS.values() for binding_id in ids)
