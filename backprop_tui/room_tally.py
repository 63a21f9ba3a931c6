"""One node's share of the room, as counts that add up: what a hall's nodes tell each other about their attendees.

In a lecture hall (`serve --redis`) each node keeps the tally of its own attendees (backprop_tui/room.py). The
instructor's report keeps only the three most common wrong answers, and three per node do not make the three
most common of the hall; so each node says its whole count of each wrong answer at the instructor's place, and of
each explorer's phase, and the instructor's node adds them up before it picks. A node holds at most its session
cap of attendees, so a tally has at most that many entries of each kind: fixed memory, counts only, never who.

The `place` a node counted answers at is the instructor's as that node last heard it: answers count only from
tallies made at the instructor's place, while how many are here, follow and explore count from every tally.
No Textual and no asyncio here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from backprop_tui.room_packets import (
    MAX_KEY,
    MAX_PEOPLE,
    MAX_PLACES,
    MAX_TEXT,
    TOP_WRONG,
    Place,
    Report,
    clean_place,
    place_fields,
    printable,
)

MAX_ENTRIES = 1000
"""Different wrong answers, or explorers' phases, one tally may carry: a node's session cap is far below it."""


class Tally(NamedTuple):
    place: Place | None
    attendees: int
    answered: int
    right: int
    wrong: tuple[tuple[str, int], ...]
    """Every wrong answer given at `place`, with how many gave it."""
    following: int
    exploring: int
    explorers: tuple[tuple[str, int], ...]
    """Every phase an explorer is on, with how many are there."""


EMPTY = Tally(None, 0, 0, 0, (), 0, 0, ())
"""What a node that leaves the hall says: none of its attendees are here any more."""


def merge(tallies: Iterable[Tally], place: Place | None) -> Report:
    """The hall's report at `place`: every node's counts added, then the most common wrong answers and phases."""
    attendees = answered = right = following = exploring = 0
    wrong: Counter[str] = Counter()
    explorers: Counter[str] = Counter()
    for tally in tallies:
        attendees += tally.attendees
        following += tally.following
        exploring += tally.exploring
        explorers.update(dict(tally.explorers))
        if place is not None and tally.place == place:
            answered += tally.answered
            right += tally.right
            wrong.update(dict(tally.wrong))
    return Report(place, attendees, answered, right, most_common(wrong, TOP_WRONG), following, exploring,
                  most_common(explorers, MAX_PLACES))


def most_common(counts: Counter[str], many: int) -> tuple[tuple[str, int], ...]:
    """The `many` largest counts, ties in alphabetical order: the same room gives the same report."""
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:many])


def tally_body(tally: Tally) -> dict[str, Any]:
    return {**place_fields(tally.place), "attendees": tally.attendees, "answered": tally.answered,
            "right": tally.right, "wrong": [list(pair) for pair in tally.wrong], "following": tally.following,
            "exploring": tally.exploring, "explorers": [list(pair) for pair in tally.explorers]}


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PEOPLE


def _pairs(value: object, text_limit: int) -> tuple[tuple[str, int], ...] | None:
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        return None
    pairs: dict[str, int] = {}
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
                and len(pair[0]) <= text_limit and _whole(pair[1])):
            return None
        text = printable(pair[0], text_limit)
        pairs[text] = pairs.get(text, 0) + pair[1]
    return tuple(pairs.items())


def clean_tally(body: Mapping[str, Any]) -> Tally | None:
    """A tally whose every field is what a node would send; None (and the whole of it dropped) otherwise."""
    numbers = [body.get(name) for name in ("attendees", "answered", "right", "following", "exploring")]
    counts = [number for number in numbers if _whole(number) and isinstance(number, int)]
    if len(counts) != len(numbers):
        return None
    attendees, answered, right, following, exploring = counts
    wrong, explorers = _pairs(body.get("wrong"), MAX_TEXT), _pairs(body.get("explorers"), MAX_KEY)
    place = clean_place(body)
    if wrong is None or explorers is None or (place is None and "phase" in body):
        return None
    if right > answered or answered > attendees or following + exploring > attendees:
        return None
    return Tally(place, attendees, answered, right, wrong, following, exploring, explorers)
