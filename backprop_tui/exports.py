"""Exports into --out: a phase as Markdown and screenshots, named after the epoch and phase. No Textual here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from backprop_tui.session import Session

if TYPE_CHECKING:
    from backprop_tui.lesson import LessonTour


class Exports:
    def __init__(self, out: Path) -> None:
        self.out = out
        """--out: where exports and screenshots go."""

    @staticmethod
    def stem(session: Session) -> str:
        return f"backprop-epoch{session.epoch}-{session.phase.key}"

    def markdown(self, session: Session, tour: LessonTour | None = None) -> tuple[str, str]:
        """(text, file name) of the phase shown, as Markdown, with the cell the inspector explains worked out; with a
        lesson on a step of this phase and epoch, the step's note beside it."""
        from backprop_tui.handout import phase_markdown
        from backprop_tui.worked_cell import inspected_cell

        phase, notes = session.phase, []
        step = None if tour is None else tour.current
        if tour is not None and step is not None and step.phase == phase.key and step.epoch == session.epoch:
            notes.append((f"Lesson step {tour.step + 1}/{len(tour.lesson.steps)}", step.note))
        text = phase_markdown(phase, session.position.phase + 1, len(session.tape), tape=session.tape,
                              worked=inspected_cell(phase, session.view), notes=notes)
        return text, self.stem(session) + ".md"

    def screenshot_name(self, session: Session, folder: Path | None = None) -> str:
        """stem.svg, or stem-2.svg, stem-3.svg, … when that is taken in `folder` (default --out)."""
        stem, folder = self.stem(session), self.out if folder is None else folder
        name, number = stem + ".svg", 1
        while (folder / name).exists():
            number += 1
            name = f"{stem}-{number}.svg"
        return name

    def write(self, text: str, name: str, folder: Path | None = None) -> tuple[bool, str]:
        """Into `folder` (default --out), atomically: (whether it was written, what to tell the person)."""
        from backprop_tui.atomic import write_atomic

        target = (self.out if folder is None else folder) / name
        try:
            path = write_atomic(target, text)
        except OSError as error:
            return False, f"Could not write {target}: {error.strerror}"
        return True, f"Saved {path}"
