"""Reading the room: attendees' sessions report their quiz answers and where they are; the instructor's sees counts.

It lives in the server process beside the follow hub and uses the same pipes (textual-serve's meta packets).
What an attendee's app says goes into the tally (backprop_tui/room.py) only if it passes `clean_answer` or
`clean_status`; what the tally reports goes to the instructor's sessions and nowhere else, at most
`1 / interval` times a second however fast answers arrive, and only when it changed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from backprop_tui.follow_mode import clean_position
from backprop_tui.room import Room
from backprop_tui.room_packets import ANSWER, STATUS, Place, clean_answer, clean_status, report_packet

Send = Callable[[dict[str, Any]], Awaitable[bool]]
REPORT_INTERVAL = 0.25
"""Seconds between two reports to the instructor (at most 4 a second): a room answering at once is one redraw."""


class RoomHub:
    def __init__(self, capacity: int, interval: float = REPORT_INTERVAL) -> None:
        self.room = Room(capacity)
        self.interval = interval
        self.place: Place | None = None
        """Where the instructor is: the place the counts are for."""
        self._who: dict[str, str] = {}
        """An attendee's connection (the app service's key) → the attendee (its browser's id)."""
        self._instructors: dict[str, Send] = {}
        self._last: dict[str, Any] | None = None
        self._last_at = -float("inf")
        self._pending: asyncio.Task[None] | None = None
        self.reports_sent = 0
        """Report packets handed to instructors' sessions so far (for tests and benchmarks)."""

    def join(self, key: str, who: str) -> None:
        """Connection `key` is attendee `who`'s: a second connection of the same browser is the same attendee."""
        if self.room.join(who):
            self._who[key] = who
            self._changed()

    def join_instructor(self, key: str, send: Send) -> None:
        """An instructor's session: it is sent the room as it is now (with the next report), then every change."""
        self._instructors[key] = send
        self._last = None  # the newcomer has seen nothing: the next report goes out even if it is unchanged
        self._changed()

    def leave(self, key: str) -> None:
        self._instructors.pop(key, None)
        who = self._who.pop(key, None)
        if who is not None and self.room.leave(who):
            self._changed()

    def heard(self, key: str, meta: Mapping[str, Any]) -> None:
        """A packet from an attendee's session; one from anyone else, or one that does not pass, is dropped."""
        who = self._who.get(key)
        if who is None:
            return
        changed = False
        if meta.get("type") == ANSWER and (answer := clean_answer(meta)) is not None:
            changed = self.room.answered(who, answer)
        elif meta.get("type") == STATUS and (status := clean_status(meta)) is not None:
            changed = self.room.moved(who, status)
        if changed:
            self._changed()

    def instructor_moved(self, meta: Mapping[str, Any]) -> None:
        """The instructor's published position (already a follow packet): the counts are now for its place."""
        position = clean_position(meta)
        if position is None:
            return
        place = Place(position["epoch"], position["iteration"], position["phase"])
        if place != self.place:
            self.place = place
            self._changed()

    def _changed(self) -> None:
        if self._instructors and (self._pending is None or self._pending.done()):
            self._pending = asyncio.get_running_loop().create_task(self._report_soon())

    async def _report_soon(self) -> None:
        wait = self._last_at + self.interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._pending = None  # from here on a change schedules the next report: none is lost
        packet = report_packet(self.room.report(self.place))
        if packet == self._last:
            return
        self._last, self._last_at = packet, time.monotonic()
        results = await asyncio.gather(*(send(packet) for send in list(self._instructors.values())),
                                       return_exceptions=True)
        self.reports_sent += sum(1 for result in results if result is True)

    def close(self) -> None:
        """The server is stopping: a report still waiting is not sent."""
        if self._pending is not None:
            self._pending.cancel()
