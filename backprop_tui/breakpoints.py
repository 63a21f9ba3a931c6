"""The breakpoints a learner sets, without Textual: phases to stop at and conditions to continue until.

`b` toggles a phase, the editor (`B`) adds, enables, disables and deletes entries, `--break` and session files and
lessons add conditions. What `C` continues until is `conditions()`: the enabled ones, parsed; the phases say where
a continue with no condition stops (that phase of the next iteration).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from scratchnet.conditions import Condition, ConditionError, check_matrices, parse_condition


@dataclass(frozen=True)
class Entry:
    """One breakpoint: a phase key (`phase`) or a condition's text in normal form."""

    kind: str
    """"phase" or "condition"."""
    text: str
    enabled: bool = True

    @property
    def label(self) -> str:
        return f"phase {self.text}" if self.kind == "phase" else self.text


class Breakpoints:
    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self.entries: list[Entry] = list(entries)

    def __bool__(self) -> bool:
        return any(entry.enabled for entry in self.entries)

    # --- phases ------------------------------------------------------------------------------------------------

    def has_phase(self, key: str) -> bool:
        return any(entry.kind == "phase" and entry.text == key and entry.enabled for entry in self.entries)

    def toggle_phase(self, key: str) -> bool:
        """b: a breakpoint on this phase, or none if it had one. Returns whether it has one now."""
        for index, entry in enumerate(self.entries):
            if entry.kind == "phase" and entry.text == key:
                del self.entries[index]
                return False
        self.entries.append(Entry("phase", key))
        return True

    def phases(self) -> list[str]:
        return [entry.text for entry in self.entries if entry.kind == "phase" and entry.enabled]

    # --- conditions --------------------------------------------------------------------------------------------

    def add_condition(self, text: str, known: set[str] | None = None) -> Condition:
        """Parse and add a condition (once: the same condition again is not added twice). ConditionError, with the
        column, for one that cannot be read or reads a matrix this network has not got (`known`: its names)."""
        condition = parse_condition(text)
        if known is not None:
            check_matrices(condition, known, text)
        normal = str(condition)
        if not any(entry.kind == "condition" and entry.text == normal for entry in self.entries):
            self.entries.append(Entry("condition", normal))
        return condition

    def conditions(self) -> list[Condition]:
        """The enabled conditions, parsed (they were checked when added)."""
        return [parse_condition(entry.text) for entry in self.entries if entry.kind == "condition" and entry.enabled]

    # --- the editor ------------------------------------------------------------------------------------------------

    def toggle(self, index: int) -> None:
        entry = self.entries[index]
        self.entries[index] = replace(entry, enabled=not entry.enabled)

    def delete(self, index: int) -> None:
        del self.entries[index]


def read_conditions(texts: Iterable[str], known: set[str]) -> list[Condition]:
    """Conditions given as text (a session file, a lesson), each checked; ConditionError for the first bad one."""
    conditions = []
    for text in texts:
        condition = parse_condition(text)
        check_matrices(condition, known, text)
        conditions.append(condition)
    return conditions


__all__ = ["Breakpoints", "ConditionError", "Entry", "read_conditions"]
