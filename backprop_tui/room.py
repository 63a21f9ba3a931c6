"""The room's tally, kept by the server: what each attendee answered and where each one is, counted anonymously.

An attendee is one browser (the server gives each a random id in a cookie), however many connections it has:
a reload opens a new session before the old one has gone, and two tabs are still one person. So an attendee
has ONE latest answer per place (epoch, batch, phase) and one status, and counts once. Memory is fixed: at most
`capacity` attendees (the server's session cap), each keeping its latest `answers_each` places; an attendee whose
last connection closes is forgotten, answers and all. What leaves this object is counts, never who said what.
No Textual and no asyncio here: the server's hub (serve/room_hub.py) feeds it and sends its reports.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from backprop_tui.room_packets import Answer, Place, Report, Status
from backprop_tui.room_tally import Tally, merge

ANSWERS_EACH = 64
"""Places an attendee's latest answers are kept for (a whole iteration of a deep network, a few times over)."""


@dataclass
class Attendee:
    connections: int = 1
    status: Status = Status(True, None)
    """Sessions start following the instructor."""
    answers: OrderedDict[Place, tuple[str, bool]] = field(default_factory=OrderedDict)
    """Place → (answer, right), the oldest first."""


class Room:
    def __init__(self, capacity: int, answers_each: int = ANSWERS_EACH) -> None:
        self.capacity = capacity
        self.answers_each = answers_each
        self._attendees: dict[str, Attendee] = {}

    @property
    def attendees(self) -> int:
        return len(self._attendees)

    def join(self, who: str) -> bool:
        """A connection of attendee `who`; False (and not counted) when the room already holds `capacity`."""
        attendee = self._attendees.get(who)
        if attendee is not None:
            attendee.connections += 1
            return True
        if len(self._attendees) >= self.capacity:
            return False
        self._attendees[who] = Attendee()
        return True

    def leave(self, who: str) -> bool:
        """A connection of `who` closed; its last one takes its answers and status with it. True if counts changed."""
        attendee = self._attendees.get(who)
        if attendee is None:
            return False
        attendee.connections -= 1
        if attendee.connections > 0:
            return False
        del self._attendees[who]
        return True

    def answered(self, who: str, answer: Answer) -> bool:
        """The attendee's latest answer at that place, in place of any earlier one; True if the tally changed."""
        attendee = self._attendees.get(who)
        if attendee is None:
            return False
        said = (answer.text, answer.right)
        if attendee.answers.get(answer.place) == said:
            return False
        attendee.answers[answer.place] = said
        attendee.answers.move_to_end(answer.place)
        while len(attendee.answers) > self.answers_each:
            attendee.answers.popitem(last=False)
        return True

    def moved(self, who: str, status: Status) -> bool:
        attendee = self._attendees.get(who)
        if attendee is None or attendee.status == status:
            return False
        attendee.status = status
        return True

    def report(self, place: Place | None) -> Report:
        """The counts at `place` (the instructor's), and who follows and where the explorers are."""
        return merge([self.tally(place)], place)

    def tally(self, place: Place | None) -> Tally:
        """Every count at `place`, whole (not only the most common answers): what a hall's node tells the others."""
        answered = right = following = 0
        wrong: Counter[str] = Counter()
        explorers: Counter[str] = Counter()
        for attendee in self._attendees.values():
            if attendee.status.following:
                following += 1
            elif attendee.status.place is not None:
                explorers[attendee.status.place.phase] += 1
            said = None if place is None else attendee.answers.get(place)
            if said is not None:
                answered += 1
                if said[1]:
                    right += 1
                else:
                    wrong[said[0]] += 1
        return Tally(place, len(self._attendees), answered, right, tuple(sorted(wrong.items())), following,
                     len(self._attendees) - following, tuple(sorted(explorers.items())))
