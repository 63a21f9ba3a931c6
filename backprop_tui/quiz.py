"""Quiz mode's judge: is the room's prediction of a phase's result right?

Shapes may be written 1000x4, 1000×4 or (1000, 4); values (asked only for
results of at most 4 cells, and ignored with a word for larger ones) must match
to 2 decimals. The record of a quiz (what was revealed, the score) lives here too. No
Textual here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from scratchnet import Phase
from scratchnet.debugger.names import pretty_name
from scratchnet.debugger.tape import shape_text

MAX_VALUE_CELLS = 4
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Verdict:
    right: bool
    message: str


def asks_values(result: np.ndarray) -> bool:
    return np.asarray(result).size <= MAX_VALUE_CELLS


def parse_shape(text: str) -> tuple[int, ...] | None:
    """'1000x4', '1000×4', '(1000, 4)', '1x1', 'scalar' or '()'; None if it is not a shape."""
    cleaned = text.strip().lower().replace("×", "x")
    if cleaned in ("scalar", "()"):
        return ()
    if not re.search(r"[x(]", cleaned):
        return None
    parts = [part for part in re.split(r"[x,()\s]+", cleaned) if part]
    if not parts or not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def parse_values(text: str) -> list[float] | None:
    cleaned = text.replace("−", "-")
    leftover = _NUMBER.sub("", cleaned)
    if leftover.strip(" ,;[]") or not _NUMBER.search(cleaned):
        return None
    return [float(number) for number in _NUMBER.findall(cleaned)]


def _same_shape(said: tuple[int, ...], truth: tuple[int, ...]) -> bool:
    """A scalar may also be called 1x1 or 1."""
    if said == truth:
        return True
    return truth == () and said in ((1,), (1, 1))


def judge(answer: str, result: np.ndarray) -> Verdict:
    """Parts separated by ';' are each a shape or a list of values; all given parts must be right."""
    result = np.asarray(result)
    truth_shape = shape_text(result)
    parts = [part.strip() for part in answer.split(";") if part.strip()]
    if not parts:
        return Verdict(False, "no answer")
    findings: list[str] = []
    right = True
    judged = False
    for part in parts:
        shape = parse_shape(part)
        if shape is not None:
            ok = _same_shape(shape, result.shape)
            right &= ok
            judged = True
            findings.append(f"shape {truth_shape} ✓" if ok else f"the shape is {truth_shape}, not {part}")
            continue
        values = parse_values(part)
        if values is None:
            return Verdict(False, f"could not read {part!r}: give a shape like 3x2, or values like 0.12, −0.5")
        if not asks_values(result):
            findings.append(f"values ignored: they are asked only for results of at most {MAX_VALUE_CELLS} cells")
            continue
        judged = True
        truth = [float(v) for v in result.ravel()]
        ok = len(values) == len(truth) and all(
            math.isfinite(t) and abs(v - t) < 0.005 + 1e-12 for v, t in zip(values, truth)
        )
        right &= ok
        shown = ", ".join(f"{t:.2f}" for t in truth)
        findings.append(f"values {shown} ✓" if ok else f"the values are {shown}")
    if not judged:
        return Verdict(False, "; ".join(findings) + f"; the shape is what counts here, and it is {truth_shape}")
    return Verdict(right, ("Right: " if right else "Not quite: ") + "; ".join(findings))


def normalized(answer: str) -> str:
    """One way of writing an answer, so the room's tally counts `8x1000`, `8×1000` and `(8, 1000)` as one:
    shapes as 8×1000, values to 2 decimals, anything unreadable lower-cased with its spaces collapsed."""
    written = []
    for part in (part.strip() for part in answer.split(";")):
        if not part:
            continue
        shape = parse_shape(part)
        values = None if shape is not None else parse_values(part)
        if shape is not None:
            written.append("×".join(str(size) for size in shape) if shape else "scalar")
        elif values is not None:
            written.append(", ".join(f"{value:.2f}" for value in values))
        else:
            written.append(" ".join(part.lower().split()))
    return "; ".join(written)


class Quiz:
    """Quiz mode's record: which results have been revealed, the score, and the last verdict.

    Whether the quiz asks at all is the app's `quiz_mode`; this is what it has asked so far."""

    def __init__(self, asked: bool = False) -> None:
        self.asked = asked
        """Quiz mode as --quiz or Q set it: what a lesson's steps without a quiz of their own go back to."""
        self.revealed: set[tuple[int, int, str]] = set()
        """(epoch, iteration, phase key) whose result has been shown: with batches each batch asks again."""
        self.score = [0, 0]
        """Right answers, answers given."""
        self.feedback = ""
        """The verdict on the last answer, until the next move."""

    def toggled(self, on: bool) -> bool:
        """Q: quiz mode the other way round from `on`, from now on; returns it."""
        self.asked, self.feedback = not on, ""
        return self.asked

    def is_revealed(self, epoch: int, key: str, iteration: int = 0) -> bool:
        return (epoch, iteration, key) in self.revealed

    def answer(self, text: str, epoch: int, phase: Phase, iteration: int = 0) -> Verdict | None:
        """Judge a prediction of the phase's result (nothing typed: reveal it without one), then reveal it.
        Returns the verdict (None when nothing was typed), which a served session tells the room."""
        answer = text.strip()
        verdict = None
        if answer:
            verdict = judge(answer, phase.outputs[phase.result_name])
            self.score[1] += 1
            self.score[0] += verdict.right
            self.feedback = verdict.message
        else:
            self.feedback = "Revealed without an answer."
        self.revealed.add((epoch, iteration, phase.key))
        return verdict


def prompt(phase: Phase, asking: bool) -> str:
    """What the quiz panel asks for this phase's result, or says once it is revealed."""
    if not asking:
        return "Revealed. → for the next phase."
    what = f"the shape of {pretty_name(phase.result_name)}"
    if asks_values(phase.outputs[phase.result_name]):
        what += " and its values (separate them with ;)"
    return f"Predict {what}. Enter checks; Enter on nothing reveals."
