"""What the sessions of a served room say about the quiz, and what the server tells the instructor.

Three meta packets travel on the pipe textual-serve already keeps between the server and each app process:

- `backprop_answer` (an attendee's app → the server): one quiz answer, judged right or wrong by the app's own
  quiz (the server never judges), its text written one way (`quiz.normalized`) so equal answers count together;
- `backprop_status` (an attendee's app → the server): following or exploring, and where an explorer is; sent only
  when it changes (a follower's place is the instructor's, so following sends nothing as the instructor moves);
- `backprop_room` (the server → the instructor's app, never anyone else's): the room's tally for the phase the
  instructor is on.

Each end checks every field of what it receives (`clean_*`) and drops a packet that does not pass, whole: the
text of an answer is shown on the instructor's screen, so it arrives short and printable. No Textual here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from backprop_tui.config import MAX_EPOCH
from backprop_tui.follow_mode import MAX_ITERATION

ANSWER = "backprop_answer"
STATUS = "backprop_status"
ROOM = "backprop_room"
MAX_TEXT = 40
"""Characters of an answer the room keeps: a shape and four values fit; a longer answer is cut."""
MAX_KEY = 64
TOP_WRONG = 3
"""Wrong answers the instructor is shown, the most common first."""
MAX_PLACES = 24
"""Phases of the explorers' histogram the instructor is sent, the most visited first."""
MAX_PEOPLE = 100_000


class Place(NamedTuple):
    """Where in the run a session is: an epoch, a batch of it (from 0) and a phase key."""

    epoch: int
    iteration: int
    phase: str


class Answer(NamedTuple):
    place: Place
    text: str
    right: bool


class Status(NamedTuple):
    following: bool
    place: Place | None
    """Where an explorer is; None for a follower, who is where the instructor is."""


def _whole(value: object, top: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top


def _key(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_KEY and value.isprintable()


def printable(text: str, limit: int = MAX_TEXT) -> str:
    """Only printable characters, spaces collapsed, at most `limit` of them: what a screen may be given."""
    return " ".join("".join(ch for ch in text if ch.isprintable()).split())[:limit]


def clean_place(meta: Mapping[str, Any]) -> Place | None:
    epoch, iteration, phase = meta.get("epoch"), meta.get("iteration"), meta.get("phase")
    if not _whole(epoch, MAX_EPOCH) or not _whole(iteration, MAX_ITERATION) or not _key(phase):
        return None
    assert isinstance(epoch, int) and isinstance(iteration, int) and isinstance(phase, str)
    return Place(epoch, iteration, phase)


def place_fields(place: Place | None) -> dict[str, Any]:
    return {} if place is None else {"epoch": place.epoch, "iteration": place.iteration, "phase": place.phase}


# --- an attendee's app → the server ------------------------------------------------------------------


def answer_packet(answer: Answer) -> dict[str, Any]:
    return {"type": ANSWER, **place_fields(answer.place), "answer": printable(answer.text), "right": answer.right}


def clean_answer(meta: Mapping[str, Any]) -> Answer | None:
    place, text, right = clean_place(meta), meta.get("answer"), meta.get("right")
    if place is None or not isinstance(text, str) or not isinstance(right, bool) or len(text) > 4 * MAX_TEXT:
        return None
    text = printable(text)
    return Answer(place, text, right) if text else None


def status_packet(status: Status) -> dict[str, Any]:
    return {"type": STATUS, "following": status.following, **place_fields(status.place)}


def clean_status(meta: Mapping[str, Any]) -> Status | None:
    following = meta.get("following")
    if not isinstance(following, bool):
        return None
    if following:
        return Status(True, None)
    place = clean_place(meta)
    return None if place is None else Status(False, place)


class Voice:
    """What an attendee's session tells the room: each answer as it is given, its status only when it changes.
    Any other session (the instructor's, one not served) says nothing."""

    def __init__(self, role: str | None) -> None:
        self.speaks = role == "attendee"
        self._said: Status | None = None

    def answer(self, place: Place, text: str, right: bool) -> dict[str, Any] | None:
        return answer_packet(Answer(place, text, right)) if self.speaks else None

    def status(self, following: bool, place: Place) -> dict[str, Any] | None:
        status = Status(following, None if following else place)
        if not self.speaks or status == self._said:
            return None
        self._said = status
        return status_packet(status)


# --- the server → the instructor's app -------------------------------------------------------------------


class Report(NamedTuple):
    """The room as the instructor sees it, for one place: who answered there and what, who follows and who
    explores, and the phases the explorers are on (most visited first)."""

    place: Place | None
    attendees: int
    answered: int
    right: int
    wrong: tuple[tuple[str, int], ...]
    following: int
    exploring: int
    explorers: tuple[tuple[str, int], ...]


def report_packet(report: Report) -> dict[str, Any]:
    return {"type": ROOM, **place_fields(report.place), "attendees": report.attendees,
            "answered": report.answered, "right": report.right, "wrong": [list(pair) for pair in report.wrong],
            "following": report.following, "exploring": report.exploring,
            "explorers": [list(pair) for pair in report.explorers]}


def _counts(value: object, limit: int, text_limit: int) -> tuple[tuple[str, int], ...] | None:
    if not isinstance(value, list) or len(value) > limit:
        return None
    pairs = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
                and len(pair[0]) <= text_limit and _whole(pair[1], MAX_PEOPLE)):
            return None
        pairs.append((printable(pair[0], text_limit), pair[1]))
    return tuple(pairs)


def clean_report(meta: Mapping[str, Any]) -> Report | None:
    numbers = [meta.get(name) for name in ("attendees", "answered", "right", "following", "exploring")]
    counts = [number for number in numbers if _whole(number, MAX_PEOPLE) and isinstance(number, int)]
    if len(counts) != len(numbers):
        return None
    attendees, answered, right, following, exploring = counts
    wrong = _counts(meta.get("wrong"), TOP_WRONG, MAX_TEXT)
    explorers = _counts(meta.get("explorers"), MAX_PLACES, MAX_KEY)
    place = clean_place(meta)
    if wrong is None or explorers is None or (place is None and "phase" in meta) or right > answered:
        return None
    return Report(place, attendees, answered, right, wrong, following, exploring, explorers)
