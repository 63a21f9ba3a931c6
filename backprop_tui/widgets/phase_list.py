"""All phases of the iteration, grouped Forward / Loss / Backward / Update.

The current phase is marked ▶ and the ones already passed are ticked, so a
learner always sees where they are in the whole iteration. A click (or Enter)
jumps to a phase.
"""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from scratchnet import Tape

GROUPS = {"forward": "Forward", "error": "Loss", "loss": "Loss", "loss_gradient": "Loss",
          "weight": "Backward", "bias": "Backward", "input": "Backward", "update": "Update"}


class PhaseList(OptionList):
    class Chosen(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tape: Tape | None = None
        self._current = -1
        self._marks: dict[str, str] = {}

    def show(self, tape: Tape, current: int) -> None:
        """Rebuild only when the tape's shape changes; otherwise just re-mark the prompts."""
        if self._tape is None or [p.key for p in self._tape] != [p.key for p in tape]:
            options: list[Option] = []
            group = None
            for phase in tape:
                if GROUPS[phase.kind] != group:
                    group = GROUPS[phase.kind]
                    options.append(Option(Text(group, style="bold"), id=f"group-{group}", disabled=True))
                options.append(Option(phase.title, id=phase.key))
            self.set_options(options)
            self._marks = {}
        self._tape = tape
        self._current = current
        for position, phase in enumerate(tape):
            mark = "▶ " if position == current else ("✓ " if position < current else "  ")
            if self._marks.get(phase.key) == mark:
                continue  # re-prompting clears the list's render cache: only touch what changed
            self._marks[phase.key] = mark
            style = "bold" if position == current else ("dim" if position > current else "")
            self.replace_option_prompt(phase.key, Text(mark + phase.title, style=style))
        index = self.get_option_index(tape[current].key)
        if self.highlighted != index:
            self.highlighted = index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and not event.option.id.startswith("group-"):
            self.post_message(self.Chosen(event.option.id))
