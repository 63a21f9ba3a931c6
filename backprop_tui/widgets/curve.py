"""One labelled loss curve on the training screen; a click on it opens the epoch under the pointer."""

from __future__ import annotations

import math

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline

from backprop_tui.messages import OpenEpoch


def sparkline_data(losses: list[float], log_scale: bool) -> list[float]:
    """Finite values only (Textual's Sparkline raises on NaN and inf), log10 on request."""
    finite = [loss for loss in losses if math.isfinite(loss)]
    if log_scale:
        finite = [math.log10(loss) for loss in finite if loss > 0]
    return finite or [0.0]


class Curve(Vertical):
    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="curve")
        self.border_title = label
        self.n_epochs = 0
        self.sparkline = Sparkline([0.0])

    def compose(self) -> ComposeResult:
        yield self.sparkline

    def show(self, losses: list[float], log_scale: bool, label: str) -> None:
        self.n_epochs = len(losses)
        self.border_title = label + ("  (log₁₀)" if log_scale else "")
        self.sparkline.data = sparkline_data(losses, log_scale)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        width = self.content_region.width
        if offset is None or self.n_epochs == 0 or width <= 0:
            return
        self.post_message(OpenEpoch(min(self.n_epochs - 1, int(offset.x / width * self.n_epochs))))
