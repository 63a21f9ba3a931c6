"""A lesson's note for the step shown, titled with where the tour is; hidden outside a lesson."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

if TYPE_CHECKING:  # lessons load only when one is given
    from backprop_tui.lesson import LessonTour


class LessonPanel(Static):
    def show(self, tour: LessonTour | None) -> None:
        step = tour.current if tour is not None else None
        self.display = step is not None
        if tour is not None and step is not None:
            self.border_title = tour.heading
            self.update(step.note)
