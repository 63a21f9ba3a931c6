"""Lesson scripts: a guided tour of phases, each with a note, an optional pinned cell or a quiz.

`--lesson FILE.toml`, or `--lesson NAME` for one shipped in the package (read with
importlib.resources, so it works after a plain install). Instructors write these by
hand, so every problem is one line pointing at the place: `lesson.toml:12:1: …`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from backprop_tui.text_file import read_text
from backprop_tui.toml_writer import load_toml, locate, where
from scratchnet.debugger.names import canonical_name

if TYPE_CHECKING:
    from backprop_tui.config import RunConfig
    from backprop_tui.quiz import Quiz
    from backprop_tui.session import Session

_PHASE_KEY = re.compile(r"(forward|activation)\.\d+|softmax|error|loss|penalty|loss_gradient|"
                        r"backward\.\d+\.(activation|weight|bias|input)|update\.\d+")
_PIN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*'?|dL/dŷ)\s*\[\s*([0-9]+)\s*,\s*([0-9]+)\s*\]\s*")
STEP_KEYS = ("phase", "epoch", "note", "pin", "quiz", "flags", "train", "until")
TOP_KEYS = ("title", "flags", "breakpoints", "step")


class LessonError(ValueError):
    """One line: what is wrong with a lesson, and where."""


@dataclass(frozen=True)
class LessonStep:
    phase: str
    """A phase key, like forward.1 or backward.3.weight."""
    note: str
    line: int
    """1-based line of the step's [[step]] header, for messages."""
    epoch: int = 0
    pin: tuple[str, tuple[int, int]] | None = None
    """Canonical matrix name and cell to watch from this step on."""
    quiz: bool = False
    flags: str = ""
    """Run flags of this step's network, over the lesson's (`--activation relu`): a lesson may compare networks."""
    train: bool = False
    """Entering the step opens the training screen and runs the configured epochs."""
    until: str = ""
    """A condition: entering the step continues from where the lesson is until it holds, and opens there (its
    phase and epoch are where it stops, not written)."""


@dataclass(frozen=True)
class Lesson:
    title: str
    source: str
    """The file's path, or the shipped lesson's name."""
    steps: tuple[LessonStep, ...]
    flags: str = ""
    """Run flags the lesson starts from (`--dataset circle`), as a learner would type them; the learner's own
    flags go over them, and a step's over both."""
    flags_line: int = 1
    breakpoints: tuple[str, ...] = ()
    """Set when the lesson opens: phase keys (stop there) and conditions (continue until), as b and B set them."""


def shipped_lessons() -> list[str]:
    folder = files("backprop_tui").joinpath("lessons")
    return sorted(entry.name[: -len(".toml")] for entry in folder.iterdir() if entry.name.endswith(".toml"))


def parse_pin(text: str) -> tuple[str, tuple[int, int]] | None:
    """'W2[3,1]', 'dL_dyhat[0,0]', 'W2_new[1,0]' (or the canonical W2'[1,0]) → (canonical name, cell); None if
    the text is not a pin."""
    match = _PIN.fullmatch(text)
    if match is None:
        return None
    return canonical_name(match[1]), (int(match[2]), int(match[3]))


