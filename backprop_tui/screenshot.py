"""An SVG of the screen as a person sees it, without the notifications (the last "Saved" among them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

TRIES = 20
"""Refreshes to wait for the notifications to leave the picture."""


def shoot_without_toasts(app: App[Any], then: Callable[[str], object], tries: int = TRIES) -> None:
    """Hide the notifications, wait until they are no longer drawn, export the screen, show them again, and
    hand the SVG to `then`."""
    racks = list(app.screen.query("#textual-toastrack"))

    def shoot(tries: int) -> None:
        for rack in racks:  # (again: a shot taken just before has shown them again)
            rack.display = False
        if tries and any(toast.region for rack in racks for toast in rack.query("Toast")):  # still drawn
            app.call_after_refresh(shoot, tries - 1)
            return
        try:
            text = app.export_screenshot()
        finally:
            for rack in racks:
                rack.display = True
        then(text)

    shoot(tries)
