"""Lesson scripts: a guided tour of phases, each with a note, an optional pinned cell or a quiz.

`--lesson FILE.toml`, or `--lesson NAME` for one shipped in the package (read with
importlib.resources, so it works after a plain install).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from scratchnet.names import canonical_name

_PIN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]\s*$")
STEP_KEYS = {"phase", "epoch", "note", "pin", "quiz"}


class LessonError(ValueError):
    """One line: what is wrong with a lesson, and where."""


@dataclass(frozen=True)
class LessonStep:
    phase: str
    note: str
    line: int
    epoch: int = 0
    pin: tuple[str, tuple[int, int]] | None = None
    quiz: bool = False


@dataclass(frozen=True)
class Lesson:
    title: str
    source: str
    steps: tuple[LessonStep, ...]


def shipped_lessons() -> list[str]:
    return sorted(p.name[:-5] for p in files("backprop_tui").joinpath("lessons").iterdir() if p.name.endswith(".toml"))


def parse_pin(text: str) -> tuple[str, tuple[int, int]] | None:
    """'W2[3,1]', 'dL_dyhat[0,0]', 'W2_new[1,0]' → (canonical name, cell)."""
    match = _PIN.match(text)
    if match is None:
        return None
    return canonical_name(match[1]), (int(match[2]), int(match[3]))


def _step_lines(text: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[step]]")]


def _key_line(text: str, start: int, key: str) -> int:
    for number, line in enumerate(text.splitlines()[start:], start + 1):
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return number
        if number > start + 1 and line.strip().startswith("["):
            break
    return start


def load_lesson(name_or_path: str) -> Lesson:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        source = str(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise LessonError(f"{path}: not UTF-8 text") from None
        except OSError as error:
            raise LessonError(f"{path}: cannot be read ({error.strerror})") from None
    else:
        if name_or_path not in shipped_lessons():
            raise LessonError(f"no lesson named {name_or_path!r} (shipped: {', '.join(shipped_lessons())}; "
                              "or give a path to a .toml file)")
        source = name_or_path
        text = files("backprop_tui").joinpath("lessons", f"{name_or_path}.toml").read_text("utf-8")
    return parse_lesson(text, source)


def parse_lesson(text: str, source: str) -> Lesson:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LessonError(f"{source}: not valid TOML: {error}") from None
    for key in document:
        if key not in ("title", "step"):
            raise LessonError(f"{source}:1:1: unknown key {key!r} (a lesson has a title and [[step]] tables)")
    title = document.get("title", "Lesson")
    if not isinstance(title, str):
        raise LessonError(f"{source}:1:1: title must be text")
    raw_steps = document.get("step")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise LessonError(f"{source}:1:1: a lesson needs at least one [[step]]")
    lines = _step_lines(text)
    steps = []
    for number, raw in enumerate(raw_steps, 1):
        line = lines[number - 1] if number - 1 < len(lines) else 1

        def fail(key: str, message: str, line: int = line, number: int = number) -> LessonError:
            return LessonError(f"{source}:{_key_line(text, line, key)}:1: step {number}: {message}")

        if not isinstance(raw, dict):
            raise LessonError(f"{source}:{line}:1: step {number} must be a table")
        for key in raw:
            if key not in STEP_KEYS:
                raise fail(key, f"unknown key {key!r} (steps take {', '.join(sorted(STEP_KEYS))})")
        phase, note = raw.get("phase"), raw.get("note")
        if not isinstance(phase, str):
            raise fail("phase", "needs phase = \"forward.1\" (a phase key)")
        if not isinstance(note, str) or not note.strip():
            raise fail("note", "needs a note")
        epoch = raw.get("epoch", 0)
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
            raise fail("epoch", "epoch must be a whole number ≥ 0")
        quiz = raw.get("quiz", False)
        if not isinstance(quiz, bool):
            raise fail("quiz", "quiz must be true or false")
        pin = None
        if "pin" in raw:
            pin = parse_pin(raw["pin"]) if isinstance(raw["pin"], str) else None
            if pin is None:
                raise fail("pin", f"pin must look like W2[3,1] (got {raw['pin']!r})")
        steps.append(LessonStep(phase=phase, note=note.strip(), line=line, epoch=epoch, pin=pin, quiz=quiz))
    return Lesson(title, source, tuple(steps))


def validate_lesson(lesson: Lesson, phase_keys: list[str], matrix_names: set[str]) -> None:
    """Every step must name a phase of this network, and a matrix it really has."""
    for number, step in enumerate(lesson.steps, 1):
        if step.phase not in phase_keys:
            raise LessonError(f"{lesson.source}:{step.line}:1: step {number} names unknown phase {step.phase!r} "
                              f"(this network has {phase_keys[0]} … {phase_keys[-1]})")
        if step.pin is not None and step.pin[0] not in matrix_names:
            raise LessonError(f"{lesson.source}:{step.line}:1: step {number} pins unknown matrix {step.pin[0]!r}")