def load_lesson(name_or_path: str) -> Lesson:
    """A path to a .toml file, or the name of a shipped lesson; LessonError (one line) otherwise."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.is_file() or "/" in name_or_path or "\\" in name_or_path:
        return parse_lesson(_read_text(path), str(path))
    shipped = shipped_lessons()
    if name_or_path not in shipped:
        raise LessonError(f"no lesson named {name_or_path!r} (shipped: {', '.join(shipped)}; "
                          "or give a path to a .toml file)")
    text = files("backprop_tui").joinpath("lessons", f"{name_or_path}.toml").read_text("utf-8")
    return parse_lesson(text, name_or_path)


def _read_text(path: Path) -> str:
    return read_text(path, LessonError, "lesson")


def parse_lesson(text: str, source: str) -> Lesson:
    """The lesson in `text`; `source` names it in messages."""
    document = load_toml(text, source, LessonError)

    def at(table: str | None, key: str | None, occurrence: int = 0) -> tuple[int, int]:
        """Where `key` is (or its table's header, or the top of the file): messages always say a line."""
        position = locate(text, table, key, occurrence)
        if position is None and key is not None:
            position = locate(text, table, None, occurrence) if table else locate(text, key, None)
        if position is None and table is not None:
            position = locate(text, None, table)  # step = [{…}] written inline
        return position or (1, 1)

    for key in document:
        if key not in TOP_KEYS:
            raise LessonError(f"{where(source, at(None, key))}: unknown key {key!r} "
                              "(a lesson has a title, flags and [[step]] tables)")
    flags = document.get("flags", "")
    if not isinstance(flags, str):
        raise LessonError(f"{where(source, at(None, 'flags'))}: flags must be a string, like \"--dataset circle\"")
    title = document.get("title", "Lesson")
    if not isinstance(title, str):
        raise LessonError(f"{where(source, at(None, 'title'))}: title must be a string")
    raw_steps = document.get("step")
    if raw_steps is None or raw_steps == []:
        raise LessonError(f"{where(source, at(None, 'step'))}: a lesson needs at least one [[step]]")
    if not isinstance(raw_steps, list) or not all(isinstance(raw, dict) for raw in raw_steps):
        raise LessonError(f"{where(source, at(None, 'step'))}: step must be an array of tables ([[step]])")
    steps = [_step(raw, index, source, at) for index, raw in enumerate(raw_steps)]
    return Lesson(title, source, tuple(steps), flags.strip(), at(None, "flags")[0],
                  _breakpoints(document.get("breakpoints", []), source, at(None, "breakpoints")))


def is_phase_key(text: str) -> bool:
    """Whether `text` has the form of a phase key (some network's), not of a condition."""
    return _PHASE_KEY.fullmatch(text) is not None


def _breakpoints(raw: object, source: str, position: tuple[int, int]) -> tuple[str, ...]:
    """`breakpoints = ["backward.1.weight", "nan", "norm(dW1) > 10"]`: phase keys as they are, conditions in normal
    form (one that cannot be read says where)."""
    from scratchnet.conditions import ConditionError, parse_condition

    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise LessonError(f"{where(source, position)}: breakpoints must be a list of strings: phase keys or "
                          "conditions, like [\"backward.1.weight\", \"nan\"]")
    entries = []
    for item in raw:
        if _PHASE_KEY.fullmatch(item):
            entries.append(item)
            continue
        try:
            entries.append(str(parse_condition(item)))
        except ConditionError as error:
            raise LessonError(f"{where(source, position)}: breakpoints: {error}") from None
    return tuple(entries)


def _step(raw: dict, index: int, source: str, at: Callable[..., tuple[int, int]]) -> LessonStep:
    number = index + 1

    def fail(key: str | None, message: str) -> LessonError:
        return LessonError(f"{where(source, at('step', key, index))}: step {number}: {message}")

    for key in raw:
        if key not in STEP_KEYS:
            raise fail(key, f"unknown key {key!r} (steps take {', '.join(STEP_KEYS)})")
    phase, note, until = raw.get("phase"), raw.get("note"), raw.get("until", "")
    if not isinstance(until, str):
        raise fail("until", "until must be a condition in a string, like until = \"nan\"")
    if until:
        from scratchnet.conditions import ConditionError, parse_condition

        try:
            until = str(parse_condition(until))
        except ConditionError as error:
            raise fail("until", f"until: {error}") from None
        if "phase" in raw or "epoch" in raw:
            raise fail("phase" if "phase" in raw else "epoch",
                       "a step with until opens where the condition holds: it takes no phase or epoch")
        phase = "forward.1"
    if not isinstance(phase, str):
        raise fail("phase", "needs phase = \"forward.1\" (a phase key), or until = \"nan\"")
    if not isinstance(note, str) or not note.strip():
        raise fail("note", "needs a note (a sentence or three shown beside the phase)")
    epoch = raw.get("epoch", 0)
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise fail("epoch", "epoch must be a whole number ≥ 0")
    quiz, train = raw.get("quiz", False), raw.get("train", False)
    if not isinstance(quiz, bool):
        raise fail("quiz", "quiz must be true or false")
    if not isinstance(train, bool):
        raise fail("train", "train must be true or false")
    flags = raw.get("flags", "")
    if not isinstance(flags, str):
        raise fail("flags", "flags must be a string, like \"--activation relu\"")
    pin = None
    if "pin" in raw:
        pin = parse_pin(raw["pin"]) if isinstance(raw["pin"], str) else None
        if pin is None:
            raise fail("pin", f"pin must look like W2[3,1], dL_dyhat[0,0] or W2_new[1,0] (got {raw['pin']!r})")
    line = at("step", None, index)[0]
    return LessonStep(phase=phase, note=note.strip(), line=line, epoch=epoch, pin=pin, quiz=quiz, flags=flags.strip(),
                      train=train, until=until)


def validate_lesson(lesson: Lesson, phase_keys: list[str], matrix_names: set[str], flags: str | None = None,
                    steps: Collection[int] | None = None) -> None:
    """Every step must name a phase of this network, and pin a matrix it really has (canonical names). `flags`: check
    only the steps with these flags (those that run on this network); `steps`: only these (indices from 0). The
    lesson's breakpoints must fit the network it opens on (`flags` None or the first step's)."""
    if flags is None or (lesson.steps and flags == lesson.steps[0].flags):
        from scratchnet.conditions import ConditionError, check_matrices, parse_condition

        for entry in lesson.breakpoints:
            if _PHASE_KEY.fullmatch(entry):
                if entry not in phase_keys:
                    raise LessonError(f"{lesson.source}: breakpoints: phase {entry!r} is not one of this network's")
                continue
            try:
                check_matrices(parse_condition(entry), matrix_names, entry)
            except ConditionError as error:
                raise LessonError(f"{lesson.source}: breakpoints: {error}") from None
    for number, step in enumerate(lesson.steps, 1):
        if flags is not None and step.flags != flags or steps is not None and number - 1 not in steps:
            continue
        place = f"{lesson.source}:{step.line}:1"
        if step.until:
            from scratchnet.conditions import ConditionError, check_matrices, parse_condition

            try:
                check_matrices(parse_condition(step.until), matrix_names, step.until)
            except ConditionError as error:
                raise LessonError(f"{place}: step {number} until: {error}") from None
        if step.phase not in phase_keys:
            span = f"{phase_keys[0]} … {phase_keys[-1]}" if phase_keys else "no phases"
            raise LessonError(f"{place}: step {number} names unknown phase {step.phase!r} (this network has {span})")
        if step.pin is not None and step.pin[0] not in matrix_names:
            raise LessonError(f"{place}: step {number} pins unknown matrix {step.pin[0]!r}")


def steps_at(lesson: Lesson, epoch: int, flags: Collection[str] | None = None) -> list[int]:
    """The steps (indices from 0) that open a phase of epoch `epoch`'s first iteration, as `]` would: not those that
    continue until a condition holds, which open wherever it does. `flags`: only the steps with one of these flags."""
    return [index for index, step in enumerate(lesson.steps)
            if step.epoch == epoch and not step.until and (flags is None or step.flags in flags)]


class LessonTour:
    """Where a lesson is: the step shown (−1 before the first), and where ] and [ lead from there."""

    def __init__(self, lesson: Lesson, runs: Mapping[str, RunConfig] | None = None) -> None:
        self.lesson = lesson
        self.step = -1
        self.runs = dict(runs or {})
        """A step's flags → the run it shows (built from the lesson's flags, the learner's and the step's); a lesson
        without flags has none, and every step shows the run the app started with."""
        self.shown_flags = lesson.steps[0].flags
        """The flags of the run open now: the app starts on the first step's."""

    def run_for(self, target: int) -> RunConfig | None:
        """The run step `target` shows, or None when it is whatever run is open."""
        return self.runs.get(self.lesson.steps[target].flags)

    def switches_run(self, target: int) -> RunConfig | None:
        """The run to open for step `target` when it is not the one open now (None: stay on this one)."""
        flags = self.lesson.steps[target].flags
        if not self.runs or flags == self.shown_flags:
            return None
        self.shown_flags = flags
        return self.runs[flags]

    @property
    def current(self) -> LessonStep | None:
        return self.lesson.steps[self.step] if self.step >= 0 else None

    @property
    def heading(self) -> str:
        return f"{self.lesson.title} · step {self.step + 1}/{len(self.lesson.steps)}  ( ] next, [ back )"

    def target(self, delta: int) -> int | None:
        """The step `delta` steps on, or None where the lesson has no step there (see `why_not`)."""
        target = max(0, min(len(self.lesson.steps) - 1, self.step + delta))
        return None if target == self.step else target

    def enter(self, target: int, session: Session, quiz: Quiz) -> bool:
        """Go to step `target`: its cell watched from now on, its epoch and phase shown, its result asked
        again if it is a quiz step. Returns whether the quiz asks there (the steps without a quiz of their
        own follow --quiz and Q)."""
        self.step = target
        step = self.lesson.steps[target]
        if step.pin is not None and step.pin not in [(pin.name, pin.cell) for pin in session.pins]:
            session.pin(*step.pin)
        if step.quiz:
            quiz.revealed.discard((step.epoch, 0, step.phase))
        if not step.until:  # a step that continues until something holds opens where it stops
            session.go_to_epoch(step.epoch, step.phase)
        return step.quiz or quiz.asked

    def why_not(self, delta: int) -> tuple[str, str]:
        """(message, title) for a move past either end."""
        if delta > 0:
            return (f"The lesson has ended: that was step {self.step + 1} of {len(self.lesson.steps)}. "
                    "[ goes back; the debugger is yours.", self.lesson.title)
        return "This is the first step.", ""
